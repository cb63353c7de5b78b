import Foundation
import Testing

@testable import LeakwatchCore

/// Lines (and streamed messages) have a maximum length: longer text is cut into pieces that are
/// all matched, with a note, the same way read whole or streamed, so memory stays bounded.
@Suite struct LongLineTests {
    static let maxLine = 256

    static func scanner() throws -> ExportScanner {
        var scanner = ExportScanner(ruleSet: try StreamingExportScannerTests.rules(), fingerprintKey: [7, 7, 7, 7])
        scanner.maxLineBytes = maxLine
        return scanner
    }

    /// Long lines of every kind: ASCII, multi-byte characters across the cut, invalid UTF-8 in
    /// them, exactly at and one past the limit, no final line break.
    static let plainInputs: [(name: String, bytes: [UInt8])] = {
        let filler = String(repeating: "x", count: 700)
        var inputs: [(String, [UInt8])] = []
        inputs.append(("ascii", Array("short one\n\(filler) OFFICIAL-SENSITIVE \(filler)\nafter SW1A 1AA\n".utf8)))
        let multibyte = String(repeating: "é🚓ü", count: 120)
        inputs.append(("multibyte", Array("\(multibyte) OFFICIAL-SENSITIVE \(multibyte)\nend\n".utf8)))
        var invalid = Array("\(filler)\n\(filler)\(filler)\n".utf8)
        for position in stride(from: 200, to: invalid.count, by: 97) { invalid[position] = 0xFF }
        invalid.insert(contentsOf: [0xE2, 0x82], at: 256)
        inputs.append(("invalid", invalid))
        inputs.append(("exactly", Array((String(repeating: "a", count: maxLine) + "\n").utf8)))
        inputs.append(("one-past", Array((String(repeating: "a", count: maxLine + 1) + "\n").utf8)))
        inputs.append(("no-final-break", Array(String(repeating: "b", count: 1000).utf8)))
        inputs.append(("bom", [0xEF, 0xBB, 0xBF] + Array(String(repeating: "c", count: 600).utf8)))
        // Lines around a third of the limit (an invalid byte decodes to three), short and long mixed.
        let lengths = [1, 84, 85, 86, 87, 200, maxLine, 3, maxLine + 1, 90, 2, 2 * maxLine, 5]
        inputs.append(("mixed-lengths", Array(lengths.map { String(repeating: "m", count: $0) + "\n" }.joined().utf8)))
        return inputs
    }()

    @Test(arguments: plainInputs.indices, [1, 7, 64, 300, 1 << 20])
    func longLinesAreCutTheSameStreamedAndWhole(input: Int, chunkBytes: Int) throws {
        let (name, bytes) = Self.plainInputs[input]
        let scanner = try Self.scanner()
        let scratch = try MatchScratch()
        let whole = scanner.scan(bytes, path: name, fileName: name, scratch: scratch, detectedAt: "t")
        var source = MemoryByteSource(bytes)
        let streamed = StreamingExportScanner(scanner: scanner, chunkBytes: chunkBytes).scan(
            &source, path: name, fileName: name, scratch: scratch, detectedAt: "t")
        #expect(streamed.failure == nil)
        #expect(streamed.exports == whole.exports)
        #expect(streamed.alerts == whole.alerts)
        #expect(streamed.records == whole.records)
    }

    @Test func everyPieceIsAtMostTheLimitAndNothingIsLost() throws {
        let text = String(repeating: "é🚓ü-", count: 500) + "\nshort\n"
        let decoded = TextDecoding.decode(Array(text.utf8), maxLineBytes: Self.maxLine)
        let pieces = decoded.text.utf8.split(separator: 0x0A, omittingEmptySubsequences: false)
        #expect(pieces.allSatisfy { $0.count <= Self.maxLine })
        #expect(decoded.text.replacingOccurrences(of: "\n", with: "") == text.replacingOccurrences(of: "\n", with: ""))
        let note = try #require(decoded.notes.first { $0.code == "long-line" })
        #expect(note.line == 1)
        #expect(note.message.contains("1 line(s)"))
        // A match in the middle of a long line is still found.
        let scanner = try Self.scanner()
        let line = String(repeating: "y", count: 1000) + " OFFICIAL-SENSITIVE " + String(repeating: "y", count: 1000)
        let result = scanner.scan(
            Array(line.utf8), path: "p", fileName: "p", scratch: try MatchScratch(), detectedAt: "t")
        #expect(result.alerts.contains { $0.rule.id == "protective-marking.official-sensitive" })
        #expect(result.records.contains { $0.code == "long-line" })
    }

    /// A message longer than the limit (many short lines) is matched in pieces that keep its sender
    /// and time, the same read whole or streamed.
    @Test(arguments: [64 << 10, 1 << 20])
    func aLongMessageIsMatchedInPiecesTheSameStreamedAndWhole(chunkBytes: Int) throws {
        var text = "07/11/2021, 18:14 - PC Tom Reyes: start of a long message\n"
        for index in 0..<40 { text += "line \(index) of the message\n" }
        text += "OFFICIAL-SENSITIVE near the end\n07/11/2021, 18:20 - PC Amy Lee: next\n"
        let bytes = Array(text.utf8)
        let scanner = try Self.scanner()
        let whole = scanner.scan(bytes, path: "m", fileName: "m", scratch: try MatchScratch(), detectedAt: "t")
        var source = MemoryByteSource(bytes)
        let streamed = StreamingExportScanner(scanner: scanner, chunkBytes: chunkBytes).scan(
            &source, path: "m", fileName: "m", scratch: try MatchScratch(), detectedAt: "t")
        #expect(streamed.alerts == whole.alerts)
        #expect(streamed.records == whole.records)
        let alert = try #require(whole.alerts.first { $0.rule.id == "protective-marking.official-sensitive" })
        #expect(alert.message.sender == "PC Tom Reyes")
        #expect(whole.records.contains { $0.code == "long-message" })
    }

    /// An export read whole is matched a chunk of messages at a time (so matching memory stays
    /// bounded), with exactly the result of matching all of its messages at once.
    @Test(arguments: StreamingExportScannerTests.inputs.indices, [1, 64, 500])
    func anExportReadWholeIsMatchedInChunksWithTheSameResult(input: Int, chunkBytes: Int) throws {
        let (name, bytes) = StreamingExportScannerTests.inputs[input]
        let allAtOnce = ExportScanner(ruleSet: try StreamingExportScannerTests.rules(), fingerprintKey: [7])
        var chunked = allAtOnce
        chunked.chunkBytes = chunkBytes
        let scratch = try MatchScratch()
        let one = allAtOnce.scan(bytes, path: name, fileName: name, scratch: scratch, detectedAt: "t")
        let many = chunked.scan(bytes, path: name, fileName: name, scratch: scratch, detectedAt: "t")
        #expect(many.alerts == one.alerts)
        #expect(many.records == one.records)
        #expect(many.exports == one.exports)
    }

    /// A WhatsApp message too long to hold (longer than a chunk and a line) is cut inside, and the
    /// pieces keep its sender and time: a match deep inside is still an alert on that message.
    @Test func aStreamedMessageTooLongToHoldIsMatchedInPieces() throws {
        var text = "07/11/2021, 18:14 - PC Tom Reyes: start of a very long message\n"
        for index in 0..<400 { text += "line \(index) of the message, nothing to see here at all\n" }
        text += "and then OFFICIAL-SENSITIVE deep inside\n"
        for index in 0..<50 { text += "more \(index)\n" }
        text += "07/11/2021, 18:20 - PC Amy Lee: next message\n"
        let scanner = try Self.scanner()
        var source = MemoryByteSource(Array(text.utf8))
        let streamed = StreamingExportScanner(scanner: scanner, chunkBytes: 512).scan(
            &source, path: "c.txt", fileName: "c.txt", scratch: try MatchScratch(), detectedAt: "t")
        #expect(streamed.failure == nil)
        let alert = try #require(streamed.alerts.first { $0.rule.id == "protective-marking.official-sensitive" })
        #expect(alert.message.sender == "PC Tom Reyes")
        #expect(alert.message.sent == "07/11/2021, 18:14")
        let note = try #require(streamed.records.first { $0.code == "long-message" })
        #expect(note.line == 1)
        #expect(streamed.exports.first?.format == "whatsapp-android")
        #expect(!streamed.records.contains { $0.code == "unplaced-lines" })
    }

    @Test(arguments: [
        ("UTF-16 LE without BOM", false, true), ("UTF-16 BE without BOM", false, false),
        ("UTF-16 LE with BOM", true, true),
    ])
    func utf16IsRecognisedWithOrWithoutAByteOrderMark(what: String, bom: Bool, littleEndian: Bool) throws {
        let text = "07/11/2021, 18:14 - PC Tom Reyes: OFFICIAL-SENSITIVE briefing at SW1A 1AA\n"
        var bytes: [UInt8] = bom ? (littleEndian ? [0xFF, 0xFE] : [0xFE, 0xFF]) : []
        for unit in text.utf16 {
            bytes += littleEndian ? [UInt8(unit & 0xFF), UInt8(unit >> 8)] : [UInt8(unit >> 8), UInt8(unit & 0xFF)]
        }
        let scanner = try Self.scanner()
        let utf16 = scanner.scan(bytes, path: "u", fileName: "u", scratch: try MatchScratch(), detectedAt: "t")
        let utf8 = scanner.scan(
            Array(text.utf8), path: "u", fileName: "u", scratch: try MatchScratch(), detectedAt: "t")
        #expect(utf16.exports.first?.format == "whatsapp-android", "\(what)")
        #expect(utf16.alerts.map(\.rule.id) == utf8.alerts.map(\.rule.id), "\(what)")
        #expect(!utf16.alerts.isEmpty)
        #expect(!utf16.records.contains { $0.code == "invalid-utf8" })
        // Streamed (the sniff sends UTF-16 to the whole-file reader).
        var source = MemoryByteSource(bytes)
        let streamed = StreamingExportScanner(scanner: scanner, chunkBytes: 16).scan(
            &source, path: "u", fileName: "u", scratch: try MatchScratch(), detectedAt: "t")
        #expect(streamed.alerts == utf16.alerts)
    }

    static let binaryInputs: [String: [UInt8]] = [
        "zeros": [UInt8](repeating: 0, count: 100_000),
        "zeros after a little text": Array("hello there\n".utf8) + [UInt8](repeating: 0, count: 10_000),
        "every third byte NUL": (0..<8192).map { $0 % 3 == 0 ? 0 : 0x41 },
    ]

    @Test(arguments: binaryInputs.keys.sorted())
    func aFileOfNULBytesIsBinaryNotAnExport(what: String) throws {
        let bytes = try #require(Self.binaryInputs[what])
        let scanner = try Self.scanner()
        let whole = scanner.scan(bytes, path: "z", fileName: "z", scratch: try MatchScratch(), detectedAt: "t")
        #expect(whole.failure?.code.rawValue == "binary", "\(what)")
        var source = MemoryByteSource(bytes)
        let streamed = StreamingExportScanner(scanner: scanner, chunkBytes: 1024).scan(
            &source, path: "z", fileName: "z", scratch: try MatchScratch(), detectedAt: "t")
        #expect(streamed.failure?.code.rawValue == "binary", "\(what)")
        #expect(source.offset <= TextDecoding.sniffBytes + 1024, "decided from the start of the file")
    }
}
