import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The systemd protocol and live reload, against a fake `$NOTIFY_SOCKET`.
@Suite(.serialized) struct DaemonControlTests {
    static let extraRule = """
        - id: conduct.test-phrase
          title: Test phrase
          category: conduct
          severity: low
          pattern: 'purple elephant'
          options: [caseless]
          examples:
            match: ['a Purple Elephant']
            no-match: ['a grey elephant']
        """

    func reload(_ daemon: DaemonHarness) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: leakwatchBinary)
        process.arguments = ["reload", "--pid", String(daemon.pid), "--state-dir", daemon.state, "--timeout", "30"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }

    @Test func readyStatusAndStoppingFollowTheProtocol() throws {
        let daemon = try DaemonHarness()
        try daemon.startReady()
        #expect(
            eventually {
                (daemon.notify.lastStatus ?? "").contains("\((try? DaemonHarness.shippedRuleCount()) ?? 0) rules")
            })
        #expect(daemon.stop() == 0)
        let messages = daemon.notify.messages
        #expect(messages.contains { $0.contains("STOPPING=1") })
    }

    @Test func watchdogPingsAtHalfTheInterval() throws {
        let daemon = try DaemonHarness()
        try daemon.start(environment: ["WATCHDOG_USEC": "1000000"])
        #expect(eventually { daemon.notify.messages.filter { $0.contains("WATCHDOG=1") }.count >= 3 })
        _ = daemon.stop()
    }

    @Test func aGoodReloadMakesNewRulesLive() throws {
        let daemon = try DaemonHarness()
        try daemon.startReady()
        try daemon.drop("one.txt", contents: Data("07/11/2021, 18:14 - A: a purple elephant\n".utf8))
        #expect(eventually { daemon.contents(of: daemon.state + "/done").count == 1 })
        #expect(try daemon.spoolAlertIDs().isEmpty)

        try Self.extraRule.write(toFile: daemon.rules + "/local.yml", atomically: true, encoding: .utf8)
        #expect(try reload(daemon) == 0)
        #expect(daemon.notify.messages.contains { $0.contains("RELOADING=1") && $0.contains("MONOTONIC_USEC=") })
        try daemon.drop("two.txt", contents: Data("07/11/2021, 18:14 - A: another purple elephant\n".utf8))
        #expect(try eventually { try daemon.spoolAlertIDs().count == 1 })
        _ = daemon.stop()
    }

    @Test(arguments: [
        ("bad YAML", "- id: x\n  title: [broken\n"),
        (
            "bad pattern",
            DaemonControlTests.extraRule.replacingOccurrences(of: "'purple elephant'", with: "'purple (elephant'")
        ),
        (
            "failing example",
            DaemonControlTests.extraRule.replacingOccurrences(of: "['a grey elephant']", with: "['purple elephant']")
        ),
    ])
    func aBrokenReloadKeepsTheOldRulesAndSaysWhy(what: String, brokenFile: String) throws {
        let daemon = try DaemonHarness()
        try daemon.startReady()
        try brokenFile.write(toFile: daemon.rules + "/local.yml", atomically: true, encoding: .utf8)
        #expect(try reload(daemon) == 1, "\(what)")
        #expect(
            eventually { (daemon.notify.lastStatus ?? "").contains("reload rejected") },
            "\(daemon.notify.lastStatus ?? "")")
        let afterReady = daemon.notify.messages.last { $0.contains("READY=1") }
        #expect(afterReady != nil)
        // Detection goes on with the old rules.
        try daemon.drop(sample: "whatsapp-android-shift.txt")
        #expect(
            try eventually {
                try daemon.spoolAlertIDs().count == DaemonHarness.alertCount("whatsapp-android-shift.txt")
            })
        #expect(daemon.log.contains("rules-rejected"))
        // A later good reload clears the error from STATUS.
        try FileManager.default.removeItem(atPath: daemon.rules + "/local.yml")
        #expect(try reload(daemon) == 0)
        #expect(
            eventually { (daemon.notify.lastStatus ?? "").contains("last error: none") },
            "\(daemon.notify.lastStatus ?? "")")
        #expect(daemon.stop() == 0)
    }

    @Test func aConfigFileIsReadAndFlagsWin() throws {
        let daemon = try DaemonHarness()
        let config = daemon.root.appendingPathComponent("leakwatch.yml").path
        try """
        drop-dir: /nonexistent/overridden
        retention: delete
        workers: 1
        time-budget: 30
        spool-keep: 3
        """.write(toFile: config, atomically: true, encoding: .utf8)
        try daemon.startReady(extraArguments: ["--config", config])
        try daemon.drop(sample: "notes-plain.txt")
        #expect(try eventually { try daemon.spoolAlertIDs().count == DaemonHarness.alertCount("notes-plain.txt") })
        #expect(eventually { daemon.contents(of: daemon.state + "/work").isEmpty })
        #expect(daemon.contents(of: daemon.state + "/done").isEmpty, "retention: delete from the file")
        _ = daemon.stop()

        try "colour: blue\n".write(toFile: config, atomically: true, encoding: .utf8)
        let broken = try DaemonHarness()
        try broken.start(extraArguments: ["--config", config])
        #expect(broken.waitForDeath())
        #expect(broken.process?.terminationStatus == 2)
        #expect(broken.log.contains("leakwatch.yml:1: unknown setting 'colour'"))
    }
}
