import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The daemon end to end, with real inotify on temporary directories.
@Suite(.serialized) struct DaemonIngestTests {
    static var androidSampleAlerts: Int { (try? DaemonHarness.alertCount("whatsapp-android-shift.txt")) ?? -1 }

    @Test func aDroppedExportBecomesAlertsInTheSpoolAndMovesToDone() throws {
        let daemon = try DaemonHarness()
        try daemon.startReady()
        try daemon.drop(sample: "whatsapp-android-shift.txt")
        #expect(try eventually { try daemon.spoolAlertIDs().count == Self.androidSampleAlerts })
        #expect(eventually { daemon.contents(of: daemon.state + "/done") == ["whatsapp-android-shift.txt"] })
        #expect(daemon.contents(of: daemon.drop).isEmpty)
        #expect(daemon.contents(of: daemon.state + "/work").isEmpty)
        // Consumers in the group can read the spool; processed exports are private.
        var info = stat()
        stat(daemon.spoolFile, &info)
        #expect(info.st_mode & 0o777 == 0o640)
        stat(daemon.state + "/done/whatsapp-android-shift.txt", &info)
        #expect(info.st_mode & 0o777 == 0o600)
        // Alerts are masked in the spool.
        let spool = try String(contentsOfFile: daemon.spoolFile, encoding: .utf8)
        #expect(!spool.contains("LS6"))
        #expect(spool.hasSuffix("\n"))
        #expect(daemon.stop() == 0)
        #expect(daemon.notify.messages.contains { $0.contains("STOPPING=1") })
    }

    @Test func temporaryAndHiddenNamesAreIgnoredUntilRenamed() throws {
        let daemon = try DaemonHarness()
        try daemon.startReady()
        let sample = try Data(contentsOf: repository.appendingPathComponent("samples/notes-plain.txt"))
        for name in ["upload.part", "upload.tmp", "x.crdownload", "~lock", ".hidden"] {
            try daemon.drop(name, contents: sample)
        }
        usleep(500_000)
        #expect(try daemon.spoolAlertIDs().isEmpty)
        #expect(daemon.contents(of: daemon.drop).count == 5)
        rename(daemon.drop + "/upload.part", daemon.drop + "/upload.txt")
        #expect(try eventually { try daemon.spoolAlertIDs().count == DaemonHarness.alertCount("notes-plain.txt") })
        _ = daemon.stop()
    }

    @Test func filesDroppedWhileStoppedAreProcessedAtStart() throws {
        let daemon = try DaemonHarness()
        try FileManager.default.createDirectory(atPath: daemon.drop, withIntermediateDirectories: true)
        try daemon.drop(sample: "whatsapp-android-shift.txt")
        try daemon.drop(sample: "whatsapp-ios-briefing.txt")
        try daemon.startReady()
        #expect(
            try eventually {
                try daemon.spoolAlertIDs().count
                    == (try DaemonHarness.alertCount("whatsapp-android-shift.txt", "whatsapp-ios-briefing.txt"))
            })
        #expect(eventually { daemon.contents(of: daemon.state + "/done").count == 2 })
        _ = daemon.stop()
    }

    @Test func aBurstOfAThousandFilesIsFullyProcessed() throws {
        let daemon = try DaemonHarness()
        try daemon.startReady(extraArguments: ["--retention", "delete"])
        for index in 0..<1000 {
            try daemon.drop(
                "export-\(index).txt",
                contents: Data("07/11/2021, 18:14 - PC \(index): OFFICIAL-SENSITIVE briefing number \(index)\n".utf8))
        }
        #expect(try eventually(timeout: .seconds(120)) { try daemon.spoolAlertIDs().count == 1000 })
        #expect(try Set(daemon.spoolAlertIDs()).count == 1000)
        #expect(
            eventually {
                daemon.contents(of: daemon.drop).isEmpty && daemon.contents(of: daemon.state + "/work").isEmpty
            })
        _ = daemon.stop()
    }

    @Test func hostileEntriesAreQuarantinedAndNothingOutsideIsRead() throws {
        let daemon = try DaemonHarness()
        try daemon.startReady()
        // A rule that would fire on /etc/passwd's content, to prove it is never read.
        symlink("/etc/passwd", daemon.drop + "/passwd-link")
        mkfifo(daemon.drop + "/fifo", 0o600)
        mkdir(daemon.drop + "/subdir", 0o700)
        try Data("OFFICIAL-SENSITIVE\n".utf8).write(to: daemon.root.appendingPathComponent("outside.txt"))
        link(daemon.root.appendingPathComponent("outside.txt").path, daemon.drop + "/hardlink")
        try daemon.drop("name\nwith newline.txt", contents: Data("OFFICIAL-SENSITIVE\n".utf8))
        let quarantine = daemon.state + "/quarantine"
        #expect(
            eventually {
                Set(daemon.contents(of: quarantine)).isSuperset(of: [
                    "passwd-link", "passwd-link.reason.json", "fifo", "fifo.reason.json", "subdir",
                    "subdir.reason.json",
                    "hardlink", "hardlink.reason.json",
                ])
            }, "\(daemon.contents(of: quarantine)) \(daemon.log)")
        // The file with a newline in its name is an ordinary export.
        #expect(try eventually { try daemon.spoolAlertIDs().count == 1 })
        let sidecar =
            try JSONSerialization.jsonObject(
                with: Data(contentsOf: URL(fileURLWithPath: quarantine + "/passwd-link.reason.json")))
            as? [String: String]
        #expect(sidecar?["reason"] == "not-regular-file")
        #expect(sidecar?["detail"] == "a symbolic link")
        // The daemon is still alive and well.
        try daemon.drop(sample: "notes-plain.txt")
        #expect(try eventually { try daemon.spoolAlertIDs().count == 1 + DaemonHarness.alertCount("notes-plain.txt") })
        #expect(daemon.stop() == 0)
    }

    @Test func unparseableAndOversizedExportsAreQuarantinedWithAReason() throws {
        let daemon = try DaemonHarness()
        try daemon.startReady(extraArguments: ["--max-file-size", "1KiB"])
        try daemon.drop("big.txt", contents: Data(repeating: UInt8(ascii: "a"), count: 4096))
        try daemon.drop("bad.zip", contents: Data("PK\u{3}\u{4}garbage".utf8))
        let quarantine = daemon.state + "/quarantine"
        #expect(eventually { daemon.contents(of: quarantine).count == 4 }, "\(daemon.contents(of: quarantine))")
        let big =
            try JSONSerialization.jsonObject(
                with: Data(contentsOf: URL(fileURLWithPath: quarantine + "/big.txt.reason.json"))) as? [String: String]
        #expect(big?["reason"] == "too-large")
        let bad =
            try JSONSerialization.jsonObject(
                with: Data(contentsOf: URL(fileURLWithPath: quarantine + "/bad.zip.reason.json"))) as? [String: String]
        #expect(bad?["reason"] != nil)
        _ = daemon.stop()
    }
}

@Suite(.serialized) struct DaemonStreamingTests {
    @Test func streamedExportsGiveTheSameAlertsAsAWholeFileScan() throws {
        let daemon = try DaemonHarness()
        try daemon.startReady(extraArguments: ["--stream-threshold", "1KiB", "--chunk-size", "1KiB"])
        let samples = ["whatsapp-android-shift.txt", "whatsapp-ios-briefing.txt", "notes-plain.txt"]
        for sample in samples { try daemon.drop(sample: sample) }
        let expected = try DaemonCrashSafetyTests.expectedIDs(for: samples, key: daemon.state + "/fingerprint.key")
        #expect(!expected.isEmpty)
        #expect(try eventually { try Set(daemon.spoolAlertIDs()) == expected }, "\(daemon.log)")
        #expect(eventually { daemon.contents(of: daemon.state + "/done").count == 3 })
        #expect(daemon.stop() == 0)
    }
}

@Suite(.serialized) struct DaemonCrossFilesystemTests {
    @Test(.enabled(if: getuid() == 0, "needs root to mount a tmpfs as the drop directory"))
    func aDropDirectoryOnAnotherFilesystemIsClaimedByCopyAndFsync() throws {
        let daemon = try DaemonHarness()
        try FileManager.default.createDirectory(atPath: daemon.drop, withIntermediateDirectories: true)
        guard mount("tmpfs", daemon.drop, "tmpfs", 0, "size=8m,mode=0770") == 0 else {
            print("skipped: cannot mount a tmpfs here")
            return
        }
        defer { umount2(daemon.drop, Int32(MNT_DETACH)) }
        try daemon.startReady()
        try daemon.drop(sample: "whatsapp-android-shift.txt")
        #expect(
            try eventually { try daemon.spoolAlertIDs().count == DaemonIngestTests.androidSampleAlerts },
            "\(daemon.log)")
        #expect(eventually { daemon.contents(of: daemon.state + "/done") == ["whatsapp-android-shift.txt"] })
        #expect(daemon.contents(of: daemon.drop).isEmpty)
        #expect(daemon.contents(of: daemon.state + "/work").isEmpty)
        #expect(daemon.stop() == 0)
    }
}
