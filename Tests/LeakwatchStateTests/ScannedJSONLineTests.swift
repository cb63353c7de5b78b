import Foundation
import LeakwatchCore
import LeakwatchTestSupport
import Testing

/// Every alert and record that scanning the bundled exports gives (settled against a real state,
/// so with exposure, message keys, responses and sightings, as `leakwatch scan` writes them) has
/// the same JSON line from `JSONLineWriter` as from `JSONEncoder`, byte for byte.
@Suite("Scanned alerts' JSON lines")
struct ScannedJSONLineTests {
    /// A set of exports scanned in turn against one state.
    struct Corpus: CustomTestStringConvertible, Sendable {
        var name: String
        var files: @Sendable () throws -> [(name: String, bytes: [UInt8])]
        var testDescription: String { name }
    }

    static func directory(_ path: URL, suffixes: [String]) -> [(name: String, bytes: [UInt8])] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path.path)) ?? []
        return names.filter { name in suffixes.contains { name.hasSuffix($0) } && !name.hasSuffix(".expected.json") }
            .sorted()
            .compactMap { name in
                (try? Data(contentsOf: path.appendingPathComponent(name))).map { (path.path + "/" + name, [UInt8]($0)) }
            }
    }

    /// `samples/`, the golden WhatsApp and Telegram exports, the four-phone chat (which gives
    /// sightings and responses) and, when present, the shared WhatsApp fixtures next to the
    /// repository.
    static let corpora: [Corpus] = {
        let golden = repository.appendingPathComponent("Tests/LeakwatchCoreTests/Golden")
        var corpora = [
            Corpus(name: "samples") { directory(repository.appendingPathComponent("samples"), suffixes: [".txt"]) },
            Corpus(name: "golden WhatsApp") {
                directory(golden.appendingPathComponent("whatsapp"), suffixes: [".txt"])
            },
            Corpus(name: "golden Telegram") {
                directory(golden.appendingPathComponent("telegram"), suffixes: [".json"])
            },
            Corpus(name: "four phones") {
                try [(FourPhoneChat.otherChatFileName, FourPhoneChat.otherChat())]
                    + FourPhoneChat.Phone.allCases.map { ($0.fileName, try FourPhoneChat.export($0)) }
            },
        ]
        let shared = repository.deletingLastPathComponent().appendingPathComponent("shared/fixtures/whatsapp")
        let sharedDirectories = (try? FileManager.default.contentsOfDirectory(atPath: shared.path)) ?? []
        for name in sharedDirectories.sorted() {
            corpora.append(
                Corpus(name: "shared \(name)") {
                    directory(shared.appendingPathComponent(name), suffixes: [".txt", ".json", ".zip"])
                })
        }
        return corpora
    }()

    @Test("writer and JSONEncoder agree on every line", arguments: corpora)
    func sameLines(_ corpus: Corpus) throws {
        let run = try LedgerRun()
        var alerts: [Alert] = []
        var records: [ScanRecord] = []
        for file in try corpus.files() {
            let settled = try run.settle(file.bytes, name: file.name)
            alerts += settled.alerts
            records += settled.records
        }
        for alert in alerts {
            let expected = JSONLineWriterReference.line(alert)
            #expect(AlertFormatting.jsonLine(alert) == expected)
            #expect(alert.jsonLine == expected)
        }
        for record in records {
            let expected = JSONLineWriterReference.line(record)
            #expect(AlertFormatting.jsonLine(record) == expected)
            #expect(record.jsonLine == expected)
        }
        if corpus.name == "samples" || corpus.name == "four phones" { #expect(!alerts.isEmpty) }
        if corpus.name == "four phones" {
            #expect(records.contains { $0.kind == .sighting })
            #expect(alerts.contains { $0.responses?.isEmpty == false })
            #expect(alerts.contains { $0.exposure != nil && $0.message.key != nil })
        }
    }
}

/// What `AlertFormatting.jsonLine` gave before `JSONLineWriter`: `JSONEncoder`.
enum JSONLineWriterReference {
    static func line(_ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(value) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }
}
