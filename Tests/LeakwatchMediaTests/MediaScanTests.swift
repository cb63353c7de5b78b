import Foundation
import Testing
import ZIPFoundation

/// `leakwatch scan` looking inside media, end to end: the real binary, its real media worker
/// child, real Tesseract, Leptonica, poppler and libexif, on files made by the tests.
@Suite(.serialized) struct MediaScanTests {
    let directory: TemporaryDirectory
    init() throws { directory = try TemporaryDirectory() }

    var rules: String { repository.appendingPathComponent("rules").path }

    func scan(_ paths: [String], _ extra: [String] = []) throws -> CommandResult {
        try leakwatch(
            ["scan", "--rules", rules, "--format", "json", "--key", directory.path("fingerprint.key")] + extra + paths)
    }

    func ruleIDs(_ result: CommandResult) -> [String] {
        result.alerts.compactMap { ($0["rule"] as? [String: Any])?["id"] as? String }.sorted()
    }

    func match(_ alert: [String: Any]) -> [String: Any] { alert["match"] as? [String: Any] ?? [:] }

    @Test func aScreenshotWithAMarkingAndACrimeReferenceGivesBothAlertsFromMediaText() throws {
        let path = directory.path("Screenshot_20211107-143200.png")
        try TestMedia.screenshot(
            path, lines: ["Have a look at this one", "OFFICIAL-SENSITIVE", "Crime ref 01/3124578/21"])
        let result = try scan([path])
        #expect(result.status == 1, "\(result.stderr)")
        // Only these two: the clock, signal, battery, header and input bar make no noise.
        #expect(
            ruleIDs(result) == ["case-reference.crime-reference", "protective-marking.official-sensitive"],
            "\(result.stdout)")
        for alert in result.alerts {
            let match = match(alert)
            #expect(match["field"] as? String == "media-text")
            #expect(match["attachment"] as? String == "Screenshot_20211107-143200.png")
            #expect((match["ocr_confidence"] as? Int ?? 0) >= 60)
        }
        #expect(!result.stdout.contains("3124578"), "the crime reference is masked")
        #expect(result.records.isEmpty, "\(result.records)")
    }

    @Test func aScreenshotOfOrdinaryChatGivesNothing() throws {
        let path = directory.path("Screenshot_20211107-150000.png")
        try TestMedia.screenshot(path, lines: ["see you at the nick at 7", "who is on lates tomorrow?", "me and Dave"])
        let result = try scan([path])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.alerts.isEmpty)
        #expect(result.records.isEmpty)
    }

    @Test func aPhotoOfAPrintedPageSlightlyTurnedAndCompressedStillGivesBoth() throws {
        let path = directory.path("IMG_0412.jpg")
        try TestMedia.photoOfPrintedPage(
            path,
            lines: [
                "OFFICIAL-SENSITIVE", "Operation order: early turn briefing", "Crime reference 01/3124578/21",
                "Attending officers to meet at the station.",
            ])
        let result = try scan([path])
        #expect(result.status == 1, "\(result.stderr)")
        let ids = ruleIDs(result)
        #expect(ids.contains("protective-marking.official-sensitive"), "\(result.stdout)")
        #expect(ids.contains("case-reference.crime-reference"), "\(result.stdout)")
        #expect(result.alerts.allSatisfy { match($0)["field"] as? String == "media-text" })
    }

    @Test func aPlainPhotoWithNoTextGivesNothing() throws {
        let path = directory.path("IMG_0413.jpg")
        try TestMedia.plainPhoto(path)
        let result = try scan([path])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.alerts.isEmpty)
        #expect(result.records.isEmpty)
    }

    @Test func aJPEGWithGPSTagsGivesALocationAlertWithTheCoordinatesMasked() throws {
        try TestMedia.plainPhoto(directory.path("plain.jpg"), seed: 9, size: "640x480")
        let jpeg = try directory.read("plain.jpg")
        let path = try directory.write(
            "IMG_0414.jpg", TestMedia.withGPS(jpeg, latitude: 51.500729, longitude: -0.124625))
        let result = try scan([path])
        #expect(result.status == 1, "\(result.stderr)")
        #expect(ruleIDs(result) == ["location.photo-gps"], "\(result.stdout)")
        let match = match(result.alerts.first ?? [:])
        #expect(match["field"] as? String == "media-metadata")
        #expect(match["attachment"] as? String == "IMG_0414.jpg")
        #expect((match["excerpt"] as? String ?? "").hasPrefix("gps [REDACTED]; camera Apple"), "\(match)")
        #expect(!result.stdout.contains("51.50"), "the position is masked")
        #expect(!result.stdout.contains("0.1246"), "the position is masked")
    }

    @Test func aPDFsTextLayerIsReadPageByPage() throws {
        let path = try directory.write(
            "briefing.pdf",
            TestMedia.textPDF(pages: [
                ["Shift briefing", "Nothing of note."], ["OFFICIAL-SENSITIVE", "Crime ref 01/3124578/21"],
            ]))
        let result = try scan([path])
        #expect(result.status == 1, "\(result.stderr)")
        #expect(ruleIDs(result) == ["case-reference.crime-reference", "protective-marking.official-sensitive"])
        for alert in result.alerts {
            #expect(match(alert)["page"] as? Int == 2)
            #expect(match(alert)["ocr_confidence"] is NSNull, "a text layer, not OCR")
        }
    }

    @Test func aScannedPDFPageGoesToOCR() throws {
        let page = directory.path("page.jpg")
        try convert([
            "-size", "1240x1754", "xc:white", "-font", "DejaVu-Serif", "-fill", "black", "-pointsize", "44",
            "-annotate", "+120+200", "OFFICIAL-SENSITIVE", "-pointsize", "34", "-annotate", "+120+300",
            "Crime reference 01/3124578/21", "-quality", "80", page,
        ])
        let path = try directory.write(
            "scan.pdf", TestMedia.scannedPDF(jpeg: try directory.read("page.jpg"), width: 1240, height: 1754))
        let result = try scan([path])
        #expect(result.status == 1, "\(result.stderr)")
        #expect(ruleIDs(result) == ["case-reference.crime-reference", "protective-marking.official-sensitive"])
        #expect(result.alerts.allSatisfy { (match($0)["ocr_confidence"] as? Int ?? 0) > 0 })
    }

    /// An iPhone photo (HEIC, decoded by libheif) of a marked page, with its GPS position.
    @Test func aHEICPhotoIsReadWithItsText() throws {
        let png = directory.path("page.png")
        try convert([
            "-size", "900x500", "xc:white", "-font", "DejaVu-Serif", "-fill", "black", "-pointsize", "40",
            "-annotate", "+60+150", "OFFICIAL-SENSITIVE", "-pointsize", "30", "-annotate", "+60+250",
            "Crime reference 01/3124578/21", png,
        ])
        let path = directory.path("IMG_0999.HEIC")
        try convert([png, "-quality", "80", path])
        let result = try scan([path])
        #expect(result.status == 1, "\(result.stderr)")
        #expect(ruleIDs(result) == ["case-reference.crime-reference", "protective-marking.official-sensitive"])
        #expect(result.records.isEmpty, "\(result.records)")
    }

    @Test func noMediaLooksAtNames() throws {
        let path = directory.path("Screenshot.png")
        try TestMedia.screenshot(path, lines: ["OFFICIAL-SENSITIVE", "Crime ref 01/3124578/21"])
        let result = try scan([path], ["--no-media"])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.alerts.isEmpty)
    }

    /// A truncated JPEG, a 60,000 × 60,000 PNG header, a PDF recursion bomb and an image whose
    /// decoding runs into the CPU limit: each gives a `scan-incomplete` record naming it, and the
    /// file beside them is still scanned.
    @Test func hostileMediaCostsOnlyItself() throws {
        try TestMedia.plainPhoto(directory.path("whole.jpg"), seed: 4, size: "640x480")
        let truncated = try directory.write("truncated.jpg", TestMedia.truncated(try directory.read("whole.jpg")))
        let bomb = try directory.write("huge.png", TestMedia.pngBombHeader())
        let recursion = try directory.write("recursion.pdf", TestMedia.pdfRecursionBomb())
        let heavy = directory.path("heavy.png")
        try convert([
            "-size", "2500x2500", "xc:", "+noise", "Random", "-colorspace", "Gray", "-threshold", "50%", heavy,
        ])
        let good = directory.path("good.png")
        try TestMedia.screenshot(good, lines: ["OFFICIAL-SENSITIVE"])
        let result = try scan(
            [truncated, bomb, recursion, heavy, good],
            ["--workers", "1", "--media-cpu-time", "2", "--media-time-per-file", "120"])
        #expect(result.status == 1, "\(result.stderr)")
        #expect(ruleIDs(result) == ["protective-marking.official-sensitive"], "\(result.stdout)")
        let records = result.records.filter { $0["kind"] as? String == "scan-incomplete" }
        func record(_ name: String) -> [String: Any]? {
            records.first { ($0["detail"] as? String ?? "").hasPrefix(name + ":") }
        }
        #expect(record("truncated.jpg")?["code"] as? String == "media-unreadable", "\(records)")
        #expect(record("huge.png")?["code"] as? String == "media-too-many-pixels", "\(records)")
        #expect(
            ["media-worker-killed", "media-timeout"].contains(record("recursion.pdf")?["code"] as? String ?? ""),
            "\(records)")
        #expect(record("heavy.png")?["code"] as? String == "media-worker-killed", "\(records)")
        #expect((record("heavy.png")?["detail"] as? String ?? "").contains("SIGXCPU"), "\(records)")
        #expect(records.count == 4)
    }

    /// A zipped Telegram Desktop export: the photo a message names, under `photos/`, is read.
    @Test func aTelegramExportsPhotosAreRead() throws {
        let photo = directory.path("photo.png")
        try TestMedia.screenshot(photo, lines: ["OFFICIAL-SENSITIVE"])
        let json = """
            {"name": "Ops Planning", "type": "private_group", "id": 4242, "messages": [
              {"id": 1, "type": "message", "date": "2022-03-27T21:40:00", "from": "Anna", "from_id": "user1", "text": "morning"},
              {"id": 2, "type": "message", "date": "2022-03-27T21:41:55", "from": "Ben", "from_id": "user2",
               "photo": "photos/photo_1@27-03-2022_21-41-55.jpg", "width": 720, "height": 1280, "text": ""}
            ]}
            """
        try directory.write("telegram/ChatExport_2022-03-27/result.json", Array(json.utf8))
        let zipPath = directory.path("ChatExport.zip")
        let archive = try Archive(url: URL(fileURLWithPath: zipPath), accessMode: .create)
        try archive.addEntry(
            with: "ChatExport_2022-03-27/result.json",
            fileURL: URL(fileURLWithPath: directory.path("telegram/ChatExport_2022-03-27/result.json")),
            compressionMethod: .deflate)
        // The photo is a PNG under a .jpg name: the format is told from the bytes.
        try archive.addEntry(
            with: "ChatExport_2022-03-27/photos/photo_1@27-03-2022_21-41-55.jpg", fileURL: URL(fileURLWithPath: photo))
        let result = try scan([zipPath])
        #expect(result.status == 1, "\(result.stderr)")
        #expect(ruleIDs(result) == ["protective-marking.official-sensitive"], "\(result.stdout)")
        let alert = try #require(result.alerts.first)
        #expect((alert["message"] as? [String: Any])?["id"] as? String == "2")
        #expect(match(alert)["attachment"] as? String == "ChatExport_2022-03-27/photos/photo_1@27-03-2022_21-41-55.jpg")
    }

    /// When the export's media time runs out, the files left are named in one record.
    @Test func theExportsMediaBudgetBoundsTheWork() throws {
        let zipPath = directory.path("export.zip")
        let archive = try Archive(url: URL(fileURLWithPath: zipPath), accessMode: .create)
        var chat = ""
        for index in 0..<3 {
            let name = "0000000\(index)-PHOTO-2021-11-07-18-1\(index)-02.jpg"
            try TestMedia.plainPhoto(directory.path(name), seed: index + 1, size: "320x240")
            try archive.addEntry(with: name, fileURL: URL(fileURLWithPath: directory.path(name)))
            chat += "[07/11/2021, 18:1\(index):02] Anna: \u{200E}<attached: \(name)>\n"
        }
        try directory.write("_chat.txt", Array(chat.utf8))
        try archive.addEntry(with: "_chat.txt", fileURL: URL(fileURLWithPath: directory.path("_chat.txt")))
        let result = try scan([zipPath], ["--media-time-per-export", "0.000001"])
        let records = result.records.filter { $0["code"] as? String == "media-budget-exhausted" }
        #expect(records.count == 1, "\(result.stdout)")
        let detail = records.first?["detail"] as? String ?? ""
        #expect(detail.contains("3 file(s) not examined"), "\(detail)")
        #expect(detail.contains("00000002-PHOTO-2021-11-07-18-12-02.jpg"), "\(detail)")
    }

    /// A file that keeps the worker busy past the per-file time limit (it needs well over 3 CPU
    /// seconds; its CPU limit is far away): the worker is killed at the limit, the file is named,
    /// and the next file gets a new worker.
    @Test func aFileThatTakesTooLongIsCutOffAtItsTimeLimit() throws {
        let slow = directory.path("slow.png")
        try convert(["-size", "2500x2500", "xc:", "+noise", "Random", "-colorspace", "Gray", "-threshold", "50%", slow])
        let small = directory.path("small.png")
        try convert(["-seed", "5", "-size", "96x96", "plasma:fractal", small])
        let result = try scan(
            [slow, small], ["--workers", "1", "--media-cpu-time", "600", "--media-time-per-file", "2"])
        let records = result.records.filter { $0["kind"] as? String == "scan-incomplete" }
        #expect(records.count == 1, "\(result.stdout)")
        #expect(records.first?["code"] as? String == "media-timeout")
        #expect((records.first?["detail"] as? String ?? "").hasPrefix("slow.png:"))
    }

    @Test func mediaHashPrintsListLinesAndAKnownImageIsFoundInAnExport() throws {
        let scene = directory.path("scene.png")
        try convert(["-seed", "42", "-size", "1024x768", "plasma:fractal", "-blur", "0x2", "-depth", "8", scene])
        let hashed = try leakwatch(["media", "hash", scene])
        #expect(hashed.status == 0, "\(hashed.stderr)")
        let line = try #require(hashed.lines.first)
        let fields = line.split(separator: " ", maxSplits: 2)
        #expect(fields.count == 3 && fields[0] == "pdq" && fields[1].count == 64 && fields[2] == scene[...], "\(line)")
        let list = "# Op LANTERN scene photos\npdq \(fields[1]) Op LANTERN scene photo 1\n"
        try directory.write("known/lantern.list", Array(list.utf8))

        // As WhatsApp sends it: smaller and recompressed.
        try convert([scene, "-resize", "50%", "-quality", "60", directory.path("sent.jpg")])
        let result = try scan([directory.path("sent.jpg")], ["--known-media", directory.path("known")])
        #expect(result.status == 1, "\(result.stderr)")
        #expect(ruleIDs(result) == ["crime-scene-media.known-image"])
        let alert = try #require(result.alerts.first)
        #expect((alert["rule"] as? [String: Any])?["category"] as? String == "crime-scene-media")
        let match = match(alert)
        #expect(match["confidence"] as? String == "high")
        #expect(match["field"] as? String == "media-hash")
        let known = match["known_media"] as? [String: Any] ?? [:]
        #expect(known["label"] as? String == "Op LANTERN scene photo 1")
        #expect((known["distance"] as? Int ?? 99) <= 31)
        #expect(known["line"] as? Int == 2)

        // A bad list line stops the scan with the file and line.
        try directory.write("bad/x.list", Array("pdq 12345 short\n".utf8))
        let bad = try scan([directory.path("sent.jpg")], ["--known-media", directory.path("bad")])
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("x.list:1:"), "\(bad.stderr)")
    }
}
