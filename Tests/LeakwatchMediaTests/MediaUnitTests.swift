import Exif
import Foundation
import LeakwatchCore
import LeakwatchDaemon
import LeakwatchMedia
import LeakwatchScan
import Tesseract
import Testing

/// The parts of media scanning that need no worker: the screen-furniture filter, the known-media
/// list format, the media sniffer, the metadata text, pages of PDF text.
@Suite struct MediaUnitTests {
    func line(_ text: String, confidence: Double = 92) -> RecognizedLine {
        RecognizedLine(text: text, confidence: confidence, left: 0, top: 0, width: 100, height: 20)
    }

    @Test(arguments: [
        "09:41", "9.41", "4G 87%", "LTE 100%", "< Chats", "Type a message", "online", "last seen today at 14:32",
        "Yesterday", "•", "| |", "x", "14:32 ✓✓", "Today", "Back  Edit",
    ])
    func screenFurnitureIsDropped(_ text: String) {
        #expect(!ScreenshotChrome().isContent(line(text)), "\(text)")
    }

    @Test(arguments: [
        "OFFICIAL-SENSITIVE", "Crime ref 01/3124578/21", "see you at the nick at 7", "LS6 2AB", "Team 2 Response",
        "DOB 12/03/1987",
    ])
    func contentIsKept(_ text: String) {
        #expect(ScreenshotChrome().isContent(line(text)), "\(text)")
    }

    @Test func unsureLinesAreDropped() {
        let filter = ScreenshotChrome(minConfidence: 60)
        #expect(!filter.isContent(line("OFFICIAL-SENSITIVE", confidence: 41)))
        let (kept, dropped) = filter.filter([line("OFFICIAL-SENSITIVE"), line("~~ ;;", confidence: 30), line("09:41")])
        #expect(kept.map(\.text) == ["OFFICIAL-SENSITIVE"])
        #expect(dropped == 2)
    }

    @Test func listLinesAreParsedAndProblemsNamedByLine() {
        let hash = String(repeating: "a", count: 64)
        let text = """
            # Op LANTERN scene photos
            pdq \(hash) Op LANTERN scene photo 1

              pdq \(hash.uppercased())\tscene photo 2 # not a comment
            md5 0123 something
            pdq 1234 too short
            pdq \(hash)
            """
        let (entries, problems) = KnownMediaIndex.parse(text, file: "lantern.list")
        #expect(entries.map(\.label) == ["Op LANTERN scene photo 1", "scene photo 2 # not a comment"])
        #expect(entries.map(\.line) == [2, 4])
        #expect(entries.allSatisfy { $0.hash.hex == hash })
        #expect(
            problems.map(\.description).map { String($0.prefix(16)) } == [
                "lantern.list:5: ", "lantern.list:6: ", "lantern.list:7: ",
            ])
    }

    @Test func aDirectoryOfListsLoadsAndABadLineRejectsThemAll() throws {
        let directory = try TemporaryDirectory()
        let hash = String(repeating: "0f", count: 32)
        try directory.write("lists/a.list", Array("pdq \(hash) first\n".utf8))
        try directory.write("lists/b.list", Array("pdq \(hash) second\n".utf8))
        try directory.write("lists/ignored.txt", Array("not a list\n".utf8))
        let (index, problems) = KnownMediaDirectories.load([directory.path("lists"), directory.path("absent")])
        #expect(problems.isEmpty)
        #expect(index?.entries.map(\.label) == ["first", "second"])
        try directory.write("lists/c.list", Array("pdq nothex first\n".utf8))
        let (rejected, reasons) = KnownMediaDirectories.load([directory.path("lists")])
        #expect(rejected == nil)
        #expect(reasons.first?.description.contains("c.list:1:") == true)
    }

    @Test func theNearestEntryWithinTheThresholdMatches() throws {
        let base = try #require(PDQHash(hex: String(repeating: "0", count: 64)))
        let near = try #require(PDQHash(hex: String(repeating: "0", count: 56) + "000000ff"))  // 8 bits
        let far = try #require(PDQHash(hex: String(repeating: "f", count: 16) + String(repeating: "0", count: 48)))
        let index = KnownMediaIndex(entries: [
            KnownMediaEntry(hash: far, label: "far", list: "l", line: 1),
            KnownMediaEntry(hash: near, label: "near", list: "l", line: 2),
        ])
        let image = PDQResult(hash: base, quality: 100, orientations: [base])
        #expect(index.bestMatch(for: image, threshold: 31)?.entry.label == "near")
        #expect(index.bestMatch(for: image, threshold: 31)?.distance == 8)
        #expect(index.bestMatch(for: image, threshold: 7) == nil)
    }

    @Test func mediaIsSniffedFromItsBytes() {
        #expect(MediaFormat.sniff([0xFF, 0xD8, 0xFF, 0xE0]) == .jpeg)
        #expect(MediaFormat.sniff([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) == .png)
        #expect(MediaFormat.sniff(Array("RIFF\0\0\0\0WEBPVP8 ".utf8)) == .webp)
        #expect(MediaFormat.sniff(Array("\0\0\0\u{18}ftypheic\0\0\0\0".utf8)) == .heic)
        #expect(MediaFormat.sniff(Array("%PDF-1.7\n".utf8)) == .pdf)
        #expect(MediaFormat.sniff(Array("[07/11/2021, 18:14:02] Anna: hi".utf8)) == nil)
        #expect(MediaFormat.sniff(Array("\0\0\0\u{18}ftypmp42".utf8)) == nil, "video is not opened")
    }

    @Test func aStandaloneImageIsOneMessageCarryingTheFile() throws {
        let exports = try ExportParsing.parse([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0], fileName: "x.png")
        #expect(exports.count == 1)
        #expect(exports[0].format == .media)
        #expect(exports[0].messages.first?.attachments.first?.name == "x.png")
        #expect(exports[0].messages.first?.attachments.first?.present == true)
    }

    @Test func photoMetadataBecomesTheTextRulesMatch() {
        let photo = PhotoMetadata(
            latitude: 51.500729, longitude: -0.124625, captured: "2021:11:07 18:14:02", make: "Apple",
            model: "iPhone 12")
        #expect(photo.ruleText == "gps 51.500729, -0.124625; taken 2021:11:07 18:14:02; camera Apple iPhone 12")
        #expect(PhotoMetadata(latitude: -33.8688, longitude: -0.0001).ruleText == "gps -33.868800, -0.000100")
        #expect(PhotoMetadata(orientation: 6).ruleText == nil)
    }

    @Test func aPDFMatchKnowsItsPage() {
        let content = MediaContent(text: "page one\u{0C}page two\u{0C}OFFICIAL-SENSITIVE")
        #expect(content.page(at: 0) == 1)
        #expect(content.page(at: 10) == 2)
        #expect(content.page(at: content.text.utf8.count - 1) == 3)
    }

    @Test(arguments: [
        (
            "media: false\nocr-languages: eng+deu\npdq-threshold: 20\nmedia-max-file-size: 8MiB\nknown-media: [/a, /b]",
            true
        ),
        ("pdq-threshold: 300", false), ("media-time-per-file: -1", false), ("ocr-languages: \"eng; rm -rf\"", false),
    ])
    func mediaSettingsAreReadFromTheConfiguration(_ yaml: String, valid: Bool) throws {
        let result = Result { () throws(LeakwatchError) -> DaemonConfiguration in
            try DaemonConfiguration.parse(yaml, path: "test.yml")
        }
        switch result {
        case .success(let probe):
            #expect(valid)
            #expect(probe.media.enabled == false)
            #expect(probe.media.ocrLanguages == "eng+deu")
            #expect(probe.media.pdqThreshold == 20)
            #expect(probe.media.maxFileBytes == 8 << 20)
            #expect(probe.media.knownMediaDirectories == ["/a", "/b"])
        case .failure(let error):
            #expect(!valid, "\(error)")
            #expect(error.path == "test.yml")
        }
    }
}
