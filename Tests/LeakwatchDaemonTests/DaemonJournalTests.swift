import Foundation
import Synchronization
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Runs a shell command, returning its exit status and stdout.
@discardableResult
func shell(_ command: String) -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/sh")
    process.arguments = ["-c", command]
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = FileHandle.nullDevice
    process.standardInput = FileHandle.nullDevice
    guard (try? process.run()) != nil else { return (127, "") }
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}

/// Starts `path` in a session of its own with /dev/null for stdio (`posix_spawn` with
/// `POSIX_SPAWN_SETSID`); returns its PID.
func spawnDetached(_ path: String) -> Int32? {
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    posix_spawnattr_setflags(&attributes, 0x80)  // POSIX_SPAWN_SETSID, not imported by Glibc
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    for fd in Int32(0)...2 {
        posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", fd == 0 ? O_RDONLY : O_WRONLY, 0)
    }
    var pid: pid_t = 0
    let argv: [UnsafeMutablePointer<CChar>?] = [strdup(path), nil]
    defer { free(argv[0]) }
    let result = posix_spawn(&pid, path, &actions, &attributes, argv, environ)
    return result == 0 ? pid : nil
}

/// A real journald for the test: the running one, or one started for the tests (as root) and
/// stopped by its PID when the last test using it is done. See ../shared/notes/c-interop.md.
///
/// Tests run in parallel and share the one journal socket: a journald one test started must not
/// be stopped while another still sends to it (its entries would be lost), so the journald this
/// process started is counted and stopped by the last user.
final class TestJournald {
    static let socket = "/run/systemd/journal/socket"
    /// The journald this process started, and how many `TestJournald`s are using it.
    private static let shared = Mutex<(pid: Int32?, users: Int)>((nil, 0))
    let available: Bool
    let reason: String

    init() {
        let (available, reason) = Self.shared.withLock { shared -> (Bool, String) in
            let (available, reason) = Self.start(&shared.pid)
            if available { shared.users += 1 }
            return (available, reason)
        }
        self.available = available
        self.reason = reason
    }

    /// Makes sure a journald listens (`pid`: the one this process started, if any).
    private static func start(_ pid: inout Int32?) -> (Bool, String) {
        if Self.isListening() {
            return (true, pid == nil ? "journald already running" : "started systemd-journald for the tests")
        }
        guard getuid() == 0 else { return (false, "not root: cannot start systemd-journald") }
        guard access("/lib/systemd/systemd-journald", X_OK) == 0 else {
            return (false, "/lib/systemd/systemd-journald is not installed")
        }
        mkdir("/run/systemd", 0o755)
        mkdir("/run/systemd/journal", 0o755)
        pid = spawnDetached("/lib/systemd/systemd-journald")
        let available = eventually(timeout: .seconds(10)) { Self.isListening() }
        return (available, available ? "started systemd-journald for the tests" : "systemd-journald did not start")
    }

    /// Whether a journald answers on the socket (a stale socket file does not count).
    static func isListening() -> Bool {
        let fd = Glibc.socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(Self.socket.utf8)) }
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        } == 0
    }

    deinit {
        guard available else { return }
        Self.shared.withLock { shared in
            shared.users -= 1
            guard shared.users == 0, let pid = shared.pid else { return }
            kill(pid, SIGTERM)
            var status: Int32 = 0
            waitpid(pid, &status, 0)
            shared.pid = nil
        }
    }

    /// Entries matching `matches` (`FIELD=value` ...), as JSON objects.
    func entries(_ matches: [String]) -> [[String: Any]] {
        shell("journalctl --no-pager -o json " + matches.map { "'\($0)'" }.joined(separator: " ")).output
            .split(separator: "\n").compactMap {
                try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
            }
    }
}

@Suite(.serialized) struct DaemonJournalTests {
    @Test func alertsAndEventsReachARealJournaldWithStructuredFields() throws {
        let journald = TestJournald()
        guard journald.available else {
            print("skipped: \(journald.reason)")
            return
        }
        let daemon = try DaemonHarness()
        try daemon.startReady(journal: true)
        // Entries are matched by this run's own file name too: the machine's journald keeps other runs'.
        let dropName = "journal-test-\(UUID().uuidString).txt"
        try daemon.drop(sample: "whatsapp-android-shift.txt", as: dropName)
        let expectedCount = try DaemonHarness.alertCount("whatsapp-android-shift.txt")
        #expect(try eventually { try daemon.spoolAlertIDs().count == expectedCount })
        let spoolIDs = Set(try daemon.spoolAlertIDs())
        let sha = try #require(try daemon.spoolObjects().first?["source"] as? [String: Any])["sha256"] as? String
        let alertMatch = [
            "MESSAGE_ID=8b91c9b37ad04794821deb79c7e0a9a3", "LEAKWATCH_SOURCE_SHA256=\(sha ?? "")",
            "LEAKWATCH_SOURCE=\(daemon.drop)/\(dropName)",
        ]
        #expect(eventually(timeout: .seconds(20)) { journald.entries(alertMatch).count >= expectedCount })
        let alerts = journald.entries(alertMatch)
        #expect(Set(alerts.compactMap { $0["LEAKWATCH_ALERT_ID"] as? String }) == spoolIDs)
        for entry in alerts {
            for field in [
                "LEAKWATCH_RULE", "LEAKWATCH_CATEGORY", "LEAKWATCH_SEVERITY", "LEAKWATCH_SOURCE",
                "LEAKWATCH_SOURCE_SHA256",
                "LEAKWATCH_LINE", "LEAKWATCH_SENDER", "LEAKWATCH_SENT", "LEAKWATCH_FINGERPRINT",
            ] {
                #expect(entry[field] != nil, "\(field) missing")
            }
            #expect(entry["SYSLOG_IDENTIFIER"] as? String == "leakwatch")
            let priority = entry["PRIORITY"] as? String
            let severity = entry["LEAKWATCH_SEVERITY"] as? String
            #expect(priority == ["critical": "2", "high": "3", "medium": "4", "low": "5", "info": "6"][severity ?? ""])
        }
        // Never the unredacted match.
        let raw = shell("journalctl --no-pager -o json LEAKWATCH_SOURCE_SHA256=\(sha ?? "")").output
        #expect(!raw.contains("LS6 2"))

        // A rejected reload is in the journal too.
        try "- id: x\n  title: [broken\n".write(
            toFile: daemon.rules + "/zz-broken.yml", atomically: true, encoding: .utf8)
        kill(daemon.pid, SIGHUP)
        let rejected = ["MESSAGE_ID=f0abbbc654b04b83b6f820b68b8e99a4", "_PID=\(daemon.pid)"]
        #expect(eventually(timeout: .seconds(20)) { !journald.entries(rejected).isEmpty })
        #expect(
            journald.entries(rejected).contains { ($0["MESSAGE"] as? String ?? "").contains("zz-broken.yml:3:1") })
        // And the daemon's own events each have their MESSAGE_ID.
        let processed = ["MESSAGE_ID=d5880b6dcfbb41e9a650410ce7747515", "_PID=\(daemon.pid)"]
        #expect(journald.entries(processed).first?["LEAKWATCH_MESSAGES"] as? String == "30")
        #expect(daemon.stop() == 0)
    }

    @Test func withoutAJournalEveryAlertStillReachesTheSpoolAndItSaysSoOnce() throws {
        guard getuid() == 0, shell("command -v unshare").status == 0 else {
            print("skipped: needs root and unshare to hide the journal socket")
            return
        }
        let daemon = try DaemonHarness()
        try FileManager.default.createDirectory(atPath: daemon.drop, withIntermediateDirectories: true)
        try daemon.drop(sample: "whatsapp-android-shift.txt")
        try daemon.drop(sample: "notes-plain.txt")
        // A private mount namespace where /run/systemd/journal is an empty tmpfs: no journald.
        let arguments = [
            leakwatchBinary, "daemon", "--drop-dir", daemon.drop, "--state-dir", daemon.state, "--spool-dir",
            daemon.spoolDirectory, "--rules", daemon.rules,
        ].map { "'\($0)'" }.joined(separator: " ")
        let script =
            "mkdir -p /run/systemd/journal && mount -t tmpfs tmpfs /run/systemd/journal && exec \(arguments)"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/unshare")
        process.arguments = ["--mount", "--propagation", "private", "/bin/sh", "-c", script]
        let log = daemon.root.appendingPathComponent("nojournal.log")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        process.standardError = try FileHandle(forWritingTo: log)
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        defer {
            kill(process.processIdentifier, SIGTERM)
            process.waitUntilExit()
        }
        #expect(
            try eventually {
                try daemon.spoolAlertIDs().count
                    == DaemonHarness.alertCount("whatsapp-android-shift.txt", "notes-plain.txt")
            })
        let text = try String(contentsOf: log, encoding: .utf8)
        #expect(text.components(separatedBy: "the journal is unavailable").count == 2, "said exactly once: \(text)")
    }
}
