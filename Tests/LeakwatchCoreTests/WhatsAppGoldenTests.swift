import Foundation
import Testing

@testable import LeakwatchCore

/// What a golden `.expected.json` holds: the parse of the `.txt` next to it, in a form that is
/// easy to read and review.
struct WhatsAppGoldenSnapshot: Codable, Equatable {
    struct Order: Codable, Equatable {
        var order: String
        var certainty: String
    }

    struct Item: Codable, Equatable {
        var line: Int?
        var sent: String
        var timestamp: String?
        var sender: String?
        var kind: String
        var text: String
        var attachments: [String]?
        var latitude: Double?
        var longitude: Double?
    }

    var format: String
    var chat: String?
    var participants: [String]
    var dateOrder: Order?
    var notes: [String]
    var messages: [Item]

    init(_ export: ParsedExport) {
        format = export.format.rawValue
        chat = export.chat
        participants = export.participants
        dateOrder = export.dateOrder.map { Order(order: $0.order.rawValue, certainty: $0.certainty.rawValue) }
        notes = export.notes.map { "\($0.code)@\($0.line ?? 0)" }
        messages = export.messages.map { message in
            Item(
                line: message.line, sent: message.sent, timestamp: message.timestamp?.iso8601, sender: message.sender,
                kind: message.kind.rawValue, text: message.text,
                attachments: message.attachments.isEmpty ? nil : message.attachments.map(\.name),
                latitude: message.location?.latitude, longitude: message.location?.longitude)
        }
    }
}

/// Golden exports written for this project, one per layout, under `Golden/whatsapp/`. Each
/// `name.txt` is parsed and compared with `name.expected.json`. Run with
/// `LEAKWATCH_UPDATE_GOLDEN=1` to rewrite the expectations (then review the diff).
@Suite("WhatsApp golden exports")
struct WhatsAppGoldenTests {
    static let goldenFiles: [String] = {
        let names =
            (try? FileManager.default.contentsOfDirectory(atPath: WhatsAppTestSupport.goldenDirectory.path)) ?? []
        return names.filter { $0.hasSuffix(".txt") }.sorted()
    }()

    @Test("golden export matches its .expected.json", arguments: goldenFiles)
    func golden(_ name: String) throws {
        let url = WhatsAppTestSupport.goldenDirectory.appendingPathComponent(name)
        let expectedURL = url.deletingPathExtension().appendingPathExtension("expected.json")
        let text = try WhatsAppTestSupport.decodedText(url)
        let parsed = try #require(WhatsAppTextParser.parse(text, fileName: name))
        let snapshot = WhatsAppGoldenSnapshot(parsed)

        #expect(WhatsAppTestSupport.lostLines(text, parsed).isEmpty, "\(name): a line belongs to no message")

        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        if ProcessInfo.processInfo.environment["LEAKWATCH_UPDATE_GOLDEN"] == "1" {
            try encoder.encode(snapshot).write(to: expectedURL)
            print("rewrote \(expectedURL.lastPathComponent)")
            return
        }
        let expected = try JSONDecoder().decode(WhatsAppGoldenSnapshot.self, from: Data(contentsOf: expectedURL))
        #expect(snapshot.format == expected.format)
        #expect(snapshot.chat == expected.chat)
        #expect(snapshot.participants == expected.participants)
        #expect(snapshot.dateOrder == expected.dateOrder)
        #expect(snapshot.notes == expected.notes)
        #expect(snapshot.messages.count == expected.messages.count)
        for (got, want) in zip(snapshot.messages, expected.messages) {
            #expect(got == want, "\(name) line \(want.line ?? 0)")
        }
    }

    @Test("the golden directory holds exports")
    func goldenFilesExist() {
        #expect(Self.goldenFiles.count >= 10)
    }
}
