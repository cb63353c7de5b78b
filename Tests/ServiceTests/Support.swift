import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Running commands with a bound on time, and finding what the service tests need.
enum Shell {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let harness = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
        "harness.sh"
    )
    .path
    /// Scratch space shared with the namespace (NOT /tmp: the namespace has its own).
    static let scratchRoot = repository.appendingPathComponent(".build/service-test").path

    struct Result: CustomStringConvertible {
        var status: Int32
        var stdout: String
        var stderr: String
        var timedOut: Bool

        var description: String {
            "exit \(status)\(timedOut ? " (timed out)" : "")\nstdout: \(stdout.suffix(3000))\nstderr: \(stderr.suffix(3000))"
        }
    }

    private static let outputCounter = Counter()

    /// Runs `arguments` (looked up in PATH) under coreutils `timeout`, so that it and its
    /// children are killed when `seconds` run out; stdout and stderr go through files (no pipe
    /// can fill up and block).
    static func run(
        _ arguments: [String], input: String? = nil, seconds: Int = 30, in directory: String? = nil
    ) -> Result {
        let dir = scratchRoot + "/cmd"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let n = outputCounter.next()
        let outPath = "\(dir)/\(n).out"
        let errPath = "\(dir)/\(n).err"
        let inPath = "\(dir)/\(n).in"
        _ = FileManager.default.createFile(atPath: outPath, contents: nil)
        _ = FileManager.default.createFile(atPath: errPath, contents: nil)
        _ = FileManager.default.createFile(atPath: inPath, contents: Data((input ?? "").utf8))
        defer {
            for path in [outPath, errPath, inPath] { try? FileManager.default.removeItem(atPath: path) }
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/timeout")
        process.arguments = ["--kill-after=5", String(seconds)] + arguments
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        guard let out = FileHandle(forWritingAtPath: outPath), let err = FileHandle(forWritingAtPath: errPath),
            let inp = FileHandle(forReadingAtPath: inPath)
        else {
            return Result(status: -1, stdout: "", stderr: "cannot open output files in \(dir)", timedOut: false)
        }
        process.standardOutput = out
        process.standardError = err
        process.standardInput = inp
        do {
            try process.run()
        } catch {
            return Result(status: -1, stdout: "", stderr: "cannot run \(arguments): \(error)", timedOut: false)
        }
        // `timeout` kills the command; this is the backstop for `timeout` itself.
        let deadline = Date().addingTimeInterval(Double(seconds) + 15)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        process.waitUntilExit()
        try? out.close()
        try? err.close()
        try? inp.close()
        let stdout = (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
        let stderr = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
        let status = process.terminationStatus
        return Result(status: status, stdout: stdout, stderr: stderr, timedOut: status == 124 || status == 137)
    }

    /// `bash -c script`.
    static func bash(_ script: String, input: String? = nil, seconds: Int = 30) -> Result {
        run(["bash", "-c", script], input: input, seconds: seconds)
    }

    /// Whether `name` is an executable in PATH (or an absolute path to one).
    static func hasCommand(_ name: String) -> Bool {
        if name.hasPrefix("/") { return FileManager.default.isExecutableFile(atPath: name) }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/sbin:/usr/bin:/sbin:/bin"
        return path.split(separator: ":").contains { FileManager.default.isExecutableFile(atPath: "\($0)/\(name)") }
    }

    /// `$LEAKWATCH_BIN`, else the newer of `.build/debug/leakwatch` and `.build/release/leakwatch`.
    static var leakwatchBinary: String? {
        if let path = ProcessInfo.processInfo.environment["LEAKWATCH_BIN"], !path.isEmpty {
            return FileManager.default.isExecutableFile(atPath: path) ? path : nil
        }
        let candidates = ["debug", "release"].map { repository.appendingPathComponent(".build/\($0)/leakwatch").path }
            .filter { FileManager.default.isExecutableFile(atPath: $0) }
        return candidates.max { modificationDate($0) < modificationDate($1) }
    }

    static func modificationDate(_ path: String) -> Date {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date) ?? .distantPast
    }

    /// Polls `condition` every `interval` until it holds or `seconds` pass.
    static func waitUntil(seconds: Double, interval: Double = 0.25, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        repeat {
            if condition() { return true }
            usleep(UInt32(interval * 1_000_000))
        } while Date() < deadline
        return condition()
    }

    /// JSON objects, one per line; lines that are not objects are skipped.
    static func jsonLines(_ text: String) -> [[String: Any]] {
        text.split(separator: "\n").compactMap { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]
        }
    }
}

final class Counter: @unchecked Sendable {
    private var value = 0
    private let lock = NSLock()
    func next() -> Int {
        lock.lock()
        defer { lock.unlock() }
        value += 1
        return value
    }
}

/// A journal entry from `journalctl -o json`: field values as strings (binary values, which
/// journalctl prints as byte arrays, are decoded as UTF-8).
struct JournalEntry {
    var fields: [String: String]

    init(_ object: [String: Any]) {
        var fields: [String: String] = [:]
        for (key, value) in object {
            if let string = value as? String {
                fields[key] = string
            } else if let bytes = value as? [Int] {
                fields[key] = String(decoding: bytes.map { UInt8(truncatingIfNeeded: $0) }, as: UTF8.self)
            }
        }
        self.fields = fields
    }

    subscript(_ key: String) -> String? { fields[key] }
    var messageID: String? { fields["MESSAGE_ID"] }
    var monotonic: UInt64 { UInt64(fields["__MONOTONIC_TIMESTAMP"] ?? "") ?? 0 }
}

/// The POSIX default ACL of a directory (`system.posix_acl_default`), as (tag, permissions, id).
enum PosixACL {
    static let userObj: UInt16 = 0x01, user: UInt16 = 0x02, groupObj: UInt16 = 0x04, group: UInt16 = 0x08
    static let mask: UInt16 = 0x10, other: UInt16 = 0x20

    struct Entry: Equatable {
        var tag: UInt16
        var permissions: UInt16
        var id: UInt32
    }

    /// `getxattr(2)`, which the Glibc module does not export (it lives in <sys/xattr.h>).
    private typealias GetXattr =
        @convention(c) (
            UnsafePointer<CChar>, UnsafePointer<CChar>, UnsafeMutableRawPointer?, Int
        ) -> Int

    static func defaultACL(of path: String) -> [Entry]? {
        guard let symbol = dlsym(dlopen(nil, RTLD_NOW), "getxattr") else { return nil }
        let getxattr = unsafeBitCast(symbol, to: GetXattr.self)
        var buffer = [UInt8](repeating: 0, count: 1024)
        let size = buffer.withUnsafeMutableBytes {
            getxattr(path, "system.posix_acl_default", $0.baseAddress, $0.count)
        }
        guard size >= 4 else { return nil }
        var entries: [Entry] = []
        var offset = 4
        while offset + 8 <= size {
            let tag = UInt16(buffer[offset]) | UInt16(buffer[offset + 1]) << 8
            let permissions = UInt16(buffer[offset + 2]) | UInt16(buffer[offset + 3]) << 8
            let id =
                UInt32(buffer[offset + 4]) | UInt32(buffer[offset + 5]) << 8 | UInt32(buffer[offset + 6]) << 16
                | UInt32(buffer[offset + 7]) << 24
            entries.append(Entry(tag: tag, permissions: permissions, id: id))
            offset += 8
        }
        return entries
    }
}
