import Foundation
import Testing

@testable import LeakwatchCore

private func golden(_ name: String) throws -> [UInt8] {
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Golden/telegram/\(name)")
    return [UInt8](try Data(contentsOf: url))
}

@Suite("Telegram JSON")
struct TelegramJSONParserTests {
    func singleChat() throws -> ParsedExport {
        let exports = try #require(try TelegramJSONParser.parse(try golden("single_chat.json")))
        #expect(exports.count == 1)
        return try #require(exports.first)
    }

    @Test func singleChatHeader() throws {
        let chat = try singleChat()
        #expect(chat.format == .telegramJSON)
        #expect(chat.chat == "Dienstgruppe Nord")
        #expect(chat.entry == nil)
        #expect(chat.messages.count == 12)
        #expect(chat.participants == ["Anna Schmidt", "Ben Müller", "Dora Neu"])
        #expect(chat.messages.allSatisfy { $0.line == nil })
    }

    @Test func plainMessage() throws {
        let message = try singleChat().messages[1]
        #expect(message.id == "2")
        #expect(message.sent == "2022-03-27T21:41:55")
        #expect(message.timestamp == LocalTimestamp(year: 2022, month: 3, day: 27, hour: 21, minute: 41, second: 55))
        #expect(message.sender == "Anna Schmidt")
        #expect(message.text == "Kennzeichen B-AB 1234 überprüfen")
        #expect(message.kind == .text)
    }

    @Test func entityArrayTextAndForward() throws {
        let message = try singleChat().messages[2]
        // Forwarded: text untouched, sender stays `from`.
        #expect(message.sender == "Ben Müller")
        #expect(message.text == "Siehe Akte 17/22 und hier (https://intern.example/akte/17).")
        #expect(message.kind == .text)
    }

    @Test func photoAndMissingFile() throws {
        let chat = try singleChat()
        let photo = chat.messages[3]
        #expect(photo.kind == .attachment)
        #expect(photo.text == "Tatort")
        #expect(photo.attachments == [Attachment(name: "photos/photo_1@27-03-2022_21-43-00.jpg", present: nil)])
        let file = chat.messages[4]
        #expect(file.kind == .attachment)
        #expect(file.attachments == [Attachment(name: "Vernehmung.pdf", present: false)])
        let voice = chat.messages[10]
        #expect(voice.kind == .attachment)
        #expect(voice.attachments.map(\.name) == ["voice_messages/audio_1@27-03-2022_21-50-00.ogg"])
    }

    @Test func locationContactPoll() throws {
        let chat = try singleChat()
        let location = chat.messages[5]
        #expect(location.kind == .location)
        #expect(location.location?.latitude == 52.520008)
        #expect(location.location?.longitude == 13.404954)
        #expect(location.location?.text.contains("52.520008") == true)

        let contact = chat.messages[6]
        #expect(contact.kind == .contact)
        #expect(contact.text == "Carla Zeugin (+49 170 1234567)")
        #expect(contact.attachments.map(\.name) == ["contacts/contact_1.vcf"])

        let poll = chat.messages[7]
        #expect(poll.kind == .poll)
        #expect(poll.text == "Einsatz morgen?\nJa\nNein")
    }

    @Test func nullSenderAndHexEscapes() throws {
        let message = try singleChat().messages[8]
        #expect(message.sender == nil)
        // `\x07` became U+0007; `\\x41` stays a backslash followed by `x41`.
        #expect(message.text == "Gelöschtes Konto\u{07} piept, Pfad C:\\x41")
    }

    @Test func serviceMessages() throws {
        let chat = try singleChat()
        let created = chat.messages[0]
        #expect(created.kind == .system)
        #expect(created.sender == "Anna Schmidt")
        #expect(created.text == "created group «Dienstgruppe Nord» with Anna Schmidt, Ben Müller")
        #expect(chat.messages[9].text == "invited Dora Neu")
        #expect(chat.messages[11].text == "pinned message 2")
    }

    @Test func fullExportHasOneExportPerChat() throws {
        let exports = try #require(try TelegramJSONParser.parse(try golden("full_export.json")))
        #expect(exports.map(\.chat) == ["Ben Müller", nil, "Alte Gruppe"])
        #expect(exports[0].participants == ["Ben Müller", "Anna Schmidt"])
        #expect(exports[1].messages.first?.text == "+49 30 1234567")
        #expect(exports[2].messages.first?.kind == .system)
        #expect(exports[2].messages.first?.text == "joined the group via a link from Anna Schmidt")
        #expect(exports[2].participants == ["Egon"])
    }

    @Test func brokenTelegramThrows() throws {
        let bytes = try golden("broken.json")
        #expect(throws: ExportError.self) { try TelegramJSONParser.parse(bytes) }
        do {
            _ = try TelegramJSONParser.parse(bytes)
        } catch {
            #expect(error.code == "unparseable")
        }
    }

    @Test(arguments: [
        "not json at all",
        "[1, 2, 3]",
        "{\"version\": 3, \"items\": []}",
        "{ broken but no telegram keys",
        "",
    ])
    func notTelegramIsNil(_ text: String) throws {
        #expect(try TelegramJSONParser.parse(Array(text.utf8)) == nil)
    }

    @Test func goldenNonTelegramJSONIsNil() throws {
        #expect(try TelegramJSONParser.parse(try golden("not_telegram.json")) == nil)
    }

    @Test(arguments: [
        (#"{"a": "\x1b[0m"}"#, #"{"a": "\u001b[0m"}"#),
        (#"{"a": "\\x41"}"#, #"{"a": "\\x41"}"#),
        (#"{"a": "\\\x41"}"#, #"{"a": "\\\u0041"}"#),
        (#"{"a": "x\"\x0A"}"#, #"{"a": "x\"\u000A"}"#),
        (#"{"a": "\xZZ"}"#, #"{"a": "\xZZ"}"#),
    ])
    func hexEscapesAreRewritten(_ input: String, _ expected: String) {
        let output = TelegramJSONParser.escapeHexBytes(Array(input.utf8)[...])
        #expect(String(decoding: output, as: UTF8.self) == expected)
    }

    @Test func bomAndInvalidUTF8AreTolerated() throws {
        var bytes: [UInt8] = [0xEF, 0xBB, 0xBF]
        bytes += Array(
            #"{"name": "X", "type": "personal_chat", "id": 1, "messages": [{"id": 1, "type": "message", "date": "2022-01-02T03:04:05", "from": "A", "text": "a"#
                .utf8)
        bytes += [0xFF]
        bytes += Array(#"b"}]}"#.utf8)
        let exports = try #require(try TelegramJSONParser.parse(bytes))
        #expect(exports[0].messages[0].text == "a\u{FFFD}b")
        #expect(exports[0].notes.map(\.code) == ["invalid-utf8"])
    }

    @Test(arguments: ["2022-03-27T21:41:55", "2022-03-27 21:41:55"])
    func timestamps(_ text: String) {
        #expect(
            TelegramJSONParser.parseTimestamp(text)
                == LocalTimestamp(year: 2022, month: 3, day: 27, hour: 21, minute: 41, second: 55))
    }

    @Test(arguments: ["", "2022-13-27T21:41:55", "yesterday", "2022-03-27T21:41"])
    func badTimestamps(_ text: String) {
        #expect(TelegramJSONParser.parseTimestamp(text) == nil)
    }

    @Test func dispatchFindsTelegramByContentNotName() throws {
        let exports = try ExportParsing.parse(try golden("single_chat.json"), fileName: "notes.txt")
        #expect(exports.first?.format == .telegramJSON)
        let other = try ExportParsing.parse(try golden("not_telegram.json"), fileName: "result.json")
        #expect(other.first?.format == .plain)
    }

    @Test func utf16TelegramIsRead() throws {
        let text = String(decoding: try golden("full_export.json"), as: UTF8.self)
        var bytes: [UInt8] = [0xFF, 0xFE]
        for unit in text.utf16 { bytes += [UInt8(unit & 0xFF), UInt8(unit >> 8)] }
        let exports = try ExportParsing.parse(bytes, fileName: "x")
        #expect(exports.count == 3)
        #expect(exports.first?.format == .telegramJSON)
    }
}
