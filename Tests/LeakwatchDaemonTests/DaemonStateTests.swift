import Foundation
import LeakwatchTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The daemon with its state database: the four phones' exports of one chat give each leak one
/// alert and sightings, exactly once across `kill -9` at every step of delivery, across spool
/// rotation and across an upgrade from a spool kept without state.
@Suite(.serialized) struct DaemonStateTests {
    typealias Phone = FourPhoneChat.Phone

    /// An alert's leak whatever export it came from (see `FourPhoneScanTests`).
    static func identity(_ alert: [String: Any]) -> String {
        let source = alert["source"] as? [String: Any] ?? [:]
        let message = alert["message"] as? [String: Any] ?? [:]
        let rule = (alert["rule"] as? [String: Any])?["id"] as? String ?? ""
        let field = (alert["match"] as? [String: Any])?["field"] as? String ?? ""
        let path = (source["path"] as? String ?? "").split(separator: "/").last.map(String.init) ?? ""
        let phone = Phone(fileName: path)
        let sender = (message["sender"] as? String).map { phone?.person(named: $0)?.id ?? $0 } ?? ""
        let local = message["sent_local"] as? String ?? ""
        var minute = String(local.prefix(16))
        if let phone, phone.clockOffset != 0 {
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = TimeZone(identifier: "UTC")
            formatter.dateFormat = "yyyy-MM-dd'T'HH:mm"
            if let date = formatter.date(from: minute) {
                minute = formatter.string(from: date.addingTimeInterval(TimeInterval(phone.clockOffset * 60)))
            }
        }
        return "\(phone == nil ? path : "team")|\(rule)|\(field)|\(sender)|\(minute)"
    }

    /// What the five files must give together: the union of leaks, and how many sightings.
    static let expected: (leaks: Set<String>, sightings: Int) = {
        let directory = URL(fileURLWithPath: "/tmp").appendingPathComponent("leakwatch-expected-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        guard (try? FourPhoneChat.write(to: directory)) != nil,
            (try? Data(FourPhoneChat.otherChat()).write(
                to: directory.appendingPathComponent(FourPhoneChat.otherChatFileName)))
                != nil
        else { return ([], 0) }
        var all: [[String: Any]] = []
        for name in Phone.allCases.map(\.fileName) + [FourPhoneChat.otherChatFileName] {
            all += scanJSON([directory.appendingPathComponent(name).path], key: directory.path + "/key")
                .filter { $0["schema"] as? String == "leakwatch.alert.v1" }
        }
        let leaks = Set(all.map(identity))
        return (leaks, all.count - leaks.count)
    }()

    /// `leakwatch scan --format json` of `paths` (one state for the run).
    static func scanJSON(_ paths: [String], key: String) -> [[String: Any]] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: leakwatchBinary)
        process.arguments =
            ["scan", "--rules", repository.appendingPathComponent("rules").path, "--format", "json", "--key", key]
            + paths
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return [] }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self).split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
    }

    static func dropAll(_ daemon: DaemonHarness) throws {
        try FileManager.default.createDirectory(atPath: daemon.drop, withIntermediateDirectories: true)
        for phone in Phone.allCases { try daemon.drop(phone.fileName, contents: Data(try FourPhoneChat.export(phone))) }
        try daemon.drop(FourPhoneChat.otherChatFileName, contents: Data(FourPhoneChat.otherChat()))
    }

    /// Every line of every spool file, as JSON (each must be whole JSON).
    static func spoolLines(_ daemon: DaemonHarness) throws -> [[String: Any]] {
        let files = daemon.contents(of: daemon.spoolDirectory).filter { $0.hasPrefix("alerts.jsonl") }
        return try files.flatMap { file in
            let text = try String(contentsOfFile: daemon.spoolDirectory + "/" + file, encoding: .utf8)
            return try text.split(separator: "\n").map { line in
                try #require(
                    try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "not JSON: \(line)")
            }
        }
    }

    /// The spool holds each leak's alert once and each sighting once; the state agrees.
    static func expectExactlyOnce(_ daemon: DaemonHarness, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let lines = try spoolLines(daemon)
        let alerts = lines.filter { $0["schema"] as? String == "leakwatch.alert.v1" }
        let sightings = lines.filter { $0["kind"] as? String == "sighting" }
        #expect(Set(alerts.map(identity)) == expected.leaks, sourceLocation: sourceLocation)
        #expect(alerts.count == expected.leaks.count, "one alert per leak", sourceLocation: sourceLocation)
        #expect(sightings.count == expected.sightings, sourceLocation: sourceLocation)
        let ids = lines.compactMap { $0["id"] as? String }
        #expect(Set(ids).count == ids.count, "no line twice", sourceLocation: sourceLocation)
        let pairs = sightings.map {
            "\($0["alert"] as? String ?? "")|\(($0["source"] as? [String: Any])?["path"] as? String ?? "")"
        }
        #expect(Set(pairs).count == pairs.count, "one sighting per alert and export", sourceLocation: sourceLocation)
        let alertIDs = Set(alerts.compactMap { $0["id"] as? String })
        #expect(
            sightings.allSatisfy { alertIDs.contains($0["alert"] as? String ?? "") }, sourceLocation: sourceLocation)
        let check = shell(
            "'\(leakwatchBinary)' state check --state-dir '\(daemon.state)' --spool-dir '\(daemon.spoolDirectory)'")
        #expect(check.status == 0, "\(check.output)", sourceLocation: sourceLocation)
    }

    @Test func fourPhonesGiveOneAlertPerLeakAndTheirSightingsReachSpoolAndJournal() throws {
        #expect(!Self.expected.leaks.isEmpty)
        let journald = TestJournald()
        let daemon = try DaemonHarness()
        try daemon.startReady(journal: journald.available)
        try Self.dropAll(daemon)
        #expect(eventually { daemon.contents(of: daemon.state + "/done").count == 5 }, "\(daemon.log)")
        try Self.expectExactlyOnce(daemon)
        let alerts = try Self.spoolLines(daemon).filter { $0["schema"] as? String == "leakwatch.alert.v1" }
        for alert in alerts where Self.identity(alert).hasPrefix("team|") {
            #expect(((alert["message"] as? [String: Any])?["key"] as? String)?.count == 32)
            #expect((alert["exposure"] as? [String])?.isEmpty == false)
        }
        guard journald.available else {
            print("skipped the journal part: \(journald.reason)")
            _ = daemon.stop()
            return
        }
        let sightingIDs = Set(
            try Self.spoolLines(daemon).filter { $0["kind"] as? String == "sighting" }.compactMap {
                $0["id"] as? String
            })
        let match = ["MESSAGE_ID=1817afcb737e49ab91bda1192677dd47", "_PID=\(daemon.pid)"]
        #expect(eventually(timeout: .seconds(20)) { journald.entries(match).count >= sightingIDs.count })
        let entries = journald.entries(match)
        #expect(Set(entries.compactMap { $0["LEAKWATCH_RECORD_ID"] as? String }) == sightingIDs)
        #expect(entries.allSatisfy { $0["LEAKWATCH_ALERT_ID"] != nil && $0["LEAKWATCH_MESSAGE_KEY"] != nil })
        #expect(daemon.stop() == 0)
    }

    @Test(arguments: [[Phone.kate, .tom, .priya, .dave], [.priya, .dave, .kate, .tom]])
    func droppedOneAfterAnotherInAnyOrderEachLeakIsOneAlert(order: [Phone]) throws {
        let daemon = try DaemonHarness()
        try daemon.startReady()
        try daemon.drop(FourPhoneChat.otherChatFileName, contents: Data(FourPhoneChat.otherChat()))
        for (index, phone) in order.enumerated() {
            try daemon.drop(phone.fileName, contents: Data(try FourPhoneChat.export(phone)))
            #expect(eventually { daemon.contents(of: daemon.state + "/done").count == index + 2 }, "\(daemon.log)")
        }
        try Self.expectExactlyOnce(daemon)
        // The alerts are in the export that came first.
        let alerts = try Self.spoolLines(daemon).filter { $0["schema"] as? String == "leakwatch.alert.v1" }
        for alert in alerts where Self.identity(alert).hasPrefix("team|") {
            let path = (alert["source"] as? [String: Any])?["path"] as? String ?? ""
            let phone = try #require(Phone(fileName: path))
            let earlier = order.prefix { $0 != phone }
            #expect(earlier.allSatisfy { $0 == .kate }, "only Kate's export can come before and lack a leak: \(path)")
        }
        #expect(daemon.stop() == 0)
    }

    /// Every step of delivering an export, killed at its first passage and at its third (when the
    /// state already holds other exports of the chat, so sightings are in flight).
    static let crashes: [String] = ExportProcessorCrashPoints.all.flatMap { ["\($0)", "\($0)@3"] }

    @Test(arguments: crashes)
    func killedAtAnyStepEachAlertAndSightingIsDeliveredOnce(crash: String) throws {
        let daemon = try DaemonHarness()
        try Self.dropAll(daemon)
        try daemon.start(extraArguments: ["--workers", "1"], environment: ["LEAKWATCH_TEST_CRASH_AT": crash])
        #expect(daemon.waitForDeath())
        #expect(daemon.process?.terminationReason == .uncaughtSignal, "\(crash): \(daemon.log)")
        try daemon.startReady(extraArguments: ["--workers", "2"])
        #expect(eventually { daemon.contents(of: daemon.state + "/done").count == 5 }, "\(daemon.log)")
        #expect(daemon.contents(of: daemon.state + "/work").isEmpty)
        try Self.expectExactlyOnce(daemon)
        #expect(daemon.stop() == 0)
    }

    @Test func anAlertWhoseSpoolFileWasRotatedAwayIsStillKnown() throws {
        let daemon = try DaemonHarness()
        try daemon.startReady(extraArguments: ["--spool-max-bytes", "2KiB", "--spool-keep", "1"])
        try daemon.drop(Phone.dave.fileName, contents: Data(try FourPhoneChat.export(.dave)))
        #expect(eventually { daemon.contents(of: daemon.state + "/done").count == 1 })
        let first = try Self.spoolLines(daemon).compactMap { $0["id"] as? String }
        // Other exports push Dave's alerts out of every spool file.
        for (index, sample) in ["whatsapp-android-shift.txt", "whatsapp-ios-briefing.txt", "notes-plain.txt"]
            .enumerated()
        {
            try daemon.drop(sample: sample)
            #expect(eventually { daemon.contents(of: daemon.state + "/done").count == index + 2 })
        }
        let now = Set(try Self.spoolLines(daemon).compactMap { $0["id"] as? String })
        #expect(now.isDisjoint(with: first), "rotated away")
        // Priya's export of the same chat: sightings, not alerts, though the spool no longer has them.
        try daemon.drop(Phone.priya.fileName, contents: Data(try FourPhoneChat.export(.priya)))
        #expect(eventually { daemon.contents(of: daemon.state + "/done").count == 5 })
        let fromPriya = try Self.spoolLines(daemon).filter {
            (($0["source"] as? [String: Any])?["path"] as? String ?? "").hasSuffix(Phone.priya.fileName)
        }
        #expect(!fromPriya.isEmpty)
        #expect(fromPriya.allSatisfy { $0["kind"] as? String == "sighting" }, "\(fromPriya.compactMap { $0["rule"] })")
        // After a restart too: Dave's bytes again add no alert and no sighting, only the record
        // that says this file repeats an export seen before.
        #expect(daemon.stop() == 0)
        try daemon.startReady(extraArguments: ["--spool-max-bytes", "2KiB", "--spool-keep", "1"])
        let before = Set(try Self.spoolLines(daemon).compactMap { $0["id"] as? String })
        try daemon.drop("again.txt", contents: Data(try FourPhoneChat.export(.dave)))
        #expect(eventually { daemon.contents(of: daemon.state + "/done").count == 6 })
        let added = try Self.spoolLines(daemon).filter { !before.contains($0["id"] as? String ?? "") }
        #expect(added.map { $0["kind"] as? String } == ["duplicate-export"])
        #expect(daemon.stop() == 0)
    }

    @Test func aNewStateOverAnOldSpoolWritesNothingTwice() throws {
        let daemon = try DaemonHarness()
        try daemon.startReady()
        try daemon.drop(sample: "whatsapp-android-shift.txt")
        let count = try DaemonHarness.alertCount("whatsapp-android-shift.txt")
        #expect(try eventually { try daemon.spoolAlertIDs().count == count })
        #expect(daemon.stop() == 0)
        // An installation from before the state database: a spool, no state.sqlite.
        for suffix in ["", "-wal", "-shm"] { unlink(daemon.state + "/state.sqlite" + suffix) }
        try daemon.startReady()
        try daemon.drop(sample: "whatsapp-android-shift.txt", as: "same-bytes-again.txt")
        #expect(eventually { daemon.contents(of: daemon.state + "/done").count == 2 })
        #expect(try daemon.spoolAlertIDs().count == count)
        #expect(daemon.log.contains("ids already in the spool counted as delivered"))
        #expect(daemon.stop() == 0)
    }
}

/// The daemon's crash points (`LEAKWATCH_TEST_CRASH_AT`), in delivery order.
enum ExportProcessorCrashPoints {
    static let all = ["mid-scan", "before-spool", "after-spool", "after-state", "after-journal"]
}
