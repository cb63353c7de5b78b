import Foundation
import LeakwatchScan
import Posix
import Synchronization
import Testing

#if canImport(Glibc)
    import Glibc
#endif

let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

/// The built `leakwatch` binary.
var leakwatchBinary: String {
    if let path = ProcessInfo.processInfo.environment["LEAKWATCH_BIN"] { return path }
    for configuration in ["debug", "release"] {
        let path = repository.appendingPathComponent(".build/\(configuration)/leakwatch").path
        if FileManager.default.isExecutableFile(atPath: path) { return path }
    }
    return repository.appendingPathComponent(".build/debug/leakwatch").path
}

/// Polls `condition` until it holds or `timeout` passes. Waiting, not timing: the timeout only
/// bounds a failing test.
@discardableResult
func eventually(timeout: Duration = .seconds(30), _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try condition() { return true }
        usleep(20_000)
    }
    return try condition()
}

/// A daemon under test: its directories, its process, its sd_notify messages.
final class DaemonHarness: @unchecked Sendable {
    let root: URL
    var drop: String { root.appendingPathComponent("drop").path }
    var state: String { root.appendingPathComponent("state").path }
    var spoolDirectory: String { root.appendingPathComponent("spool").path }
    var spoolFile: String { spoolDirectory + "/alerts.jsonl" }
    var rules: String { root.appendingPathComponent("rules").path }
    var stderrFile: String { root.appendingPathComponent("daemon.log").path }
    let notify: NotifySocket
    private(set) var process: Process?

    init(copyShippedRules: Bool = true) throws {
        root = URL(fileURLWithPath: "/tmp").appendingPathComponent("leakwatch-daemon-\(UUID().uuidString)")
        try FileManager.default.createDirectory(atPath: root.path, withIntermediateDirectories: true)
        notify = try NotifySocket(path: root.appendingPathComponent("notify.sock").path)
        try FileManager.default.createDirectory(
            atPath: root.appendingPathComponent("rules").path, withIntermediateDirectories: true)
        if copyShippedRules {
            for name in try FileManager.default.contentsOfDirectory(
                atPath: repository.appendingPathComponent("rules").path)
            {
                try FileManager.default.copyItem(
                    atPath: repository.appendingPathComponent("rules/\(name)").path, toPath: rules + "/" + name)
            }
        }
    }

    deinit {
        if let process, process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: root)
    }

    /// Starts `leakwatch daemon` on this harness's directories.
    func start(extraArguments: [String] = [], environment: [String: String] = [:], journal: Bool = false) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: leakwatchBinary)
        process.arguments =
            [
                "daemon", "--drop-dir", drop, "--state-dir", state, "--spool-dir", spoolDirectory, "--rules", rules,
                "--workers", "2",
            ] + (journal ? [] : ["--no-journal"]) + extraArguments
        var env = ProcessInfo.processInfo.environment
        env["NOTIFY_SOCKET"] = notify.path
        for (key, value) in environment { env[key] = value }
        process.environment = env
        FileManager.default.createFile(atPath: stderrFile, contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: stderrFile))
        log.seekToEndOfFile()
        process.standardError = log
        process.standardOutput = log
        process.standardInput = FileHandle.nullDevice
        try process.run()
        self.process = process
    }

    /// Starts and waits for READY=1.
    func startReady(extraArguments: [String] = [], environment: [String: String] = [:], journal: Bool = false) throws {
        let before = notify.messages.filter { $0.contains("READY=1") }.count
        try start(extraArguments: extraArguments, environment: environment, journal: journal)
        let ready = eventually { notify.messages.filter { $0.contains("READY=1") }.count > before }
        try #require(ready, "daemon never sent READY=1; log: \(log)")
    }

    var pid: Int32 { process?.processIdentifier ?? 0 }

    /// SIGTERM, and the exit status once it has exited.
    func stop() -> Int32? {
        guard let process else { return nil }
        kill(process.processIdentifier, SIGTERM)
        let exited = eventually(timeout: .seconds(20)) { !process.isRunning }
        guard exited else { return nil }
        return process.terminationStatus
    }

    /// Waits until the process has died (after a SIGKILL it gave itself, say).
    func waitForDeath() -> Bool {
        guard let process else { return true }
        return eventually(timeout: .seconds(30)) { !process.isRunning }
    }

    var log: String { (try? String(contentsOfFile: stderrFile, encoding: .utf8)) ?? "" }

    /// Writes a file under a hidden name and renames it into place (as an SFTP upload would).
    func drop(_ name: String, contents: Data) throws {
        // Hidden names are ignored by the daemon until renamed, like an upload in progress.
        let staging = drop + "/.staging-\(UUID().uuidString)"
        try contents.write(to: URL(fileURLWithPath: staging))
        guard rename(staging, drop + "/" + name) == 0 else { throw POSIXError(.EIO) }
    }

    /// Drops a file under a name given as bytes (not necessarily UTF-8), by rename.
    func drop(name: FileName, contents: Data) throws {
        let staging = SystemPath(drop).appending(".staging-\(UUID().uuidString)")
        let file = try Posix.open(staging, [.writeOnly, .create, .exclusive], permissions: 0o644)
        try file.writeAll([UInt8](contents))
        try Posix.rename(staging, to: SystemPath(drop).appending(name))
    }

    func sampleData(_ sample: String) throws -> Data {
        try Data(contentsOf: repository.appendingPathComponent("samples/\(sample)"))
    }

    /// A figure of `/proc/PID/status` in bytes (`VmRSS`, `VmHWM`), nil once the process is gone.
    func memory(_ field: String) -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
            let line = text.split(separator: "\n").first(where: { $0.hasPrefix(field + ":") }),
            let kib = Int(line.split(separator: " ").dropFirst().first ?? "")
        else { return nil }
        return kib * 1024
    }

    func drop(sample: String, as name: String? = nil) throws {
        try drop(name ?? sample, contents: Data(contentsOf: repository.appendingPathComponent("samples/\(sample)")))
    }

    /// Spool lines as JSON objects, read as a consumer must: only complete lines (ending in `\n`)
    /// are records; an incomplete last line is still being written and is left for later. Every
    /// complete line must be whole JSON.
    func spoolObjects(_ file: String? = nil) throws -> [[String: Any]] {
        try Self.completeLines(of: file ?? spoolFile).map { line in
            try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "not JSON: \(line)")
        }
    }

    /// The complete lines of a file (those ending in `\n`).
    static func completeLines(of path: String) -> [Substring] {
        guard let data = FileManager.default.contents(atPath: path),
            let lastBreak = data.lastIndex(of: UInt8(ascii: "\n"))
        else { return [] }
        return String(decoding: data[...lastBreak], as: UTF8.self).split(separator: "\n")
    }

    /// The records of every spool file, rotated ones first (oldest first).
    func allSpoolObjects() throws -> [[String: Any]] {
        let rotated = contents(of: spoolDirectory).compactMap { name -> Int? in
            name.hasPrefix("alerts.jsonl.") ? Int(name.dropFirst("alerts.jsonl.".count)) : nil
        }
        return try rotated.sorted(by: >).flatMap { try spoolObjects(spoolFile + ".\($0)") } + spoolObjects()
    }

    /// The spool's `leakwatch.record.v1` records of `kind`.
    func spoolRecords(kind: String) throws -> [[String: Any]] {
        try spoolObjects().filter { $0["schema"] as? String == "leakwatch.record.v1" && $0["kind"] as? String == kind }
    }

    func spoolAlertIDs() throws -> [String] {
        try spoolObjects().filter { $0["schema"] as? String == "leakwatch.alert.v1" }.compactMap { $0["id"] as? String }
    }

    /// The entries of a directory, sorted; without the daemon's durable-write temporaries
    /// (`.lw-tmp-*`, there for an instant before they are linked or renamed into place).
    func contents(of directory: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { !$0.hasPrefix(".lw-tmp-") }
            .sorted()
    }
}

/// A datagram socket posing as systemd's `$NOTIFY_SOCKET`, collecting what the daemon sends.
final class NotifySocket: @unchecked Sendable {
    let path: String
    private let fd: Int32
    private let received = Mutex<[String]>([])

    init(path: String) throws {
        self.path = path
        fd = socket(
            AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EIO) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            let bytes = Array(path.utf8.prefix(raw.count - 1))
            raw.copyBytes(from: bytes)
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard bound == 0 else { throw POSIXError(.EADDRINUSE) }
    }

    deinit { close(fd) }

    /// Everything received so far (drains the socket first).
    var messages: [String] {
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { break }
            let message = String(decoding: buffer[..<count], as: UTF8.self)
            received.withLock { $0.append(message) }
        }
        return received.withLock { $0 }
    }

    /// The last `STATUS=` line.
    var lastStatus: String? {
        messages.flatMap { $0.split(separator: "\n") }.last { $0.hasPrefix("STATUS=") }.map { String($0.dropFirst(7)) }
    }
}

extension DaemonHarness {
    /// How many alerts `leakwatch scan` with the shipped rules gives for these samples: what the
    /// daemon must deliver, whatever the rule pack has grown to.
    static func alertCount(_ samples: String...) throws -> Int {
        let key = FileManager.default.temporaryDirectory.appendingPathComponent("lw-count-\(UUID().uuidString).key")
            .path
        defer { try? FileManager.default.removeItem(atPath: key) }
        return try DaemonCrashSafetyTests.expectedIDs(for: samples, key: key).count
    }

    /// How many rules the shipped rule directory holds.
    static func shippedRuleCount() throws -> Int {
        let build = RuleDirectories.load([repository.appendingPathComponent("rules").path])
        return try #require(build.ruleSet, "\(build.problems)").rules.count
    }
}
