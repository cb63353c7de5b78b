import Foundation
import LeakwatchCore
import LeakwatchScan
import Testing

/// A streamed export written piece by piece must be byte for byte the JSON `JSONEncoder` writes
/// for the export parsed whole (what `leakwatch parse --format json` printed before it streamed).
@Suite struct ExportJSONWriterTests {
    /// `JSONEncoder`'s document for the exports, as `leakwatch parse` always wrote it.
    static func encoderJSON(_ exports: [ParsedExport]) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data = exports.count == 1 ? try encoder.encode(exports[0]) : try encoder.encode(exports)
        return String(decoding: data, as: UTF8.self)
    }

    /// The document the writer gives for `bytes` streamed `chunkBytes` at a time; `nil` when the
    /// file was read whole.
    static func streamedJSON(_ bytes: [UInt8], name: String, chunkBytes: Int) throws -> String? {
        var out = ""
        var writer = ExportJSONWriter(write: { out += $0 })
        var source = MemoryByteSource(bytes)
        let reading = try StreamingExportParser(chunkBytes: chunkBytes).parse(
            &source, fileName: name, path: name,
            begin: { (head) throws(LeakwatchError) in try writer.begin(head.export) },
            messages: { (messages) throws(LeakwatchError) in try writer.add(messages) })
        guard case .streamed(let rest) = reading else { return nil }
        try writer.finish(rest.export)
        return out
    }

    /// The samples, the golden WhatsApp exports, and a few edge cases (no messages at all, only
    /// blank lines, unplaced lines before the first header, a location share).
    static let inputs: [(name: String, bytes: [UInt8])] = {
        var inputs: [(String, [UInt8])] = []
        let samples = CommandLine.repository.appendingPathComponent("samples")
        let golden = CommandLine.repository.appendingPathComponent("Tests/LeakwatchCoreTests/Golden/whatsapp")
        for directory in [samples, golden] {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
            for name in names.sorted() where name.hasSuffix(".txt") {
                inputs.append((name, (try? Array(Data(contentsOf: directory.appendingPathComponent(name)))) ?? []))
            }
        }
        inputs.append(("empty.txt", []))
        inputs.append(("blank.txt", Array("\n\n  \r\n\n".utf8)))
        inputs.append(
            (
                "WhatsApp Chat with Kim \"K\" / Ops.txt",
                Array(
                    ("not a header\r\n07/11/2021, 18:14 - Kim: location: https://maps.google.com/?q=51.5,-0.12\n"
                        + "07/11/2021, 18:15 - Kim: \"quoted\" \\ back\\slash \u{1}\tcontrol é 🚓\n").utf8)
            ))
        return inputs
    }()

    @Test(arguments: inputs.indices, [1, 64, 1 << 20])
    func streamedJSONIsTheEncodersJSON(input: Int, chunkBytes: Int) throws {
        let (name, bytes) = Self.inputs[input]
        let exports = try ExportParsing.parse(bytes, fileName: name)
        let expected = try Self.encoderJSON(exports)
        #expect(try ExportJSONWriter.document(exports) == expected)
        let streamed = try #require(try Self.streamedJSON(bytes, name: name, chunkBytes: chunkBytes))
        #expect(streamed == expected, "\(name)")
        #expect(try JSONSerialization.jsonObject(with: Data(streamed.utf8)) is [String: Any])
    }

    /// An export many times the chunk size (as a large file is many times the stream threshold).
    @Test func aLargeExportStreamsToTheSameJSON() throws {
        let bytes = [UInt8](StreamingScanMemoryTests.export(megabytes: 1))
        let name = "WhatsApp Chat with B Relief.txt"
        let exports = try ExportParsing.parse(bytes, fileName: name)
        #expect((exports.first?.messages.count ?? 0) >= 600)
        let expected = try Self.encoderJSON(exports)
        let streamed = try #require(try Self.streamedJSON(bytes, name: name, chunkBytes: 16 << 10))
        #expect(streamed.utf8.count == expected.utf8.count)
        #expect(streamed == expected)
    }

    @Test func severalExportsAreAnArray() throws {
        let one = ParsedExport(
            format: .plain, messages: [Message(line: 1, sent: "", sender: nil, text: "a", kind: .text)])
        var two = one
        two.entry = "b/_chat.txt"
        #expect(try ExportJSONWriter.document([one, two]) == Self.encoderJSON([one, two]))
        #expect(try ExportJSONWriter.document([one, two]).hasPrefix("["))
    }

    @Test func messagesBeforeTheStartAreRefused() throws {
        var writer = ExportJSONWriter(write: { _ in })
        #expect(throws: LeakwatchError.self) {
            try writer.add([Message(sent: "", sender: nil, text: "a", kind: .text)])
        }
        #expect(throws: LeakwatchError.self) {
            try writer.finish(ParsedExport(format: .plain, messages: []))
        }
    }
}
