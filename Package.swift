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
    ],
    targets: [
        // C libraries, imported raw. Only the thin wrappers below import them.
        .systemLibrary(name: "CPCRE2", pkgConfig: "libpcre2-8", providers: [.apt(["libpcre2-dev"])]),
        .systemLibrary(name: "CSystemd", pkgConfig: "libsystemd", providers: [.apt(["libsystemd-dev"])]),

        // Safe Swift wrappers: one owner per C handle.
        .target(name: "PCRE2", dependencies: ["CPCRE2"]),
        .target(name: "Systemd", dependencies: ["CSystemd"]),

        // The engine: parses exports, matches rules, builds alerts. No I/O of its own.
        .target(
            name: "LeakwatchCore",
            dependencies: [
                "PCRE2",
                .product(name: "Yams", package: "Yams"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
            ]
        ),

        // The scan pipeline over files and directories, shared by `leakwatch scan` and the daemon.
        .target(name: "LeakwatchScan", dependencies: ["LeakwatchCore"]),

        // The thin executable: subcommands only wire options to the libraries.
        .executableTarget(
            name: "leakwatch",
            dependencies: [
                "LeakwatchCore",
                "LeakwatchScan",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        .testTarget(name: "PCRE2Tests", dependencies: ["PCRE2"]),
        .testTarget(name: "LeakwatchCoreTests", dependencies: ["LeakwatchCore"], exclude: ["Golden"]),
        .testTarget(name: "LeakwatchScanTests", dependencies: ["LeakwatchScan", "LeakwatchCore"], exclude: ["Golden"]),
    ],
    swiftLanguageModes: [.v6]
)
