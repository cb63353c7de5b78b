import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Exactly once across `kill -9`, torn lines and a full disk.
@Suite(.serialized) struct DaemonCrashSafetyTests {
    /// The alert ids `leakwatch scan` gives for the samples: what the spool must hold, once each.
    static func expectedIDs(for samples: [String], key: String) throws -> Set<String> {
        Set(
            try scanLines(for: samples, key: key).compactMap { line in
                let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
                return object?["schema"] as? String == "leakwatch.alert.v1" ? object?["id"] as? String : nil
            })
    }

    /// The JSON lines `leakwatch scan --format json` prints for the samples.
    static func scanLines(for samples: [String], key: String) throws -> [String] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: leakwatchBinary)
        process.arguments =
            ["scan", "--rules", repository.appendingPathComponent("rules").path, "--format", "json", "--key", key]
            + samples.map { repository.appendingPathComponent("samples/\($0)").path }
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init)
    }

    @Test(arguments: ["mid-scan", "before-spool", "after-spool", "after-state", "after-journal"])
    func killedAtAnyPointTheSpoolHoldsEveryAlertExactlyOnce(crashPoint: String) throws {
        let daemon = try DaemonHarness()
        let samples = ["whatsapp-android-shift.txt", "whatsapp-ios-briefing.txt"]
        try FileManager.default.createDirectory(atPath: daemon.drop, withIntermediateDirectories: true)
        for sample in samples { try daemon.drop(sample: sample) }
        // First run dies with SIGKILL at the crash point of the first file it handles.
        try daemon.start(extraArguments: ["--workers", "1"], environment: ["LEAKWATCH_TEST_CRASH_AT": crashPoint])
        #expect(daemon.waitForDeath())
        #expect(daemon.process?.terminationReason == .uncaughtSignal)
        // Second run recovers work/ and finishes.
        try daemon.startReady()
        let expected = try Self.expectedIDs(for: samples, key: daemon.state + "/fingerprint.key")
        #expect(!expected.isEmpty)
        #expect(try eventually { try Set(daemon.spoolAlertIDs()) == expected }, "\(daemon.log)")
        #expect(eventually { daemon.contents(of: daemon.state + "/done").count == 2 })
        let ids = try daemon.spoolAlertIDs()
        #expect(ids.count == Set(ids).count, "no alert id twice")
        #expect(daemon.stop() == 0)
    }

    @Test func aTornLastLineIsCutOffAtStart() throws {
        let daemon = try DaemonHarness()
        try FileManager.default.createDirectory(atPath: daemon.spoolDirectory, withIntermediateDirectories: true)
        let torn = "{\"schema\":\"leakwatch.alert.v1\",\"id\":\"half"
        try Data(torn.utf8).write(to: URL(fileURLWithPath: daemon.spoolFile))
        try daemon.startReady()
        try daemon.drop(sample: "notes-plain.txt")
        let expected = try DaemonHarness.alertCount("notes-plain.txt")
        #expect(try eventually { try daemon.spoolAlertIDs().count == expected })
        let text = try String(contentsOfFile: daemon.spoolFile, encoding: .utf8)
        #expect(!text.contains(torn), "the torn line is not in the record stream")
        #expect(text.hasSuffix("\n"))
        #expect(try String(contentsOfFile: daemon.spoolDirectory + "/alerts.torn", encoding: .utf8) == torn + "\n")
        #expect(daemon.log.contains("spool-repaired"))
        _ = daemon.stop()
    }

    @Test func rotationRenamesAndCreatesAndKeepsExactlyOnce() throws {
        let daemon = try DaemonHarness()
        try daemon.startReady(extraArguments: ["--spool-max-bytes", "4KiB", "--spool-keep", "50"])
        for sample in ["whatsapp-android-shift.txt", "whatsapp-ios-briefing.txt", "notes-plain.txt"] {
            try daemon.drop(sample: sample)
        }
        let files = { daemon.contents(of: daemon.spoolDirectory).filter { $0.hasPrefix("alerts.jsonl") } }
        #expect(eventually { daemon.contents(of: daemon.state + "/done").count == 3 })
        #expect(files().count > 2)
        var ids: [String] = []
        for file in files() {
            let text = try String(contentsOfFile: daemon.spoolDirectory + "/" + file, encoding: .utf8)
            #expect(text.hasSuffix("\n"))
            for line in text.split(separator: "\n") {
                let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
                if object?["schema"] as? String == "leakwatch.alert.v1", let id = object?["id"] as? String {
                    ids.append(id)
                }
            }
        }
        let total = try DaemonHarness.alertCount(
            "whatsapp-android-shift.txt", "whatsapp-ios-briefing.txt", "notes-plain.txt")
        #expect(ids.count == total)
        #expect(Set(ids).count == total)
        // Dropping the same bytes again adds nothing: the ids are already in the spool.
        try daemon.drop(sample: "notes-plain.txt", as: "again.txt")
        #expect(eventually { daemon.contents(of: daemon.state + "/done").count == 4 })
        let after = try files().flatMap { file in
            try String(contentsOfFile: daemon.spoolDirectory + "/" + file, encoding: .utf8).split(separator: "\n")
        }
        #expect(after.filter { $0.contains("leakwatch.alert.v1") }.count == total)
        _ = daemon.stop()
    }

    @Test(.enabled(if: getuid() == 0, "needs root to mount a small tmpfs"))
    func aFullDiskPausesIntakeAndLosesNothing() throws {
        let daemon = try DaemonHarness()
        try FileManager.default.createDirectory(atPath: daemon.spoolDirectory, withIntermediateDirectories: true)
        guard mountSmallTmpfs(at: daemon.spoolDirectory) else {
            print("skipped: cannot mount a tmpfs here")
            return
        }
        defer { umount2(daemon.spoolDirectory, Int32(MNT_DETACH)) }
        // Fill the disk, leaving less than one alert's worth.
        let filler = daemon.spoolDirectory + "/filler"
        let fd = open(filler, O_WRONLY | O_CREAT, 0o600)
        let block = [UInt8](repeating: 0, count: 4096)
        while write(fd, block, block.count) > 0 {}
        while write(fd, block, 64) > 0 {}
        close(fd)

        try daemon.startReady()
        try daemon.drop(sample: "whatsapp-android-shift.txt")
        #expect(eventually { daemon.contents(of: daemon.state + "/work") == ["whatsapp-android-shift.txt"] })
        #expect(eventually { (daemon.notify.lastStatus ?? "").contains("PAUSED") }, "\(daemon.notify.lastStatus ?? "")")
        #expect(try daemon.spoolAlertIDs().isEmpty)

        unlink(filler)
        #expect(
            try eventually(timeout: .seconds(60)) {
                try daemon.spoolAlertIDs().count == DaemonHarness.alertCount("whatsapp-android-shift.txt")
            }, "\(daemon.log)")
        #expect(eventually { daemon.contents(of: daemon.state + "/done") == ["whatsapp-android-shift.txt"] })
        let ids = try daemon.spoolAlertIDs()
        #expect(Set(ids).count == ids.count)
        // Once the disk has room again, STATUS says so: no PAUSED, no stale last error.
        #expect(
            eventually {
                let status = daemon.notify.lastStatus ?? ""
                return !status.contains("PAUSED") && status.contains("last error: none")
            }, "\(daemon.notify.lastStatus ?? "")")
        #expect(daemon.stop() == 0)
    }

    func mountSmallTmpfs(at path: String) -> Bool {
        mount("tmpfs", path, "tmpfs", 0, "size=64k,mode=0750") == 0
    }
}
