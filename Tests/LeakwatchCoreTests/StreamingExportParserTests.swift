import Foundation
import Testing

@testable import LeakwatchCore

/// A streamed parse must hand out exactly the messages, and end with exactly the export, that
/// parsing the whole file gives.
@Suite struct StreamingExportParserTests {
    /// What a streamed parse gave: the head `begin` saw, the messages in order, and the end.
    struct Streamed {
        var head: ParsedExport?
        var messages: [Message] = []
        var chunks = 0
        var reading: StreamingExportParser.Reading?
    }

    static func stream(_ bytes: [UInt8], name: String, chunkBytes: Int) throws -> Streamed {
        var streamed = Streamed()
        var source = MemoryByteSource(bytes)
        let parser = StreamingExportParser(chunkBytes: chunkBytes)
        streamed.reading = try parser.parse(
            &source, fileName: name, path: name,
            begin: { head in
                #expect(streamed.head == nil, "begin is called once")
                streamed.head = head.export
            },
            messages: { messages in
                #expect(streamed.head != nil, "begin comes before the messages")
                #expect(!messages.isEmpty)
                streamed.messages += messages
                streamed.chunks += 1
            })
        return streamed
    }

    /// The inputs of the streamed scan's tests, and the golden WhatsApp exports.
    static let inputs: [(name: String, bytes: [UInt8])] = {
        var inputs = StreamingExportScannerTests.inputs
        let golden = StreamingExportScannerTests.repository.appendingPathComponent(
            "Tests/LeakwatchCoreTests/Golden/whatsapp")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: golden.path)) ?? []
        for name in names.sorted() where name.hasSuffix(".txt") {
            inputs.append((name, (try? Array(Data(contentsOf: golden.appendingPathComponent(name)))) ?? []))
        }
        return inputs
    }()

    @Test(arguments: inputs.indices, [1, 7, 64, 300, 1 << 20])
    func streamedParseEqualsWholeFileParse(input: Int, chunkBytes: Int) throws {
        let (name, bytes) = Self.inputs[input]
        let whole = try ExportParsing.parse(bytes, fileName: name)
        #expect(whole.count == 1)
        let expected = try #require(whole.first)
        let streamed = try Self.stream(bytes, name: name, chunkBytes: chunkBytes)
        guard case .streamed(let rest) = streamed.reading else {
            Issue.record("\(name) was not streamed")
            return
        }
        #expect(streamed.messages == expected.messages)
        #expect(rest.messageCount == expected.messages.count)
        #expect(rest.sha256 == nil, "no hash unless asked for")
        var export = rest.export
        export.messages = streamed.messages
        #expect(export == expected)
        // What comes before the messages in the JSON is known at the start.
        let head = try #require(streamed.head)
        #expect(head.format == expected.format)
        #expect(head.chat == expected.chat)
        #expect(head.entry == expected.entry)
        #expect(head.dateOrder == expected.dateOrder)
        if chunkBytes == 1, expected.messages.count > 1 { #expect(streamed.chunks > 1) }
    }

    @Test func theSurveyHashesWhenAskedTo() throws {
        let bytes = try #require(StreamingExportScannerTests.inputs.first { $0.name == "android-multiline" }).bytes
        var source = MemoryByteSource(bytes)
        let reading = try StreamingExportParser(chunkBytes: 100).parse(
            &source, fileName: "chat.txt", path: "chat.txt", hashing: true, messages: { _ in })
        guard case .streamed(let rest) = reading else {
            Issue.record("not streamed")
            return
        }
        #expect(rest.sha256 == ScannedFile(path: "chat.txt", bytes: bytes).sha256)
    }

    @Test func zipJSONUTF16AndMediaAreReadWholeWithinTheLimit() throws {
        let json = Array(#"  {"name": "x", "type": "personal_chat", "id": 1, "messages": []}"#.utf8)
        let utf16: [UInt8] =
            [0xFF, 0xFE] + Array("12/03/2022, 10:00 - A: hi\n".utf16).flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
        let zip: [UInt8] = [0x50, 0x4B, 0x03, 0x04] + Array(repeating: 0, count: 40)
        let pdf = Array("%PDF-1.7\n12/03/2022, 10:00 - A: hi\nstream\n".utf8)
        let jpeg: [UInt8] = [0xFF, 0xD8, 0xFF, 0xE0] + Array("12/03/2022, 10:00 - A: hi\n".utf8)
        for bytes in [json, utf16, zip, pdf, jpeg] {
            let streamed = try Self.stream(bytes, name: "x", chunkBytes: 4)
            guard case .whole(let read) = streamed.reading else {
                Issue.record("streamed: \(bytes.prefix(4))")
                continue
            }
            #expect(read == bytes)
            #expect(streamed.head == nil)
            #expect(streamed.messages.isEmpty)
        }
        var source = MemoryByteSource(json)
        #expect(throws: LeakwatchError.self) {
            _ = try StreamingExportParser(chunkBytes: 4).parse(
                &source, fileName: "r.json", path: "r.json", wholeFileLimit: 10, messages: { _ in })
        }
    }

    @Test func aBinaryFileIsRefused() throws {
        var source = MemoryByteSource([0x00, 0x01, 0x00, 0x02] + Array(repeating: 0, count: 100))
        let error = #expect(throws: LeakwatchError.self) {
            _ = try StreamingExportParser(chunkBytes: 16).parse(&source, fileName: "x", path: "x", messages: { _ in })
        }
        #expect(error?.code.rawValue == "binary")
    }

    @Test func whatTheCallerThrowsStopsTheParse() throws {
        let bytes = try #require(StreamingExportScannerTests.inputs.first { $0.name == "android-multiline" }).bytes
        var source = MemoryByteSource(bytes)
        var chunks = 0
        #expect(throws: LeakwatchError.self) {
            _ = try StreamingExportParser(chunkBytes: 64).parse(
                &source, fileName: "chat.txt", path: "chat.txt",
                messages: { (_) throws(LeakwatchError) in
                    chunks += 1
                    throw LeakwatchError(code: .io, message: "stdout closed")
                })
        }
        #expect(chunks == 1)
    }
}
