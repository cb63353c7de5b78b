import Foundation
import Testing
import ZIPFoundation

#if canImport(Glibc)
    import Glibc
#endif

/// The daemon on a WhatsApp zip export whose media hold everything: text in a screenshot and in
/// a photographed page, a known scene photo, a photo with GPS, a PDF, and hostile files. Killed
/// with SIGKILL in the middle of the media work, restarted: every alert is in the spool exactly
/// once, the text alerts were out before the media work began, and the daemon goes on.
@Suite(.serialized) struct DaemonMediaTests {
    let directory: TemporaryDirectory
    init() throws { directory = try TemporaryDirectory() }

    var drop: String { directory.path("drop") }
    var state: String { directory.path("state") }
    var spool: String { directory.path("spool") }
    var known: String { directory.path("known-media") }
    var mediaFlags: [String] { ["--known-media", known, "--media-cpu-time", "2", "--media-time-per-file", "120"] }

    /// Makes the export: `_chat.txt` naming every file, the files, zipped.
    func makeExport() throws -> [UInt8] {
        let files = directory.path("export")
        try FileManager.default.createDirectory(atPath: files, withIntermediateDirectories: true)
        func at(_ name: String) -> String { files + "/" + name }
        try TestMedia.screenshot(at("00000002-PHOTO-2021-11-07-18-15-02.png"), lines: ["OFFICIAL-SENSITIVE"])
        try TestMedia.photoOfPrintedPage(
            at("00000003-PHOTO-2021-11-07-18-16-02.jpg"),
            lines: ["OFFICIAL-SENSITIVE", "Crime reference 01/3124578/21", "Briefing for the early turn"])
        try TestMedia.plainPhoto(at("00000004-PHOTO-2021-11-07-18-17-02.jpg"), seed: 3)
        let scene = directory.path("scene.png")
        try convert(["-seed", "42", "-size", "1024x768", "plasma:fractal", "-blur", "0x2", "-depth", "8", scene])
        try convert([scene, "-resize", "50%", "-quality", "60", at("00000005-PHOTO-2021-11-07-18-18-02.jpg")])
        try TestMedia.plainPhoto(at("gps-source.jpg"), seed: 8, size: "640x480")
        let gps = TestMedia.withGPS(
            Array(try Data(contentsOf: URL(fileURLWithPath: at("gps-source.jpg")))), latitude: 53.480759,
            longitude: -2.242631)
        try Data(gps).write(to: URL(fileURLWithPath: at("00000006-PHOTO-2021-11-07-18-19-02.jpg")))
        try Data(TestMedia.textPDF(pages: [["Custody handover", "OFFICIAL-SENSITIVE"]])).write(
            to: URL(fileURLWithPath: at("00000007-handover.pdf")))
        let whole = Array(try Data(contentsOf: URL(fileURLWithPath: at("00000004-PHOTO-2021-11-07-18-17-02.jpg"))))
        try Data(TestMedia.truncated(whole)).write(
            to: URL(fileURLWithPath: at("00000008-PHOTO-2021-11-07-18-20-02.jpg")))
        try Data(TestMedia.pngBombHeader()).write(
            to: URL(fileURLWithPath: at("00000009-PHOTO-2021-11-07-18-21-02.png")))
        try Data(TestMedia.pdfRecursionBomb()).write(to: URL(fileURLWithPath: at("00000010-orders.pdf")))
        try convert([
            "-size", "2500x2500", "xc:", "+noise", "Random", "-colorspace", "Gray", "-threshold", "50%",
            at("00000011-PHOTO-2021-11-07-18-22-02.png"),
        ])
        // The known-media list: the scene photo as the evidence system has it.
        let hashed = try leakwatch(["media", "hash", scene])
        let hash = try #require(hashed.lines.first?.split(separator: " ").dropFirst().first, "\(hashed.stderr)")
        try FileManager.default.createDirectory(atPath: known, withIntermediateDirectories: true)
        try Data("pdq \(hash) Op LANTERN scene photo 1\n".utf8).write(
            to: URL(fileURLWithPath: known + "/lantern.list"))

        let names = [
            "00000002-PHOTO-2021-11-07-18-15-02.png", "00000003-PHOTO-2021-11-07-18-16-02.jpg",
            "00000004-PHOTO-2021-11-07-18-17-02.jpg", "00000005-PHOTO-2021-11-07-18-18-02.jpg",
            "00000006-PHOTO-2021-11-07-18-19-02.jpg", "00000007-handover.pdf",
            "00000008-PHOTO-2021-11-07-18-20-02.jpg", "00000009-PHOTO-2021-11-07-18-21-02.png",
            "00000010-orders.pdf", "00000011-PHOTO-2021-11-07-18-22-02.png",
        ]
        var chat = "[07/11/2021, 18:14:02] PC Tom Reyes: victim lives at LS6 2AB, OFFICIAL-SENSITIVE\n"
        for (index, name) in names.enumerated() {
            chat += "[07/11/2021, 18:\(15 + index):02] PC Tom Reyes: \u{200E}<attached: \(name)>\n"
        }
        try Data(chat.utf8).write(to: URL(fileURLWithPath: at("_chat.txt")))
        let zipPath = directory.path("WhatsApp Chat - Team 2.zip")
        let archive = try Archive(url: URL(fileURLWithPath: zipPath), accessMode: .create)
        for name in ["_chat.txt"] + names {
            try archive.addEntry(with: name, fileURL: URL(fileURLWithPath: at(name)), compressionMethod: .deflate)
        }
        return Array(try Data(contentsOf: URL(fileURLWithPath: zipPath)))
    }

    func startDaemon(crashAt: String? = nil) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: leakwatchBinary)
        process.arguments =
            [
                "daemon", "--drop-dir", drop, "--state-dir", state, "--spool-dir", spool, "--rules",
                repository.appendingPathComponent("rules").path, "--workers", "1", "--no-journal",
            ] + mediaFlags
        var environment = ProcessInfo.processInfo.environment
        environment.removeValue(forKey: "NOTIFY_SOCKET")
        if let crashAt { environment["LEAKWATCH_TEST_CRASH_AT"] = crashAt }
        process.environment = environment
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try process.run()
        return process
    }

    /// Waits (polling; the timeout only bounds a failing test) until `condition` holds.
    func eventually(timeout: Duration = .seconds(300), _ condition: () -> Bool) -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if condition() { return true }
            usleep(50_000)
        }
        return condition()
    }

    func spoolObjects() -> [[String: Any]] {
        guard let text = try? String(contentsOfFile: spool + "/alerts.jsonl", encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
    }

    func ids(_ objects: [[String: Any]], schema: String) -> [String] {
        objects.filter { $0["schema"] as? String == schema }.compactMap { $0["id"] as? String }
    }

    func contents(_ path: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).filter { !$0.hasPrefix(".") }.sorted()
    }

    @Test func aZipWithAllOfItGivesEveryAlertExactlyOnceAfterAKillInTheMiddleOfMediaWork() throws {
        let export = try makeExport()
        try FileManager.default.createDirectory(atPath: drop, withIntermediateDirectories: true)
        try Data(export).write(to: URL(fileURLWithPath: drop + "/.upload"))
        rename(drop + "/.upload", drop + "/team2.zip")

        // What the same bytes give `leakwatch scan` with the same key: the spool must hold exactly this.
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
        let scanned = try leakwatch(
            [
                "scan", "--rules", repository.appendingPathComponent("rules").path, "--format", "json", "--key",
                state + "/fingerprint.key",
            ] + mediaFlags + [directory.path("WhatsApp Chat - Team 2.zip")])
        let expectedAlerts = Set(scanned.alerts.compactMap { $0["id"] as? String })
        // Alerts on the chat itself (its text, attachment names, senders): the first delivery.
        let textAlerts = Set(
            scanned.alerts.filter {
                !((($0["match"] as? [String: Any])?["field"] as? String ?? "").hasPrefix("media-"))
            }
            .compactMap { $0["id"] as? String })
        let categories = Set(scanned.alerts.compactMap { ($0["rule"] as? [String: Any])?["id"] as? String })
        #expect(
            categories.isSuperset(of: [
                "protective-marking.official-sensitive", "case-reference.crime-reference",
                "crime-scene-media.known-image", "location.photo-gps", "location.uk-postcode",
            ]), "\(categories)")
        #expect(!textAlerts.isEmpty)
        let incomplete = scanned.records.filter { $0["kind"] as? String == "scan-incomplete" }
        #expect(incomplete.count == 4, "\(incomplete)")

        // First run: killed (SIGKILL, by itself) after the first media file.
        let first = try startDaemon(crashAt: "mid-media")
        #expect(eventually { !first.isRunning })
        #expect(first.terminationReason == .uncaughtSignal)
        // The text alerts were delivered before the media work: they are in the spool already.
        #expect(Set(ids(spoolObjects(), schema: "leakwatch.alert.v1")) == textAlerts)
        #expect(contents(state + "/work") == ["team2.zip"])

        // Second run: redoes the export and files it (quarantined: some media could not be examined).
        let second = try startDaemon()
        defer {
            if second.isRunning {
                kill(second.processIdentifier, SIGKILL)
                second.waitUntilExit()
            }
        }
        #expect(eventually { contents(state + "/work").isEmpty && !contents(state + "/quarantine").isEmpty })
        let objects = spoolObjects()
        let alerts = ids(objects, schema: "leakwatch.alert.v1")
        #expect(Set(alerts) == expectedAlerts)
        #expect(alerts.count == Set(alerts).count, "no alert twice")
        let records = ids(objects, schema: "leakwatch.record.v1")
        #expect(records.count == Set(records).count, "no record twice")
        #expect(Set(records).isSuperset(of: incomplete.compactMap { $0["id"] as? String }))

        // The daemon goes on: another export after it is processed as usual.
        try Data("[07/11/2021, 19:00:02] PC Ann Lee: all quiet\n".utf8).write(
            to: URL(fileURLWithPath: drop + "/.next"))
        rename(drop + "/.next", drop + "/next.txt")
        #expect(eventually { contents(state + "/done").contains("next.txt") })
        kill(second.processIdentifier, SIGTERM)
        second.waitUntilExit()
        #expect(second.terminationStatus == 0)
    }

    /// Known-media lists are reloaded like rules: a list added and `leakwatch reload` makes the
    /// next image match; a bad list is rejected and the lists in force stay.
    @Test func knownMediaListsAreReloadedLikeRules() throws {
        let scene = directory.path("scene.png")
        try convert(["-seed", "42", "-size", "1024x768", "plasma:fractal", "-blur", "0x2", "-depth", "8", scene])
        try FileManager.default.createDirectory(atPath: known, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: drop, withIntermediateDirectories: true)
        func dropVariant(_ name: String, quality: Int) throws {
            try convert([scene, "-resize", "50%", "-quality", String(quality), directory.path(name)])
            rename(directory.path(name), drop + "/" + name)
        }
        func knownAlerts() -> [[String: Any]] {
            spoolObjects().filter {
                (($0["rule"] as? [String: Any])?["id"] as? String) == "crime-scene-media.known-image"
            }
        }
        func reload(_ pid: Int32) throws -> Int32 {
            try leakwatch(["reload", "--pid", String(pid), "--state-dir", state, "--timeout", "60"]).status
        }
        let daemon = try startDaemon()
        defer {
            if daemon.isRunning {
                kill(daemon.processIdentifier, SIGKILL)
                daemon.waitUntilExit()
            }
        }
        try dropVariant("before.jpg", quality: 80)
        #expect(eventually { contents(state + "/done").contains("before.jpg") })
        #expect(knownAlerts().isEmpty)

        let hashed = try leakwatch(["media", "hash", scene])
        let hash = try #require(hashed.lines.first?.split(separator: " ").dropFirst().first)
        try Data("pdq \(hash) Op LANTERN scene photo 1\n".utf8).write(to: URL(fileURLWithPath: known + "/lantern.list"))
        #expect(try reload(daemon.processIdentifier) == 0)
        try dropVariant("after.jpg", quality: 70)
        #expect(eventually { contents(state + "/done").contains("after.jpg") })
        #expect(knownAlerts().count == 1)

        try Data("pdq not-a-hash broken\n".utf8).write(to: URL(fileURLWithPath: known + "/broken.list"))
        #expect(try reload(daemon.processIdentifier) == 1, "a bad list is rejected")
        try dropVariant("still.jpg", quality: 60)
        #expect(eventually { contents(state + "/done").contains("still.jpg") })
        #expect(knownAlerts().count == 2, "the lists in force stayed")
        kill(daemon.processIdentifier, SIGTERM)
        daemon.waitUntilExit()
    }
}
