import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// leakwatch.service under a real systemd 252, booted as PID 1 of a private PID + mount namespace
/// (harness.sh), with leakwatch installed into it by `make install`. Checked through systemctl,
/// journalctl and the spool, as an administrator would.
///
/// Runs only as root on Linux with systemd installed and a working `unshare`; otherwise it prints
/// why and passes.
@Suite(.serialized) struct RealSystemdTests {
    static let messageIDs: [String: String] = [
        "alert": "8b91c9b37ad04794821deb79c7e0a9a3", "started": "aa5e8971ce5949fa85ccd946215173a9",
        "stopping": "90a6b3b7eb4d496093ddcf738fcd9107", "rules-loaded": "a80b9d02975044aeb4c5c55b68c3e254",
        "rules-rejected": "f0abbbc654b04b83b6f820b68b8e99a4", "file-processed": "d5880b6dcfbb41e9a650410ce7747515",
        "file-quarantined": "8b304acfedb149159786725de378f30c", "error": "a8f15836fc844478803cb6a4a7bc3dc3",
        "journal-unavailable": "d161a1c2f7d743fda7be3bf88c679053",
        "scan-incomplete": "8435842e5c3a4e958fd096c8a60031ea",
        "rule-error": "07d973fd8b6844db828bdc2c8e832060",
    ]
    /// systemd's "Started UNIT" (job done) message.
    static let systemdJobDone = "39f53479d3a045ac8e11786248231fbf"
    static let alertFields = [
        "LEAKWATCH_ALERT_ID", "LEAKWATCH_RULE", "LEAKWATCH_CATEGORY", "LEAKWATCH_SEVERITY", "LEAKWATCH_SOURCE",
        "LEAKWATCH_SOURCE_SHA256", "LEAKWATCH_LINE", "LEAKWATCH_SENDER", "LEAKWATCH_SENT", "LEAKWATCH_FINGERPRINT",
    ]

    static let canaryRule = """
        - id: service-test.canary
          title: Service test canary
          category: case-reference
          severity: high
          pattern: '\\bZEBRA-CANARY-\\d{4}\\b'
          applies-to: text
          description: A token only the service test writes.
          examples:
            match:
              - 'the code is ZEBRA-CANARY-1234'
            no-match:
              - 'zebra crossing'

        """
    static let brokenRule = """
        - id: service-test.broken
          title: Broken on purpose
          category: case-reference
          severity: high
          pattern: '(unclosed'
          applies-to: text
          description: Does not compile.
          examples:
            match:
              - '(unclosed'

        """
    static func canaryExport(_ number: Int) -> String {
        "[07/11/2021, 09:00:00] PC Test: the code is ZEBRA-CANARY-\(4000 + number)\n[07/11/2021, 09:01:00] PC Other: ok\n"
    }

    /// Why the test cannot run here, or nil.
    static func skipReason(binary: String?) -> String? {
        #if !os(Linux)
            return "not Linux"
        #else
            if getuid() != 0 { return "not root (the test boots systemd in a namespace)" }
            for tool in [
                "/lib/systemd/systemd", "systemctl", "journalctl", "systemd-analyze", "systemd-sysusers",
                "systemd-tmpfiles", "unshare", "nsenter", "setpriv", "make", "timeout", "pgrep",
            ] where !Shell.hasCommand(tool) {
                return "\(tool) is not installed"
            }
            guard let binary else { return "no leakwatch binary (LEAKWATCH_BIN, .build/debug or .build/release)" }
            let help = Shell.run([binary, "daemon", "--help"], seconds: 20)
            if help.status != 0 { return "\(binary) has no working `daemon` subcommand: \(help.stderr.prefix(200))" }
            let probe = Shell.run(["unshare", "--fork", "--pid", "--mount", "--mount-proc", "true"], seconds: 20)
            if probe.status != 0 { return "unshare --pid --mount fails: \(probe.stderr.prefix(200))" }
            if !FileManager.default.fileExists(atPath: "/proc/filesystems")
                || !((try? String(contentsOfFile: "/proc/filesystems", encoding: .utf8)) ?? "").contains("overlay")
            {
                return "no overlay filesystem (harness.sh installs into overlays of /usr, /etc, /var)"
            }
            return nil
        #endif
    }

    @Test(.timeLimit(.minutes(10))) func serviceUnderRealSystemd() throws {
        let binary = Shell.leakwatchBinary
        if let reason = Self.skipReason(binary: binary) {
            print("RealSystemdTests skipped: \(reason)")
            return
        }
        let session = try Session(binary: binary!)
        defer { session.tearDown() }
        try session.runScenario()
    }
}

/// One booted namespace and the scenario run in it.
final class Session {
    let binary: String
    let scratch = Shell.scratchRoot + "/run"
    var state: String { scratch + "/state" }
    var spool: String { scratch + "/spool" }
    var incoming: String { scratch + "/incoming" }
    var init1 = ""

    init(binary: String) throws {
        self.binary = (binary as NSString).standardizingPath
        // A namespace left by an interrupted run is ended first.
        _ = Shell.run([Shell.harness, "stop", scratch], seconds: 20)
        _ = Shell.run(["rm", "-rf", scratch], seconds: 60)
        try FileManager.default.createDirectory(atPath: incoming, withIntermediateDirectories: true)
    }

    func tearDown() {
        // Keep the evidence for a failed run, then end every process of the namespace.
        let journal = ns(["journalctl", "--no-pager", "-o", "short-monotonic"], seconds: 20)
        try? journal.stdout.write(toFile: scratch + "/journal.txt", atomically: true, encoding: .utf8)
        let stop = Shell.run([Shell.harness, "stop", scratch], seconds: 30)
        if stop.status != 0 { print("harness stop: \(stop)") }
    }

    // MARK: Commands

    @discardableResult
    func ns(_ arguments: [String], input: String? = nil, seconds: Int = 30) -> Shell.Result {
        Shell.run([Shell.harness, "ns", scratch] + arguments, input: input, seconds: seconds)
    }

    func show(_ property: String) -> String {
        ns(["systemctl", "show", "-P", property, "leakwatch.service"]).stdout.trimmingCharacters(
            in: .whitespacesAndNewlines)
    }

    func journal() -> [JournalEntry] {
        let result = ns(["journalctl", "-u", "leakwatch.service", "-o", "json", "--no-pager", "--all"], seconds: 30)
        return Shell.jsonLines(result.stdout).map(JournalEntry.init)
    }

    func spoolAlerts() -> [[String: Any]] {
        let text = (try? String(contentsOfFile: spool + "/alerts.jsonl", encoding: .utf8)) ?? ""
        return Shell.jsonLines(text).filter { ($0["schema"] as? String) == "leakwatch.alert.v1" }
    }

    static func ruleID(_ alert: [String: Any]) -> String { ((alert["rule"] as? [String: Any])?["id"] as? String) ?? "" }
    static func sourcePath(_ alert: [String: Any]) -> String {
        ((alert["source"] as? [String: Any])?["path"] as? String) ?? ""
    }
    static func line(_ alert: [String: Any]) -> String {
        ((alert["message"] as? [String: Any])?["line"] as? Int).map(String.init) ?? ""
    }

    /// Deposits as the host would through a shared directory: written aside, renamed in.
    func dropFromHost(_ name: String, _ contents: String) throws {
        let aside = incoming + "/" + name
        try contents.write(toFile: aside, atomically: false, encoding: .utf8)
        #expect(rename(aside, state + "/drop/" + name) == 0, "rename into drop: \(String(cString: strerror(errno)))")
    }

    func waitForAlerts(from name: String, count: Int, seconds: Double = 30) -> [[String: Any]] {
        var alerts: [[String: Any]] = []
        _ = Shell.waitUntil(seconds: seconds) {
            alerts = spoolAlerts().filter { Self.sourcePath($0).hasSuffix("/" + name) }
            return alerts.count >= count
        }
        return alerts
    }

    func logTail() -> String {
        ns(["journalctl", "-u", "leakwatch.service", "--no-pager", "-n", "40"]).stdout
    }

    // MARK: The scenario

    func runScenario() throws {
        let repo = Shell.repository.path
        let boot = Shell.run([Shell.harness, "start", scratch, repo, binary], seconds: 120)
        try #require(boot.status == 0, "harness start: \(boot)")
        init1 = boot.stdout.trimmingCharacters(in: .whitespacesAndNewlines)

        try start()
        try dropAndAlert()
        try mediaUnderTheUnitsHardening()
        try reloads()
        try streamedExport()
        try hardening()
        try watchdog()
        try stop()
    }

    /// `systemctl start` returns once the daemon said READY=1, after its rules loaded.
    func start() throws {
        #expect(show("Type") == "notify")
        let started = ns(["systemctl", "start", "leakwatch.service"], seconds: 90)
        try #require(started.status == 0, "systemctl start: \(started)\n\(logTail())")
        #expect(show("ActiveState") == "active")
        #expect(show("SubState") == "running")
        let status = ns(["systemctl", "status", "--no-pager", "leakwatch.service"])
        #expect(status.stdout.contains("active (running)"), "\(status)")
        #expect(!show("StatusText").isEmpty, "no STATUS= from the daemon")

        // The daemon's "started" entry (logged once the rules are loaded and the watch armed,
        // before READY=1) precedes systemd's "Started leakwatch.service".
        let entries = journal()
        let daemonStarted = entries.first { $0.messageID == RealSystemdTests.messageIDs["started"] }
        let jobDone = entries.first { $0.messageID == RealSystemdTests.systemdJobDone && $0["JOB_TYPE"] == "start" }
        #expect(daemonStarted != nil, "no 'started' entry:\n\(logTail())")
        #expect(jobDone != nil, "no 'Started leakwatch.service' entry:\n\(logTail())")
        if let daemonStarted, let jobDone {
            #expect(
                daemonStarted.monotonic < jobDone.monotonic,
                "systemd reported the unit started before the daemon was ready")
        }
    }

    /// A deposited export yields the same alerts as `leakwatch scan`, in the journal (with the
    /// LEAKWATCH_ fields, explained by the catalog) and in the spool.
    func dropAndAlert() throws {
        let sample = Shell.repository.appendingPathComponent("samples/whatsapp-ios-briefing.txt").path
        let oracle = Shell.run(
            [
                binary, "scan", "--rules", Shell.repository.appendingPathComponent("rules").path, "--key",
                scratch + "/oracle.key",
                "--format", "json", sample,
            ], seconds: 60)
        try #require(oracle.status == 1, "leakwatch scan of the sample should find alerts: \(oracle)")
        let expected = Shell.jsonLines(oracle.stdout).map { "\(Session.ruleID($0))@\(Session.line($0))" }.sorted()
        try #require(!expected.isEmpty)

        // The drop directory as tmpfiles made it: group leakwatch-drop may write, not read.
        let dropGroup = ns(["getent", "group", "leakwatch-drop"]).stdout.split(separator: ":")
        let leakwatchUser = ns(["getent", "passwd", "leakwatch"]).stdout.split(separator: ":")
        try #require(dropGroup.count >= 3 && leakwatchUser.count >= 4, "users missing in the namespace")
        var info = stat()
        #expect(stat(state + "/drop", &info) == 0)
        #expect(info.st_mode & 0o7777 == 0o3730, "drop mode \(String(info.st_mode & 0o7777, radix: 8))")
        #expect(String(info.st_gid) == String(dropGroup[2]), "drop group \(info.st_gid)")
        let acl = PosixACL.defaultACL(of: state + "/drop") ?? []
        #expect(
            acl.contains(.init(tag: PosixACL.user, permissions: 7, id: UInt32(leakwatchUser[2]) ?? 0)),
            "default ACL lacks user leakwatch: \(acl)")
        #expect(acl.contains { $0.tag == PosixACL.groupObj && $0.permissions == 0 }, "\(acl)")
        #expect(acl.contains { $0.tag == PosixACL.other && $0.permissions == 0 }, "\(acl)")

        // A depositor (group leakwatch-drop only) with umask 077 deposits; cannot list the drop.
        let name = "briefing-\(getpid()).txt"
        let depositor = ["setpriv", "--reuid=lwdepositor", "--regid=lwdepositor", "--init-groups"]
        let deposit = ns(
            depositor + ["bash", "-c", "umask 077 && cat > /var/lib/leakwatch/drop/\(name)"],
            input: try String(contentsOfFile: sample, encoding: .utf8))
        #expect(deposit.status == 0, "depositor write: \(deposit)")
        let list = ns(depositor + ["ls", "/var/lib/leakwatch/drop"])
        #expect(list.status != 0 && list.stderr.contains("Permission denied"), "depositor could list the drop: \(list)")

        let alerts = waitForAlerts(from: name, count: expected.count)
        let got = alerts.map { "\(Session.ruleID($0))@\(Session.line($0))" }.sorted()
        #expect(got == expected, "spool alerts for \(name):\n\(logTail())")

        // The journal has the same alerts, with every LEAKWATCH_ field.
        var journalAlerts: [JournalEntry] = []
        _ = Shell.waitUntil(seconds: 15) {
            journalAlerts = journal().filter {
                $0.messageID == RealSystemdTests.messageIDs["alert"]
                    && ($0["LEAKWATCH_SOURCE"] ?? "").hasSuffix("/" + name)
            }
            return journalAlerts.count >= expected.count
        }
        #expect(
            journalAlerts.map { "\($0["LEAKWATCH_RULE"] ?? "")@\($0["LEAKWATCH_LINE"] ?? "")" }.sorted() == expected)
        for entry in journalAlerts {
            let missing = RealSystemdTests.alertFields.filter { entry[$0] == nil }
            #expect(missing.isEmpty, "alert entry lacks \(missing): \(entry.fields)")
        }
        #expect(
            Set(journalAlerts.compactMap { $0["LEAKWATCH_ALERT_ID"] })
                == Set(alerts.compactMap { $0["id"] as? String }),
            "journal and spool disagree on alert ids")
        let processed = Shell.waitUntil(seconds: 10) {
            journal().contains {
                $0.messageID == RealSystemdTests.messageIDs["file-processed"] && $0["LEAKWATCH_FILE"] == name
            }
        }
        #expect(processed, "no file-processed entry for \(name)")

        // journalctl -x explains the alert from the installed catalog.
        let explained = ns([
            "journalctl", "-x", "-u", "leakwatch.service", "--no-pager",
            "MESSAGE_ID=" + RealSystemdTests.messageIDs["alert"]!,
        ])
        if let first = journalAlerts.first?["LEAKWATCH_RULE"] {
            #expect(
                explained.stdout.contains("leakwatch alert: \(first) ("),
                "journalctl -x: \(explained.stdout.prefix(2000))")
        }

        // The export left the drop directory for done/ (retention keep); the spool is 0640 leakwatch.
        #expect(!((try? FileManager.default.contentsOfDirectory(atPath: state + "/drop")) ?? []).contains(name))
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: state + "/done")) ?? []).contains(name))
        var spoolInfo = stat()
        #expect(stat(spool + "/alerts.jsonl", &spoolInfo) == 0)
        #expect(spoolInfo.st_mode & 0o777 == 0o640, "spool mode \(String(spoolInfo.st_mode & 0o777, radix: 8))")
        #expect(String(spoolInfo.st_gid) == String(leakwatchUser[3]), "spool group \(spoolInfo.st_gid)")
        var spoolDirectory = stat()
        #expect(stat(spool, &spoolDirectory) == 0 && spoolDirectory.st_mode & 0o777 == 0o750)
    }

    /// `systemctl reload` returns once a good change is live; a broken one is refused, the old
    /// rules stay, and StatusText says why.
    func reloads() throws {
        let mainPID = show("MainPID")
        let writeCanary = ns(
            ["bash", "-c", "cat > /etc/leakwatch/rules.d/zz-service-test-canary.yml"],
            input: RealSystemdTests.canaryRule)
        try #require(writeCanary.status == 0, "\(writeCanary)")
        let good = ns(["systemctl", "reload", "leakwatch.service"], seconds: 90)
        #expect(good.status == 0, "reload with a good rule: \(good)\n\(logTail())")
        #expect(
            journal().contains { $0.messageID == RealSystemdTests.messageIDs["rules-loaded"] },
            "no rules-loaded entry after the reload")
        // Live as soon as reload returned: the next export is scanned with the canary rule.
        try dropFromHost("canary-1.txt", RealSystemdTests.canaryExport(1))
        let first = waitForAlerts(from: "canary-1.txt", count: 1)
        #expect(first.contains { Session.ruleID($0) == "service-test.canary" }, "canary rule not live:\n\(logTail())")

        let writeBroken = ns(
            ["bash", "-c", "cat > /etc/leakwatch/rules.d/zz-service-test-broken.yml"],
            input: RealSystemdTests.brokenRule)
        try #require(writeBroken.status == 0, "\(writeBroken)")
        let bad = ns(["systemctl", "reload", "leakwatch.service"], seconds: 90)
        #expect(bad.status != 0, "reload with a broken rule succeeded: \(bad)")
        #expect(show("ActiveState") == "active" && show("SubState") == "running")
        #expect(show("MainPID") == mainPID, "the daemon restarted on a broken reload")
        let statusText = show("StatusText")
        #expect(statusText.contains("rejected"), "StatusText: \(statusText)")
        #expect(
            journal().contains {
                $0.messageID == RealSystemdTests.messageIDs["rules-rejected"] && $0["LEAKWATCH_PROBLEM"] != nil
            },
            "no rules-rejected entry with LEAKWATCH_PROBLEM")
        // The old rules (with the canary) are still the ones scanning.
        try dropFromHost("canary-2.txt", RealSystemdTests.canaryExport(2))
        let second = waitForAlerts(from: "canary-2.txt", count: 1)
        #expect(second.contains { Session.ruleID($0) == "service-test.canary" }, "old rules not kept:\n\(logTail())")

        // Mend it, so that the restarts below load cleanly.
        ns(["rm", "-f", "/etc/leakwatch/rules.d/zz-service-test-broken.yml"])
        let mended = ns(["systemctl", "reload", "leakwatch.service"], seconds: 90)
        #expect(mended.status == 0, "reload after removing the broken rule: \(mended)")
    }

    /// An export over the stream threshold (8 MiB) is streamed, its alerts waiting in a spill
    /// file (the unit's private /var/tmp) until they are delivered: all of them reach the spool.
    func streamedExport() throws {
        let name = "canary-streamed.txt"
        var text = ""
        var minute = 0
        while text.utf8.count < 9_000_000 {
            let time = String(format: "%02d:%02d", minute / 60 % 24, minute % 60)
            text +=
                "[07/11/2021, \(time):00] PC Other: nothing to see in the parade room this morning, minute \(minute)\n"
            if minute % 20_000 == 0 {
                text += "[07/11/2021, \(time):30] PC Test: the code is ZEBRA-CANARY-\(5000 + minute / 20_000)\n"
            }
            minute += 1
        }
        let canaries = (0..<minute).filter { $0 % 20_000 == 0 }.count
        try dropFromHost(name, text)
        let alerts = waitForAlerts(from: name, count: canaries, seconds: 180)
        #expect(
            alerts.filter { Session.ruleID($0) == "service-test.canary" }.count == canaries,
            "streamed export: \(alerts.count) alerts of \(canaries)\n\(logTail())")
    }

    /// What the unit asks for is in force on the running process.
    /// A screenshot dropped on its own is read by the media worker (leakwatch re-executed) under
    /// the unit's hardening (seccomp filter, MemoryDenyWriteExecute, no new privileges) and its
    /// own (Landlock, its seccomp filter, rlimits): the marking in it gives a media-text alert.
    func mediaUnderTheUnitsHardening() throws {
        let name = "Screenshot-\(getpid()).png"
        let made = Shell.run([
            "convert", "-size", "800x200", "xc:white", "-font", "DejaVu-Sans", "-pointsize", "36", "-annotate",
            "+20+100", "OFFICIAL-SENSITIVE briefing", incoming + "/" + name,
        ])
        try #require(made.status == 0, "convert: \(made)")
        #expect(rename(incoming + "/" + name, state + "/drop/" + name) == 0)
        let alerts = waitForAlerts(from: name, count: 1, seconds: 60)
        let records = Shell.jsonLines((try? String(contentsOfFile: spool + "/alerts.jsonl", encoding: .utf8)) ?? "")
            .filter { ($0["schema"] as? String) == "leakwatch.record.v1" }
        #expect(alerts.map(Session.ruleID) == ["protective-marking.official-sensitive"], "\(records)\n\(logTail())")
        #expect(alerts.allSatisfy { ($0["match"] as? [String: Any])?["field"] as? String == "media-text" })
    }

    func hardening() throws {
        let pid = show("MainPID")
        try #require(Int(pid) ?? 0 > 0, "no MainPID")
        let status = ns(["cat", "/proc/\(pid)/status"]).stdout
        func field(_ name: String) -> String? {
            status.split(separator: "\n").first { $0.hasPrefix(name + ":") }
                .map { $0.dropFirst(name.count + 1).trimmingCharacters(in: .whitespaces) }
        }
        #expect(field("NoNewPrivs") == "1", "\(status)")
        #expect(field("CapEff") == "0000000000000000", "\(status)")
        #expect(field("CapBnd") == "0000000000000000", "\(status)")
        #expect(field("Seccomp") == "2", "\(status)")

        // In the daemon's mount namespace even root cannot write outside the allowed paths (the
        // mounts are read-only), and the daemon's user cannot see into /root.
        let outside = scratch + "/written-from-the-service"
        let probe = ns(
            [
                "nsenter", "-t", pid, "-m", "bash", "-c",
                """
                for p in '\(outside)' /etc/leakwatch/probe /etc/leakwatch/rules.d/probe /usr/share/leakwatch/probe /var/lib/probe; do
                  if : > "$p" 2>/dev/null; then echo "WROTE $p"; rm -f "$p"; else echo "denied $p"; fi
                done
                if : > /var/lib/leakwatch/probe; then echo "state ok"; rm -f /var/lib/leakwatch/probe; fi
                if : > /var/log/leakwatch/probe; then echo "spool ok"; rm -f /var/log/leakwatch/probe; fi
                echo "root entries: $(ls -A /root | wc -l)"
                setpriv --reuid=leakwatch --regid=leakwatch --clear-groups ls /root >/dev/null 2>&1 && echo "HOME READABLE" || echo "home denied"
                """,
            ])
        #expect(probe.status == 0, "\(probe)")
        #expect(!probe.stdout.contains("WROTE"), "\(probe.stdout)")
        #expect(probe.stdout.contains("denied \(outside)"), "\(probe.stdout)")
        #expect(probe.stdout.contains("state ok") && probe.stdout.contains("spool ok"), "\(probe.stdout)")
        #expect(probe.stdout.contains("root entries: 0"), "\(probe.stdout)")
        #expect(probe.stdout.contains("home denied"), "\(probe.stdout)")
        #expect(!FileManager.default.fileExists(atPath: outside))

        // systemd's own assessment of the running unit.
        let security = ns(["systemd-analyze", "security", "--no-pager", "leakwatch.service"], seconds: 60)
        let exposure = security.stdout.split(separator: "\n").first { $0.contains("Overall exposure level") }
            .flatMap { $0.split(separator: ":").last?.split(separator: " ").first.flatMap { Double($0) } }
        #expect(exposure.map { $0 <= 1.0 } == true, "\(security)")
    }

    /// A stopped (SIGSTOP) daemon misses its watchdog pings and is restarted.
    func watchdog() throws {
        let pid = show("MainPID")
        let restartsBefore = Int(show("NRestarts")) ?? 0
        #expect(show("WatchdogUSec") == "4s")
        let stopped = ns(["kill", "-STOP", pid])
        try #require(stopped.status == 0, "\(stopped)")
        let restarted = Shell.waitUntil(seconds: 45, interval: 0.5) {
            let now = show("MainPID")
            return now != pid && now != "0" && show("ActiveState") == "active" && show("SubState") == "running"
        }
        #expect(restarted, "no watchdog restart within 45s:\n\(logTail())")
        #expect((Int(show("NRestarts")) ?? 0) > restartsBefore)
        let text = ns(["journalctl", "-u", "leakwatch.service", "--no-pager"]).stdout
        #expect(text.contains("Watchdog timeout"), "\(text.suffix(2000))")

        // The new process works: it scans what is deposited.
        try dropFromHost("canary-3.txt", RealSystemdTests.canaryExport(3))
        let alerts = waitForAlerts(from: "canary-3.txt", count: 1)
        #expect(alerts.contains { Session.ruleID($0) == "service-test.canary" }, "after restart:\n\(logTail())")
    }

    /// `systemctl stop`: SIGTERM, STOPPING=1, clean exit.
    func stop() throws {
        let stopped = ns(["systemctl", "stop", "leakwatch.service"], seconds: 60)
        #expect(stopped.status == 0, "\(stopped)")
        #expect(show("ActiveState") == "inactive")
        #expect(show("Result") == "success", "Result=\(show("Result"))\n\(logTail())")
        #expect(show("ExecMainStatus") == "0")
        #expect(
            journal().contains { $0.messageID == RealSystemdTests.messageIDs["stopping"] },
            "no 'stopping' entry:\n\(logTail())")

        // Nothing the sandbox refused showed up in the log. (libdispatch's "Failed to set thread
        // priority ... errno=13" is not the sandbox: an unprivileged process may not raise a
        // thread's priority anywhere; errno=1 would be the seccomp filter refusing setpriority.)
        let complaints = journal().compactMap { $0["MESSAGE"] }.filter {
            ($0.contains("Failed to set thread priority") && $0.hasSuffix("errno=1")) || $0.contains("Backtracing")
                || $0.contains("Operation not permitted") || $0.contains("Bad system call")
        }
        #expect(complaints.isEmpty, "sandbox complaints in the journal: \(complaints.prefix(5))")
    }
}
