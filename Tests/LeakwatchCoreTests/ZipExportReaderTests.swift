import Foundation
import Testing
import ZIPFoundation

@testable import LeakwatchCore

/// One member of a zip built in memory for a test.
private struct Member {
    var path: String
    var content: [UInt8] = []
    var zeros: Int? = nil  // a highly compressible body of this many zero bytes, made lazily
    var type: Entry.EntryType = .file
    var compressed = true

    init(_ path: String, _ text: String) {
        self.path = path
        self.content = Array(text.utf8)
    }

    init(_ path: String, bytes: [UInt8]) {
        self.path = path
        self.content = bytes
    }

    init(_ path: String, zeros: Int) {
        self.path = path
        self.zeros = zeros
    }

    init(symlink path: String, to target: String) {
        self.path = path
        self.content = Array(target.utf8)
        self.type = .symlink
    }
}

private func makeZip(_ members: [Member]) throws -> [UInt8] {
    let archive = try Archive(accessMode: .create)
    for member in members {
        let size = member.zeros ?? member.content.count
        let content = member.content
        try archive.addEntry(
            with: member.path, type: member.type, uncompressedSize: Int64(size),
            compressionMethod: member.compressed && member.type == .file ? .deflate : .none,
            bufferSize: 1 << 20,
            provider: { position, chunk in
                if member.zeros != nil { return Data(count: chunk) }
                return Data(content[Int(position)..<Int(position) + chunk])
            })
    }
    return [UInt8](try #require(archive.data))
}

private func golden(_ name: String) throws -> [UInt8] {
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Golden/telegram/\(name)")
    return [UInt8](try Data(contentsOf: url))
}

private func expectError(
    _ code: String, entry: String? = nil, sourceLocation: Testing.SourceLocation = #_sourceLocation,
    _ body: () throws -> Void
) {
    do {
        try body()
        Issue.record("expected ExportError \(code)", sourceLocation: sourceLocation)
    } catch let error as ExportError {
        #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
        if let entry { #expect(error.entry == entry, sourceLocation: sourceLocation) }
    } catch {
        Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
    }
}

/// Sets the uncompressed size an entry declares, in its local header and in the central
/// directory, to `size`: a header that lies.
private func lie(about path: String, size: UInt32, in zip: inout [UInt8]) {
    let name = Array(path.utf8)
    func put(_ value: UInt32, at offset: Int) {
        for i in 0..<4 { zip[offset + i] = UInt8((value >> (8 * UInt32(i))) & 0xFF) }
    }
    var index = 0
    while index + 46 < zip.count {
        if zip[index] == 0x50, zip[index + 1] == 0x4B {
            if zip[index + 2] == 0x03, zip[index + 3] == 0x04,
                Array(zip[(index + 30)..<(index + 30 + name.count)]) == name
            {
                put(size, at: index + 22)
            } else if zip[index + 2] == 0x01, zip[index + 3] == 0x02,
                Array(zip[(index + 46)..<(index + 46 + name.count)]) == name
            {
                put(size, at: index + 24)
            }
        }
        index += 1
    }
}

private let telegramChat = """
    {"name": "Streife", "type": "private_group", "id": 9, "messages": [
      {"id": 1, "type": "message", "date": "2022-03-27T21:41:55", "from": "Anna", "photo": "photos/photo_1@27-03-2022_21-41-55.jpg", "text": "Foto"},
      {"id": 2, "type": "message", "date": "2022-03-27T21:42:00", "from": "Ben", "file": "files/fehlt.pdf", "text": ""}
    ]}
    """

@Suite("Zip exports")
struct ZipExportReaderTests {
    @Test func iOSExportPicksChatTxtAndLinksMedia() throws {
        let chat = """
            [27.03.22, 21:40:00] Anna: Hallo
            [27.03.22, 21:41:55] Anna: <attached: 00000035-PHOTO-2022-03-27-21-41-55.jpg>
            [27.03.22, 21:42:10] Ben: <attached: 00000036-PHOTO-2022-03-27-21-42-10.jpg>

            """
        let zip = try makeZip([
            Member("00000035-PHOTO-2022-03-27-21-41-55.jpg", bytes: [0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3]),
            Member("00000040-AUDIO-2022-03-27-21-50-00.opus", bytes: [9, 9]),
            Member("_chat.txt", chat),
            Member("__MACOSX/._chat.txt", "junk"),
            Member("__MACOSX/._00000035-PHOTO-2022-03-27-21-41-55.jpg", "junk"),
        ])
        let exports = try ExportParsing.parse(zip, fileName: "WhatsApp Chat - Dienstgruppe.zip")
        #expect(exports.count == 1)
        let export = try #require(exports.first)
        #expect(export.format == .whatsAppIOS)
        #expect(export.entry == "_chat.txt")
        #expect(export.chat == "Dienstgruppe")
        #expect(export.messages.count == 3)
        #expect(
            export.messages[1].attachments == [
                Attachment(
                    name: "00000035-PHOTO-2022-03-27-21-41-55.jpg", size: 7, present: true,
                    entry: "00000035-PHOTO-2022-03-27-21-41-55.jpg")
            ])
        #expect(export.messages[2].attachments.first?.present == false)
        let notes = export.notes.filter { $0.code == "unreferenced-media" }
        #expect(notes.count == 1)
        #expect(notes.first?.message.contains("00000040-AUDIO-2022-03-27-21-50-00.opus (2 bytes)") == true)
        #expect(notes.first?.message.contains("PHOTO") == false)
        #expect(notes.first?.message.contains("__MACOSX") == false)
    }

    @Test func androidExportLinksMedia() throws {
        let chat = """
            27/03/2022, 21:41 - Anna: IMG-20220327-WA0007.jpg (file attached)
            Tatort
            27/03/2022, 21:42 - Ben: VID-20220327-WA0001.mp4 (file attached)
            27/03/2022, 21:43 - Ben: Carla.vcf (file attached)

            """
        let zip = try makeZip([
            Member("WhatsApp Chat with Streife.txt", chat),
            Member("IMG-20220327-WA0007.jpg", bytes: Array(repeating: 1, count: 321)),
            Member("Carla.vcf", "BEGIN:VCARD\nEND:VCARD\n"),
            Member("PTT-20220327-WA0002.opus", bytes: [7]),
        ])
        let exports = try ExportParsing.parse(zip, fileName: "WhatsApp Chat with Streife.zip")
        let export = try #require(exports.first)
        #expect(export.format == .whatsAppAndroid)
        #expect(export.chat == "Streife")
        #expect(
            export.messages[0].attachments == [
                Attachment(name: "IMG-20220327-WA0007.jpg", size: 321, present: true, entry: "IMG-20220327-WA0007.jpg")
            ])
        #expect(export.messages[1].attachments.first?.present == false)
        #expect(export.messages[2].attachments.first?.present == true)
        let note = try #require(export.notes.first { $0.code == "unreferenced-media" })
        #expect(note.message.hasPrefix("1 file(s)"))
        #expect(note.message.contains("PTT-20220327-WA0002.opus"))
    }

    @Test(arguments: [
        ("WhatsApp Chat with Anna.txt", "Anna"),
        ("Chat WhatsApp s uživatelem Petr Novák.txt", "Petr Novák"),
        ("WhatsApp-Chat mit Jörg.txt", "Jörg"),
        ("Chat de WhatsApp con Lucía.txt", "Lucía"),
    ])
    func androidExportNamesChatFromMember(_ member: String, _ chat: String) throws {
        let zip = try makeZip([
            Member("IMG-20220327-WA0007.jpg", bytes: [1, 2, 3, 4]),
            Member("VID-20220327-WA0001.mp4", bytes: [5, 6]),
            Member("PTT-20220327-WA0002.opus", bytes: [7]),
            Member("STK-20220327-WA0003.webp", bytes: [8]),
            Member("Carla.vcf", "BEGIN:VCARD\nEND:VCARD\n"),
            Member(member, "27/03/2022, 21:41 - Anna: Hallo\n"),
        ])
        let exports = try ExportParsing.parse(zip, fileName: "export.zip")
        let export = try #require(exports.first)
        #expect(export.entry == member)
        #expect(export.chat == chat)
        let note = try #require(export.notes.first { $0.code == "unreferenced-media" })
        #expect(note.message.hasPrefix("5 file(s)"))
    }

    @Test func telegramFolderZipLinksMedia() throws {
        let zip = try makeZip([
            Member("ChatExport_2022-03-27/result.json", telegramChat),
            Member(
                "ChatExport_2022-03-27/photos/photo_1@27-03-2022_21-41-55.jpg", bytes: Array(repeating: 7, count: 1234)),
            Member("ChatExport_2022-03-27/files/extra.pdf", bytes: [1, 2, 3]),
        ])
        let exports = try ExportParsing.parse(zip, fileName: "ChatExport.zip")
        let export = try #require(exports.first)
        #expect(export.format == .telegramJSON)
        #expect(export.chat == "Streife")
        #expect(export.entry == "ChatExport_2022-03-27/result.json")
        #expect(
            export.messages[0].attachments == [
                Attachment(
                    name: "photos/photo_1@27-03-2022_21-41-55.jpg", size: 1234, present: true,
                    entry: "ChatExport_2022-03-27/photos/photo_1@27-03-2022_21-41-55.jpg")
            ])
        #expect(export.messages[1].attachments == [Attachment(name: "files/fehlt.pdf", present: false)])
        let note = try #require(export.notes.first { $0.code == "unreferenced-media" })
        #expect(note.message.contains("ChatExport_2022-03-27/files/extra.pdf"))
        #expect(!note.message.contains("photo_1"))
    }

    @Test func fullTelegramExportInZip() throws {
        let zip = try makeZip([Member("DataExport/result.json", bytes: try golden("full_export.json"))])
        let exports = try ExportParsing.parse(zip, fileName: "x.zip")
        #expect(exports.count == 3)
        #expect(exports.allSatisfy { $0.entry == "DataExport/result.json" })
        #expect(!exports[0].notes.contains { $0.code == "unreferenced-media" })
    }

    @Test func zipBombIsRefusedFastFromTheDirectory() throws {
        let zip = try makeZip([Member("_chat.txt", zeros: 50 << 20)])
        #expect(zip.count < 1 << 20)
        let clock = ContinuousClock()
        let elapsed = clock.measure {
            expectError("unsafe-archive", entry: "_chat.txt") {
                _ = try ExportParsing.parse(
                    zip, fileName: "bomb.zip", limits: ArchiveLimits(maxTotalUncompressedBytes: 10 << 20))
            }
        }
        #expect(elapsed < .seconds(1))
    }

    @Test func zipBombOverTheTotalIsTooLarge() throws {
        let zip = try makeZip([Member("_chat.txt", zeros: 50 << 20)])
        expectError("too-large", entry: "_chat.txt") {
            _ = try ExportParsing.parse(
                zip, fileName: "bomb.zip",
                limits: ArchiveLimits(maxTotalUncompressedBytes: 10 << 20, maxCompressionRatio: 1_000_000))
        }
    }

    @Test func lyingHeaderStopsWhileDecompressing() throws {
        var zip = try makeZip([Member("_chat.txt", zeros: 50 << 20)])
        lie(about: "_chat.txt", size: 1000, in: &zip)
        let clock = ContinuousClock()
        let elapsed = clock.measure {
            expectError("unsafe-archive", entry: "_chat.txt") {
                _ = try ExportParsing.parse(zip, fileName: "liar.zip")
            }
        }
        #expect(elapsed < .seconds(1))
    }

    @Test func mediaOverTheRatioIsSkippedAndNoted() throws {
        let zip = try makeZip([
            Member("_chat.txt", "hallo\n"),
            Member("IMG-20220327-WA0007.jpg", zeros: 4 << 20),
        ])
        let exports = try ExportParsing.parse(zip, fileName: "x.zip")
        let note = try #require(exports.first?.notes.first { $0.code == "media-skipped" })
        #expect(note.message.contains("IMG-20220327-WA0007.jpg"))
        #expect(note.message.contains("compression ratio"))
        #expect(exports.first?.messages.map(\.text) == ["hallo"])
    }

    @Test func mediaOverTheTotalIsSkippedAndNoted() throws {
        let big = (0..<5000).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 13) }
        let zip = try makeZip([
            Member("_chat.txt", "hallo\n"),
            Member("VID-20220327-WA0001.mp4", bytes: big),
            Member("IMG-20220327-WA0002.jpg", bytes: [1, 2, 3]),
        ])
        let exports = try ExportParsing.parse(
            zip, fileName: "x.zip", limits: ArchiveLimits(maxTotalUncompressedBytes: 1000))
        let notes = try #require(exports.first?.notes)
        let skipped = notes.filter { $0.code == "media-skipped" }
        #expect(skipped.count == 1)
        #expect(skipped.first?.message.contains("VID-20220327-WA0001.mp4") == true)
        #expect(exports.first?.messages.map(\.text) == ["hallo"])
    }

    @Test func chatOverTheTotalIsTooLarge() throws {
        let zip = try makeZip([Member("_chat.txt", String(repeating: "hallo welt\n", count: 200))])
        expectError("too-large", entry: "_chat.txt") {
            _ = try ExportParsing.parse(zip, fileName: "x.zip", limits: ArchiveLimits(maxTotalUncompressedBytes: 1000))
        }
    }

    @Test func tooManyEntries() throws {
        let zip = try makeZip((0..<12).map { Member("IMG-\($0).jpg", bytes: [1]) } + [Member("_chat.txt", "a\n")])
        expectError("too-large") {
            _ = try ExportParsing.parse(zip, fileName: "x.zip", limits: ArchiveLimits(maxEntries: 10))
        }
    }

    @Test(arguments: ["../evil.txt", "media/../../evil.jpg", "/etc/passwd", "C:/Windows/x.txt", "a\\..\\b.txt"])
    func unsafeNamesAreRefused(_ name: String) throws {
        let zip = try makeZip([Member("_chat.txt", "a\n"), Member(name, "x")])
        expectError("unsafe-archive", entry: name) {
            _ = try ExportParsing.parse(zip, fileName: "x.zip")
        }
    }

    @Test func symlinksAreRefused() throws {
        let zip = try makeZip([Member("_chat.txt", "a\n"), Member(symlink: "IMG-1.jpg", to: "/etc/passwd")])
        expectError("unsafe-archive", entry: "IMG-1.jpg") {
            _ = try ExportParsing.parse(zip, fileName: "x.zip")
        }
    }

    @Test func nestedArchiveIsNotOpenedByDefault() throws {
        let inner = try makeZip([Member("_chat.txt", "geheim\n")])
        let zip = try makeZip([Member("_chat.txt", "außen\n"), Member("backup.zip", bytes: inner)])
        let exports = try ExportParsing.parse(zip, fileName: "x.zip")
        #expect(exports.count == 1)
        let note = try #require(exports.first?.notes.first { $0.code == "nested-archive" })
        #expect(note.message.contains("backup.zip"))
    }

    /// Each kind of refusal has its own code: a deep nest is not a "budget", an encrypted archive
    /// is not "damaged".
    @Test func tenDeepNestingIsNotedAsANestedArchive() throws {
        var zip = try makeZip([Member("_chat.txt", "innermost\n")])
        for depth in 0..<9 {
            zip = try makeZip([Member("_chat.txt", "level \(depth)\n"), Member("n.zip", bytes: zip)])
        }
        let scanner = ExportScanner(ruleSet: RuleSet.build(layers: [[]]).ruleSet!, fingerprintKey: [1, 2, 3])
        let result = scanner.scan(zip, path: "x.zip", fileName: "x.zip", scratch: try MatchScratch(), detectedAt: "t")
        #expect(result.incomplete)
        let record = try #require(result.records.first { $0.kind == .scanIncomplete })
        #expect(record.code == "nested-archive")
        #expect(!result.records.contains { $0.code == "budget-exhausted" })
    }

    @Test func anEncryptedArchiveHasItsOwnCode() throws {
        var zip = try makeZip([Member("_chat.txt", "secret\n")])
        // Set the "encrypted" flag (bit 0) in the local header and in the central directory.
        zip[6] |= 1
        let signature: [UInt8] = [0x50, 0x4B, 0x01, 0x02]
        let found = (0..<(zip.count - 4)).first { Array(zip[$0..<($0 + 4)]) == signature }
        let central = try #require(found)
        zip[central + 8] |= 1
        expectError("encrypted-archive") {
            _ = try ExportParsing.parse(zip, fileName: "x.zip")
        }
    }

    @Test func nestedArchiveIsOpenedWhenAllowed() throws {
        let inner = try makeZip([Member("_chat.txt", "geheim\n")])
        let zip = try makeZip([Member("_chat.txt", "außen\n"), Member("backup.zip", bytes: inner)])
        let exports = try ExportParsing.parse(zip, fileName: "x.zip", limits: ArchiveLimits(maxNestingDepth: 2))
        #expect(exports.count == 2)
        #expect(exports[1].entry == "backup.zip/_chat.txt")
        #expect(exports[1].messages.map(\.text) == ["geheim"])
        #expect(!exports[0].notes.contains { $0.leavesScanIncomplete })
    }

    @Test func everyTextMemberIsScannedPreferredFirst() throws {
        let zip = try makeZip([
            Member("notizen.txt", "andere Datei\n"),
            Member("_chat.txt", "chat\n"),
        ])
        let exports = try ExportParsing.parse(zip, fileName: "x.zip")
        #expect(exports.map(\.entry) == ["_chat.txt", "notizen.txt"])
    }

    @Test func zipWithoutChatTextIsReported() throws {
        let zip = try makeZip([Member("IMG-1.jpg", bytes: [1, 2])])
        let exports = try ExportParsing.parse(zip, fileName: "Fotos.zip")
        #expect(exports.count == 1)
        #expect(exports[0].notes.map(\.code).contains("no-chat-text"))
        #expect(exports[0].notes.map(\.code).contains("unreferenced-media"))
    }

    @Test func storedEntriesAreRead() throws {
        var member = Member("_chat.txt", "unkomprimiert\n")
        member.compressed = false
        let zip = try makeZip([member])
        #expect(try ExportParsing.parse(zip, fileName: "x.zip").first?.messages.map(\.text) == ["unkomprimiert"])
    }

    @Test(arguments: [0, 10, 30, 60, 100])
    func truncatedArchivesThrowNeverCrash(_ cut: Int) throws {
        let zip = try makeZip([Member("_chat.txt", String(repeating: "Zeile mit Text\n", count: 100))])
        let truncated = Array(zip.prefix(max(4, zip.count * cut / 100)))
        do {
            _ = try ExportParsing.parse(truncated, fileName: "x.zip")
        } catch {
            #expect(["unparseable", "unsafe-archive", "too-large"].contains(error.code))
        }
    }

    @Test func corruptDeflateDataThrows() throws {
        var zip = try makeZip([Member("_chat.txt", String(repeating: "Zeile mit Text\n", count: 100))])
        // Overwrite the start of the compressed data (right after the 30-byte header and name).
        for i in 39..<60 { zip[i] = 0xFF }
        expectError("unparseable", entry: "_chat.txt") {
            _ = try ExportParsing.parse(zip, fileName: "x.zip")
        }
    }

    /// A deflate stream that never ends (a stored block longer than the data left) must not spin.
    @Test func endlessDeflateStreamThrows() throws {
        var zip = try makeZip([Member("_chat.txt", String(repeating: "Zeile mit Text\n", count: 100))])
        // Stored block, not final: BFINAL=0 BTYPE=00, LEN=0xFFFF, NLEN=0x0000.
        let start = 30 + "_chat.txt".utf8.count
        zip.replaceSubrange(start..<(start + 5), with: [0x00, 0xFF, 0xFF, 0x00, 0x00])
        // Declare enough room that the size limit does not stop it first.
        lie(about: "_chat.txt", size: 1_000_000, in: &zip)
        expectError("unparseable", entry: "_chat.txt") {
            _ = try ExportParsing.parse(zip, fileName: "x.zip")
        }
    }

    @Test func chatNames() {
        #expect(ZipExportReader.chatName(from: "WhatsApp Chat with Anna.zip") == "Anna")
        #expect(ZipExportReader.chatName(from: "dir/Dienstgruppe.txt") == "Dienstgruppe")
    }
}

@Suite("Zip robustness")
struct ZipRobustnessTests {
    /// Damaged archives (deterministic byte flips over the whole file) end in a parse or an
    /// `ExportError`: never a crash or a hang.
    @Test func flippedBytesNeverCrash() throws {
        let zip = try makeZip([
            Member("_chat.txt", String(repeating: "27/03/2022, 21:41 - Anna: Hallo Welt\n", count: 40)),
            Member("IMG-20220327-WA0007.jpg", bytes: Array(0..<200)),
            Member("sub/result.json", telegramChat),
        ])
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func random() -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int(truncatingIfNeeded: state >> 33)
        }
        for _ in 0..<400 {
            var damaged = zip
            for _ in 0..<(1 + random() % 4) {
                damaged[random() % damaged.count] = UInt8(truncatingIfNeeded: random())
            }
            do {
                _ = try ExportParsing.parse(damaged, fileName: "x.zip")
            } catch {
                #expect(!error.code.isEmpty)
            }
        }
    }
}
