import Foundation
import LeakwatchDaemon
import LeakwatchOutputs
import Posix
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Regression tests for what the fault campaign of issue 9 found: the real daemon on real
/// directories, real inotify, small tmpfs mounts for full disks (as root), real SIGKILLs.

/// Fills the filesystem holding `directory` with a file, leaving less than a page; returns it.
func fillFilesystem(_ directory: String) -> String {
    let filler = directory + "/filler"
    let fd = open(filler, O_WRONLY | O_CREAT, 0o600)
    let block = [UInt8](repeating: 0, count: 4096)
    while write(fd, block, block.count) > 0 {}
    while write(fd, block, 64) > 0 {}
    close(fd)
    return filler
}

/// The alerts the shipped rules give for the Android sample (computed once, with `leakwatch scan`).
let androidAlerts: Int = (try? DaemonHarness.alertCount("whatsapp-android-shift.txt")) ?? -1

/// A small tmpfs on `path` (root only); false when it cannot be mounted.
func mountSmallTmpfs(at path: String, size: String = "256k") -> Bool {
    mount("tmpfs", path, "tmpfs", 0, "size=\(size),mode=0750") == 0
}

@Suite(.serialized) struct DaemonSpoolRepairTests {
    /// A kill -9 inside a spool write leaves a partial last line holding a complete `"id"`. It must
    /// never count as delivered: not when it is the spool's tail (cut at start), not when an older
    /// version sealed it and rotated it away (only whole JSON lines count).
    @Test(arguments: ["torn tail of the spool", "sealed torn line in a rotated file"])
    func aTornLineNeverCountsAsDelivered(where: String) throws {
        let daemon = try DaemonHarness()
        let sample = "whatsapp-android-shift.txt"
        for directory in [daemon.spoolDirectory, daemon.state + "/work", daemon.drop] {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        let key = daemon.state + "/fingerprint.key"
        let lines = try DaemonCrashSafetyTests.scanLines(for: [sample], key: key)
            .filter { $0.contains("\"schema\":\"leakwatch.alert.v1\"") }
        #expect(lines.count == (try DaemonHarness.alertCount(sample)))
        let torn = try String(lines[0][..<#require(lines[0].range(of: "\"match\":")).upperBound])
        #expect(torn.contains("\"id\":\""), "the torn line holds a complete id")
        let tail = `where` == "torn tail of the spool"
        if tail {
            try Data(torn.utf8).write(to: URL(fileURLWithPath: daemon.spoolFile))
        } else {
            try Data((torn + "\n").utf8).write(to: URL(fileURLWithPath: daemon.spoolFile + ".1"))
        }
        // The export it came from was in work/ when the daemon died.
        try FileManager.default.copyItem(
            atPath: repository.appendingPathComponent("samples/\(sample)").path,
            toPath: daemon.state + "/work/" + sample)
        if tail {
            // Killed again before re-delivering: the torn line must already be gone, not sealed.
            try daemon.start(environment: ["LEAKWATCH_TEST_CRASH_AT": "mid-scan"])
            #expect(daemon.waitForDeath())
            let after = (try? String(contentsOfFile: daemon.spoolFile, encoding: .utf8)) ?? ""
            #expect(!after.contains(torn), "the torn line is cut, never sealed into the spool")
            #expect(try String(contentsOfFile: daemon.spoolDirectory + "/alerts.torn", encoding: .utf8).contains(torn))
        }
        try daemon.startReady()
        let expected = try DaemonCrashSafetyTests.expectedIDs(for: [sample], key: key)
        #expect(try eventually { try Set(daemon.spoolAlertIDs()) == expected }, "\(daemon.log)")
        let ids = try daemon.spoolAlertIDs()
        #expect(ids.count == Set(ids).count)
        #expect(eventually { daemon.contents(of: daemon.state + "/done") == [sample] })
        #expect(daemon.stop() == 0)
    }

    /// The issue's sequence, unaided: killed inside a spool write (half a batch on disk), killed
    /// again before the export is redone, then started: every alert is there, once, whole.
    @Test func killedInsideASpoolWriteAndAgainBeforeTheRedoNothingIsLost() throws {
        let daemon = try DaemonHarness()
        let samples = ["whatsapp-android-shift.txt", "whatsapp-ios-briefing.txt"]
        try FileManager.default.createDirectory(atPath: daemon.drop, withIntermediateDirectories: true)
        for sample in samples { try daemon.drop(sample: sample) }
        try daemon.start(
            extraArguments: ["--workers", "1"], environment: ["LEAKWATCH_TEST_CRASH_AT": "mid-spool-write"])
        #expect(daemon.waitForDeath())
        let torn = try Data(contentsOf: URL(fileURLWithPath: daemon.spoolFile))
        #expect(!torn.isEmpty && torn.last != UInt8(ascii: "\n"), "a torn last line")
        try daemon.start(extraArguments: ["--workers", "1"], environment: ["LEAKWATCH_TEST_CRASH_AT": "mid-scan"])
        #expect(daemon.waitForDeath())
        try daemon.startReady()
        let expected = try DaemonCrashSafetyTests.expectedIDs(for: samples, key: daemon.state + "/fingerprint.key")
        #expect(!expected.isEmpty)
        #expect(try eventually { try Set(daemon.spoolAlertIDs()) == expected }, "\(daemon.log)")
        #expect(eventually { daemon.contents(of: daemon.state + "/done").count == 2 })
        let ids = try daemon.spoolAlertIDs()
        #expect(ids.count == Set(ids).count)
        let text = try Data(contentsOf: URL(fileURLWithPath: daemon.spoolFile))
        #expect(text.last == UInt8(ascii: "\n"))
        #expect(daemon.stop() == 0)
    }

    @Test func onlyWholeJSONLinesCountAndATornTailIsKeptAside() throws {
        let directory = "/tmp/leakwatch-spool-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try Data("{\"id\":\"sealed\",\"match\":{\"x\":1}\n{\"id\":\"whole\"}\n".utf8)
            .write(to: URL(fileURLWithPath: directory + "/alerts.jsonl.1"))
        try Data("{\"id\":\"ok\",\"a\":[1,{\"b\":\"}\"}]}\n{\"id\":\"torn\",\"match\":{".utf8)
            .write(to: URL(fileURLWithPath: directory + "/alerts.jsonl"))
        let spool = try AlertSpool(AlertSpool.Configuration(directory: directory))
        #expect(spool.contains("whole"))
        #expect(spool.contains("ok"))
        #expect(!spool.contains("sealed"))
        #expect(!spool.contains("torn"))
        #expect(spool.repairs.count == 1)
        #expect(
            try String(contentsOfFile: directory + "/alerts.jsonl", encoding: .utf8)
                == "{\"id\":\"ok\",\"a\":[1,{\"b\":\"}\"}]}\n")
        #expect(
            try String(contentsOfFile: directory + "/alerts.torn", encoding: .utf8) == "{\"id\":\"torn\",\"match\":{\n")
    }
}

@Suite(.serialized) struct DaemonStateDiskTests {
    /// The state directory on another filesystem than the drop directory: the claim is a copy.
    /// When that copy fails for lack of space, the export waits in drop/, STATUS says PAUSED with
    /// the reason, and it is processed as soon as there is room (no restart).
    @Test(.enabled(if: getuid() == 0, "needs root to mount a small tmpfs"))
    func aClaimThatFailsOnAFullStateDiskPausesAndRetries() throws {
        let daemon = try DaemonHarness()
        try FileManager.default.createDirectory(atPath: daemon.state, withIntermediateDirectories: true)
        // Room for the state database, whose write-ahead log grows to a few hundred KiB before
        // its first checkpoint; then filled up entirely.
        guard mountSmallTmpfs(at: daemon.state, size: "8m") else {
            print("skipped: cannot mount a tmpfs here")
            return
        }
        defer { umount2(daemon.state, Int32(MNT_DETACH)) }
        try daemon.startReady()
        let filler = fillFilesystem(daemon.state)
        try daemon.drop(sample: "whatsapp-android-shift.txt")
        #expect(
            eventually {
                let status = daemon.notify.lastStatus ?? ""
                return status.contains("PAUSED") && status.contains("cannot claim")
                    && status.contains("No space left on device") && !status.contains("last error: none")
            }, "\(daemon.notify.lastStatus ?? "")")
        #expect(daemon.contents(of: daemon.drop) == ["whatsapp-android-shift.txt"], "still in the drop directory")
        #expect(daemon.contents(of: daemon.state + "/work").isEmpty, "no half copy left")
        #expect(try daemon.spoolAlertIDs().isEmpty)

        unlink(filler)
        #expect(
            try eventually(timeout: .seconds(60)) { try daemon.spoolAlertIDs().count == androidAlerts }, "\(daemon.log)"
        )
        #expect(eventually { daemon.contents(of: daemon.state + "/done") == ["whatsapp-android-shift.txt"] })
        #expect(daemon.contents(of: daemon.drop).isEmpty)
        #expect(
            eventually {
                let status = daemon.notify.lastStatus ?? ""
                return !status.contains("PAUSED") && status.contains("last error: none")
            }, "\(daemon.notify.lastStatus ?? "")")
        #expect(daemon.stop() == 0)
    }

    /// A copy-claim killed after the original was unlinked is finished at the next start; one
    /// killed before is undone (the original is processed). Nothing is lost either way.
    @Test(.enabled(if: getuid() == 0, "needs root to mount a tmpfs as the drop directory"))
    func anInterruptedCopyClaimIsFinishedOrUndoneAtStart() throws {
        let daemon = try DaemonHarness()
        try FileManager.default.createDirectory(atPath: daemon.drop, withIntermediateDirectories: true)
        guard mount("tmpfs", daemon.drop, "tmpfs", 0, "size=8m,mode=0770") == 0 else {
            print("skipped: cannot mount a tmpfs here")
            return
        }
        defer { umount2(daemon.drop, Int32(MNT_DETACH)) }
        try daemon.drop(sample: "whatsapp-android-shift.txt")
        try daemon.start(environment: ["LEAKWATCH_TEST_CRASH_AT": "mid-claim"])
        #expect(daemon.waitForDeath())
        #expect(daemon.contents(of: daemon.drop) == ["whatsapp-android-shift.txt"], "killed before the unlink")
        try daemon.startReady()
        #expect(try eventually { try daemon.spoolAlertIDs().count == androidAlerts }, "\(daemon.log)")
        #expect(eventually { daemon.contents(of: daemon.state + "/done") == ["whatsapp-android-shift.txt"] })
        #expect(daemon.contents(of: daemon.state + "/work").isEmpty, "the interrupted copy was removed")
        #expect(daemon.stop() == 0)
    }
}

@Suite(.serialized) struct DaemonNameTests {
    /// A name that is not UTF-8 is claimed, scanned and filed under its own bytes, and shown
    /// escaped in the spool and the log.
    @Test func aNameThatIsNotUTF8IsProcessedAndShownEscaped() throws {
        let daemon = try DaemonHarness()
        try daemon.startReady()
        let name = FileName(bytes: Array("caf".utf8) + [0xE9] + Array(" shift.txt".utf8))
        try daemon.drop(name: name, contents: daemon.sampleData("whatsapp-android-shift.txt"))
        #expect(try eventually { try daemon.spoolAlertIDs().count == androidAlerts }, "\(daemon.log)")
        #expect(eventually { (try? Posix.listDirectory(SystemPath(daemon.state + "/done"))) == [name] })
        let paths = Set(try daemon.spoolObjects().compactMap { ($0["source"] as? [String: Any])?["path"] as? String })
        #expect(paths == [daemon.drop + "/caf\\xE9 shift.txt"])
        #expect(eventually { daemon.log.contains("processed caf\\xE9 shift.txt") }, "\(daemon.log)")
        #expect(daemon.stop() == 0)
    }

    /// A 255-byte name dropped three times: each copy is filed (the collision names fit
    /// NAME_MAX), nothing stays in work/, nothing is scanned again at the next start.
    @Test func aLongNameDroppedAgainIsFiledUnderANameThatFits() throws {
        let daemon = try DaemonHarness()
        try daemon.startReady()
        let name = String(repeating: "x", count: 251) + ".txt"
        for index in 0..<3 {
            try daemon.drop(name, contents: Data("07/11/2021, 18:14 - A: OFFICIAL-SENSITIVE note \(index)\n".utf8))
            #expect(eventually { daemon.contents(of: daemon.state + "/done").count == index + 1 }, "\(daemon.log)")
        }
        let done = daemon.contents(of: daemon.state + "/done")
        #expect(done.allSatisfy { $0.utf8.count <= 255 })
        #expect(done.contains(name))
        #expect(daemon.contents(of: daemon.state + "/work").isEmpty)
        #expect(try daemon.spoolAlertIDs().count == 3)
        #expect(!daemon.log.contains("error"), "\(daemon.log)")
        #expect(daemon.stop() == 0)
    }

    /// A 255-byte name quarantined still gets its sidecar (under a name that fits), which names
    /// the file in full.
    @Test func aLongQuarantinedNameGetsASidecar() throws {
        let daemon = try DaemonHarness()
        try daemon.startReady()
        let name = String(repeating: "q", count: 255)
        symlink("/etc/passwd", daemon.drop + "/" + name)
        let quarantine = daemon.state + "/quarantine"
        #expect(
            eventually { daemon.contents(of: quarantine).contains { $0.hasSuffix(".reason.json") } },
            "\(daemon.contents(of: quarantine))")
        let sidecar = try #require(daemon.contents(of: quarantine).first { $0.hasSuffix(".reason.json") })
        #expect(sidecar.utf8.count <= 255)
        let json =
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: quarantine + "/" + sidecar)))
            as? [String: String]
        #expect(json?["file"] == name)
        #expect(json?["reason"] == "not-regular-file")
        #expect(daemon.stop() == 0)
    }
}

@Suite(.serialized) struct DaemonDropDirectoryTests {
    /// Deleting, moving away or replacing the drop directory: the gap is reported in STATUS and
    /// the log, the watch is re-armed when a directory is back, and what is dropped into it then
    /// (or meanwhile) is processed.
    @Test(arguments: ["deleted", "moved away", "replaced at once"])
    func theWatchIsRearmedWhenTheDropDirectoryComesBack(how: String) throws {
        let daemon = try DaemonHarness()
        try daemon.startReady()
        switch how {
        case "deleted": rmdir(daemon.drop)
        case "moved away": rename(daemon.drop, daemon.drop + ".old")
        default:
            rename(daemon.drop, daemon.drop + ".old")
            mkdir(daemon.drop, 0o770)
        }
        #expect(eventually { daemon.log.contains("drop-directory-lost") }, "\(daemon.log)")
        if how != "replaced at once" {
            #expect(
                eventually { (daemon.notify.lastStatus ?? "").contains("WAITING") }, "\(daemon.notify.lastStatus ?? "")"
            )
            mkdir(daemon.drop, 0o770)
        }
        #expect(eventually { daemon.log.contains("drop-directory-rearmed") }, "\(daemon.log)")
        try daemon.drop(sample: "whatsapp-android-shift.txt")
        #expect(try eventually { try daemon.spoolAlertIDs().count == androidAlerts }, "\(daemon.log)")
        #expect(
            eventually {
                let status = daemon.notify.lastStatus ?? ""
                return !status.contains("WAITING") && status.contains("last error: none")
            }, "\(daemon.notify.lastStatus ?? "")")
        #expect(daemon.stop() == 0)
    }

    /// More exports left in work/ than the queue holds: all are redone in one run.
    @Test func leftoversBeyondTheQueueCapacityAreAllRedone() throws {
        let daemon = try DaemonHarness()
        try FileManager.default.createDirectory(atPath: daemon.state + "/work", withIntermediateDirectories: true)
        for index in 0..<30 {
            try Data("07/11/2021, 18:14 - A: OFFICIAL-SENSITIVE left \(index)\n".utf8)
                .write(to: URL(fileURLWithPath: daemon.state + "/work/left-\(index).txt"))
        }
        try daemon.startReady(extraArguments: ["--queue-capacity", "4"])
        #expect(eventually { daemon.contents(of: daemon.state + "/done").count == 30 }, "\(daemon.log)")
        #expect(daemon.contents(of: daemon.state + "/work").isEmpty)
        #expect(try daemon.spoolAlertIDs().count == 30)
        #expect(daemon.stop() == 0)
    }
}

@Suite(.serialized) struct DaemonMemoryTests {
    /// Writes `size` bytes starting with `head` (the rest a hole reading as NUL bytes) under a
    /// hidden name and renames it into the drop directory.
    static func dropSparse(_ daemon: DaemonHarness, name: String, head: [UInt8], size: Int) throws {
        let staging = daemon.drop + "/.staging-\(UUID().uuidString)"
        let fd = open(staging, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        #expect(fd >= 0)
        _ = head.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        #expect(ftruncate(fd, off_t(size)) == 0)
        close(fd)
        #expect(rename(staging, daemon.drop + "/" + name) == 0)
    }

    static func sidecar(_ daemon: DaemonHarness, _ name: String) -> [String: String]? {
        let path = daemon.state + "/quarantine/" + name + ".reason.json"
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return try? JSONSerialization.jsonObject(with: data) as? [String: String]
    }

    /// A text without a single line break is cut into pieces that are all matched, with a note,
    /// and the daemon's memory stays within the streaming bound.
    @Test func aFileWithoutLineBreaksIsMatchedInPiecesInBoundedMemory() throws {
        let daemon = try DaemonHarness()
        try daemon.startReady(extraArguments: [
            "--max-line-length", "512KiB", "--stream-threshold", "2MiB", "--chunk-size", "512KiB", "--workers", "1",
            "--time-budget", "600",
        ])
        var text = Data(repeating: UInt8(ascii: "a"), count: 6 << 20)
        let marker = Data(" OFFICIAL-SENSITIVE ".utf8)
        text.replaceSubrange((5 << 20)..<((5 << 20) + marker.count), with: marker)
        try daemon.drop("one-line.txt", contents: text)
        #expect(
            eventually(timeout: .seconds(300)) { daemon.contents(of: daemon.state + "/done") == ["one-line.txt"] },
            "\(daemon.log)")
        let rules = try daemon.spoolObjects().compactMap { ($0["rule"] as? [String: Any])?["id"] as? String }
        #expect(rules.contains("protective-marking.official-sensitive"), "the piece holding it is matched")
        #expect(try !daemon.spoolRecords(kind: "note").filter { $0["code"] as? String == "long-line" }.isEmpty)
        let peak = try #require(daemon.memory("VmHWM"))
        #expect(peak < 160 << 20, "peak RSS \(peak >> 20) MiB for a 6 MiB line, streamed")
        #expect(daemon.stop() == 0)
    }

    /// Two gigabytes of NUL bytes are refused from their first bytes, without reading the rest.
    @Test func aFileOfNULBytesIsQuarantinedAsBinaryAtOnce() throws {
        let daemon = try DaemonHarness()
        try daemon.startReady()
        try Self.dropSparse(daemon, name: "zeros.txt", head: [], size: 2 << 30)
        #expect(eventually { Self.sidecar(daemon, "zeros.txt") != nil }, "\(daemon.log)")
        #expect(Self.sidecar(daemon, "zeros.txt")?["reason"] == "binary")
        let peak = try #require(daemon.memory("VmHWM"))
        #expect(peak < 100 << 20, "peak RSS \(peak >> 20) MiB")
        #expect(daemon.stop() == 0)
    }

    /// A file over the archive limit that starts like a zip is refused by its size (fstat), before
    /// any of it is read.
    @Test func anOversizedArchiveIsRefusedBeforeItIsRead() throws {
        let daemon = try DaemonHarness()
        try daemon.startReady(extraArguments: ["--max-archive-size", "64MiB"])
        try Self.dropSparse(daemon, name: "huge.zip", head: [0x50, 0x4B, 0x03, 0x04], size: 600 << 20)
        #expect(eventually { Self.sidecar(daemon, "huge.zip") != nil }, "\(daemon.log)")
        #expect(Self.sidecar(daemon, "huge.zip")?["reason"] == "too-large")
        let peak = try #require(daemon.memory("VmHWM"))
        #expect(peak < 100 << 20, "peak RSS \(peak >> 20) MiB for a 600 MiB archive")
        #expect(daemon.stop() == 0)
    }
}

@Suite(.serialized) struct DaemonRecordTests {
    /// The same bytes under a second name add no alert, but a `duplicate-export` record names
    /// the second file and the first; the first processed again after a crash is no duplicate.
    @Test func aSecondCopyIsRecordedAsADuplicateExport() throws {
        let daemon = try DaemonHarness()
        try daemon.startReady()
        try daemon.drop(sample: "whatsapp-android-shift.txt", as: "first.txt")
        #expect(eventually { daemon.contents(of: daemon.state + "/done") == ["first.txt"] })
        try daemon.drop(sample: "whatsapp-android-shift.txt", as: "second.txt")
        #expect(eventually { daemon.contents(of: daemon.state + "/done").count == 2 })
        #expect(try daemon.spoolAlertIDs().count == androidAlerts, "no new alert ids")
        let records = try daemon.spoolRecords(kind: "duplicate-export")
        #expect(records.count == 1)
        let detail = records.first?["detail"] as? String ?? ""
        #expect(detail.contains("second.txt") && detail.contains("first.txt"), "\(detail)")
        #expect((records.first?["source"] as? [String: Any])?["path"] as? String == daemon.drop + "/second.txt")
        #expect(daemon.log.contains("duplicate-export"))
        #expect(daemon.stop() == 0)
    }

    @Test func theFirstCopyRedoneAfterACrashIsNoDuplicate() throws {
        let daemon = try DaemonHarness()
        try FileManager.default.createDirectory(atPath: daemon.drop, withIntermediateDirectories: true)
        try daemon.drop(sample: "whatsapp-android-shift.txt")
        try daemon.start(extraArguments: ["--workers", "1"], environment: ["LEAKWATCH_TEST_CRASH_AT": "after-spool"])
        #expect(daemon.waitForDeath())
        try daemon.startReady()
        #expect(eventually { daemon.contents(of: daemon.state + "/done").count == 1 })
        #expect(try daemon.spoolRecords(kind: "duplicate-export").isEmpty)
        #expect(daemon.stop() == 0)
    }

    /// A zip nested ten deep and an encrypted zip are quarantined, each under its own reason.
    @Test func nestedAndEncryptedArchivesAreQuarantinedWithTheirOwnReasons() throws {
        let daemon = try DaemonHarness()
        try daemon.startReady()
        let script = """
            import io, sys, zipfile
            def zipped(members):
                buffer = io.BytesIO()
                with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
                    for name, data in members:
                        archive.writestr(name, data)
                return buffer.getvalue()
            nested = zipped([("_chat.txt", b"innermost\\n")])
            for depth in range(9):
                nested = zipped([("_chat.txt", b"level\\n"), ("n.zip", nested)])
            open(sys.argv[1] + "/.nested", "wb").write(nested)
            encrypted = bytearray(zipped([("_chat.txt", b"secret\\n")]))
            encrypted[6] |= 1
            central = encrypted.find(b"PK\\x01\\x02")
            encrypted[central + 8] |= 1
            open(sys.argv[1] + "/.encrypted", "wb").write(bytes(encrypted))
            """
        let staging = daemon.root.appendingPathComponent("zips").path
        try FileManager.default.createDirectory(atPath: staging, withIntermediateDirectories: true)
        try script.write(toFile: staging + "/make.py", atomically: true, encoding: .utf8)
        #expect(shell("python3 '\(staging)/make.py' '\(staging)'").status == 0)
        try daemon.drop("nested.zip", contents: Data(contentsOf: URL(fileURLWithPath: staging + "/.nested")))
        try daemon.drop("encrypted.zip", contents: Data(contentsOf: URL(fileURLWithPath: staging + "/.encrypted")))
        #expect(eventually { DaemonMemoryTests.sidecar(daemon, "encrypted.zip") != nil }, "\(daemon.log)")
        #expect(eventually { DaemonMemoryTests.sidecar(daemon, "nested.zip") != nil }, "\(daemon.log)")
        #expect(DaemonMemoryTests.sidecar(daemon, "nested.zip")?["reason"] == "nested-archive")
        #expect(DaemonMemoryTests.sidecar(daemon, "encrypted.zip")?["reason"] == "encrypted-archive")
        #expect(daemon.stop() == 0)
    }

    @Test func everyDaemonEventHasACatalogEntry() throws {
        let catalog = try String(
            contentsOf: repository.appendingPathComponent("systemd/leakwatch.catalog"), encoding: .utf8)
        for kind in DaemonEvent.Kind.allCases {
            #expect(catalog.contains("-- " + kind.messageID), "\(kind.rawValue) has no catalog entry")
        }
    }

    @Test func theReloadStatusIsWrittenWholeOrNotAtAllAndAFailureSaysWhy() throws {
        let directory = "/tmp/leakwatch-reload-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let file = ReloadStatusFile(stateDirectory: directory)
        try file.write(.init(generation: 1, accepted: true, message: "17 rules live"))
        try file.write(.init(generation: 2, accepted: false, message: "reload rejected"))
        #expect(file.read() == .init(generation: 2, accepted: false, message: "reload rejected"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["reload.status"])
        let missing = ReloadStatusFile(stateDirectory: directory + "/gone")
        do {
            try missing.write(.init(generation: 1, accepted: true, message: "x"))
            Issue.record("wrote into a missing directory")
        } catch {
            #expect("\(error)".contains(directory + "/gone"), "\(error)")
            #expect("\(error)".contains("No such file or directory"), "\(error)")
        }
    }
}
