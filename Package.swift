// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "leakwatch",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "leakwatch", targets: ["leakwatch"]),
        .library(name: "LeakwatchCore", targets: ["LeakwatchCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.20"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        // C libraries, imported raw. Only the thin wrappers below import them.
        .systemLibrary(name: "CPCRE2", pkgConfig: "libpcre2-8", providers: [.apt(["libpcre2-dev"])]),
        .systemLibrary(name: "CSystemd", pkgConfig: "libsystemd", providers: [.apt(["libsystemd-dev"])]),
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "CVectorscan", pkgConfig: "libhs", providers: [.apt(["libvectorscan-dev"])]),
        // Media: image decoding, OCR, PDF text and rendering, photo metadata.
        .systemLibrary(name: "CLeptonica", pkgConfig: "lept", providers: [.apt(["libleptonica-dev"])]),
        // Without pkg-config: its --libs would link libarchive and libcurl (Tesseract's own needs)
        // into leakwatch as well.
        .systemLibrary(name: "CTesseract", providers: [.apt(["libtesseract-dev"])]),
        .systemLibrary(name: "CPoppler", pkgConfig: "poppler-glib", providers: [.apt(["libpoppler-glib-dev"])]),
        .systemLibrary(name: "CExif", pkgConfig: "libexif", providers: [.apt(["libexif-dev"])]),
        .systemLibrary(name: "CHeif", pkgConfig: "libheif", providers: [.apt(["libheif-dev"])]),

        // The media worker's process boundary: spawning it clean, rlimits, Landlock, seccomp.
        .target(name: "CMediaSandbox"),

        // Linux calls Swift's Glibc module does not import (renameat2).
        .target(name: "CLinux"),

        // The one layer for system calls: each retries EINTR and throws the call, the path (as
        // bytes) and errno. File names are bytes (`FileName`), shown escaped.
        .target(name: "Posix", dependencies: ["CLinux"]),

        // Safe Swift wrappers: one owner per C handle.
        .target(name: "PCRE2", dependencies: ["CPCRE2"]),
        .target(name: "Systemd", dependencies: ["CSystemd"]),
        .target(name: "SQLite", dependencies: ["CSQLite"]),
        .target(name: "Vectorscan", dependencies: ["CVectorscan"]),
        .target(name: "Leptonica", dependencies: ["CLeptonica"]),
        .target(name: "Tesseract", dependencies: ["CTesseract", "CLeptonica", "Leptonica"]),
        .target(name: "Poppler", dependencies: ["CPoppler", "CLeptonica", "Leptonica"]),
        .target(name: "Exif", dependencies: ["CExif"]),
        .target(name: "Heif", dependencies: ["CHeif"]),

        // The engine: parses exports, matches rules, builds alerts. No I/O of its own.
        .target(
            name: "LeakwatchCore",
            dependencies: [
                "PCRE2",
                "Vectorscan",
                .product(name: "Yams", package: "Yams"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
            ]
        ),

        // Looking inside media: PDQ perceptual hashes, OCR, PDF text, photo metadata, all decoded in
        // a limited child process (`leakwatch media-worker`); known-media lists; media alerts.
        .target(
            name: "LeakwatchMedia",
            dependencies: [
                "LeakwatchCore", "Leptonica", "Tesseract", "Poppler", "Exif", "Heif", "CMediaSandbox",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),

        // The scan pipeline over files and directories, shared by `leakwatch scan` and the daemon.
        .target(name: "LeakwatchScan", dependencies: ["LeakwatchCore", "LeakwatchMedia", "Posix"]),

        // Where alerts go: the crash-safe spool and the journal, behind one `AlertSink` protocol.
        .target(name: "LeakwatchOutputs", dependencies: ["LeakwatchCore", "Posix", "Systemd"]),

        // State across exports, in SQLite: message keys and chats, delivered ids, sightings,
        // membership; with the spool, the exactly-once delivery ledger.
        .target(name: "LeakwatchState", dependencies: ["LeakwatchCore", "LeakwatchOutputs", "SQLite", "Posix"]),

        // `leakwatch report`: per chat, from the state database, as text and as one HTML file.
        .target(name: "LeakwatchReport", dependencies: ["LeakwatchCore", "LeakwatchState"]),

        // The daemon: long-running services (drop-directory watcher, workers, control) assembled
        // with swift-service-lifecycle.
        .target(
            name: "LeakwatchDaemon",
            dependencies: [
                "LeakwatchCore", "LeakwatchScan", "LeakwatchOutputs", "LeakwatchState", "LeakwatchMedia", "Systemd",
                "Posix",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),

        // The thin executable: subcommands only wire options to the libraries.
        .executableTarget(
            name: "leakwatch",
            dependencies: [
                "LeakwatchCore",
                "LeakwatchScan",
                "LeakwatchDaemon",
                "LeakwatchMedia",
                "Posix",
                "LeakwatchState",
                "LeakwatchReport",
                "LeakwatchOutputs",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        // The four-phone test chat of issue 11, written out as each phone exports it.
        .target(
            name: "LeakwatchTestSupport",
            dependencies: [.product(name: "ZIPFoundation", package: "ZIPFoundation")],
            path: "Tests/LeakwatchTestSupport"
        ),

        .testTarget(name: "PCRE2Tests", dependencies: ["PCRE2"]),
        .testTarget(
            name: "LeakwatchMediaTests",
            dependencies: [
                "LeakwatchMedia", "LeakwatchCore", "LeakwatchScan", "LeakwatchDaemon", "Leptonica", "Tesseract", "Exif",
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
            ],
            exclude: ["Vectors"]
        ),
        .testTarget(name: "PosixTests", dependencies: ["Posix"]),
        .testTarget(
            name: "LeakwatchCoreTests",
            dependencies: ["LeakwatchCore", "LeakwatchTestSupport", .product(name: "Crypto", package: "swift-crypto")],
            exclude: ["Golden"]),
        .testTarget(
            name: "LeakwatchStateTests",
            dependencies: [
                "LeakwatchState", "LeakwatchReport", "LeakwatchCore", "LeakwatchOutputs", "LeakwatchScan", "SQLite",
                "LeakwatchTestSupport", "Posix",
            ]
        ),
        .testTarget(
            name: "LeakwatchDaemonTests",
            dependencies: [
                "LeakwatchDaemon", "LeakwatchOutputs", "LeakwatchCore", "LeakwatchScan", "Systemd", "Posix",
                "LeakwatchTestSupport",
            ]
        ),
        .testTarget(name: "ServiceTests", dependencies: [], exclude: ["harness.sh"]),
        .testTarget(
            name: "LeakwatchScanTests", dependencies: ["LeakwatchScan", "LeakwatchCore", "LeakwatchTestSupport"],
            exclude: ["Golden"]),
    ],
    swiftLanguageModes: [.v6]
)
