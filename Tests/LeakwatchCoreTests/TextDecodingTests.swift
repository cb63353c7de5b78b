import Foundation
import Testing

@testable import LeakwatchCore

@Suite("Text decoding")
struct TextDecodingTests {
    static let sample = "[27.03.22, 21:41:55] Anna: Kennzeichen B-AB 1234 – Ätsch 👮\nzweite Zeile\r\n"

    enum Variant: String, CaseIterable, Sendable {
        case utf8, utf8BOM, utf16LE, utf16BE

        var expectedEncoding: String {
            switch self {
            case .utf8: "utf-8"
            case .utf8BOM: "utf-8-bom"
            case .utf16LE: "utf-16le"
            case .utf16BE: "utf-16be"
            }
        }

        func encode(_ text: String) -> [UInt8] {
            switch self {
            case .utf8: return Array(text.utf8)
            case .utf8BOM: return [0xEF, 0xBB, 0xBF] + Array(text.utf8)
            case .utf16LE: return [0xFF, 0xFE] + text.utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
            case .utf16BE: return [0xFE, 0xFF] + text.utf16.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
            }
        }
    }

    @Test(arguments: Variant.allCases)
    func decodesEveryEncoding(_ variant: Variant) {
        let decoded = TextDecoding.decode(variant.encode(Self.sample))
        #expect(decoded.text == Self.sample)
        #expect(decoded.encoding == variant.expectedEncoding)
        #expect(decoded.invalidSequences == 0)
        #expect(decoded.notes.isEmpty)
    }

    @Test(arguments: Variant.allCases)
    func strayByteOrderMarkMidFileIsKept(_ variant: Variant) {
        let text = "eins\n\u{FEFF}zwei\n"
        let decoded = TextDecoding.decode(variant.encode(text))
        #expect(decoded.text == text)
    }

    @Test(arguments: [
        ([0xFF] as [UInt8], 1),
        ([0xC3] as [UInt8], 1),  // truncated two-byte sequence
        ([0xE2, 0x82] as [UInt8], 1),  // truncated three-byte sequence: one maximal subpart
        ([0xED, 0xA0, 0x80] as [UInt8], 3),  // encoded surrogate
        ([0xC0, 0xAF] as [UInt8], 2),  // overlong
        ([0xFF, 0xFE, 0xFD] as [UInt8], 3),
    ])
    func invalidUTF8IsReplacedAndReported(_ bad: [UInt8], _ count: Int) throws {
        let bytes = Array("erste Zeile\nzweite ".utf8) + bad + Array(" Zeile bleibt lesbar\n".utf8)
        let decoded = TextDecoding.decode(bytes)
        #expect(decoded.invalidSequences == count)
        #expect(decoded.text.hasPrefix("erste Zeile\nzweite \u{FFFD}"))
        #expect(decoded.text.hasSuffix(" Zeile bleibt lesbar\n"))
        #expect(decoded.text.unicodeScalars.filter { $0 == "\u{FFFD}" }.count == count)
        let note = try #require(decoded.notes.first)
        #expect(note.code == "invalid-utf8")
        #expect(note.line == 2)
        #expect(decoded.encoding == "utf-8")
    }

    @Test func invalidUTF8AfterBOM() {
        let decoded = TextDecoding.decode([0xEF, 0xBB, 0xBF, 0x61, 0x80, 0x62])
        #expect(decoded.text == "a\u{FFFD}b")
        #expect(decoded.encoding == "utf-8-bom")
        #expect(decoded.notes.map(\.code) == ["invalid-utf8"])
    }

    @Test func loneSurrogateInUTF16() {
        // "a", lone high surrogate, "b" in UTF-16LE.
        let decoded = TextDecoding.decode([0xFF, 0xFE, 0x61, 0x00, 0x3D, 0xD8, 0x62, 0x00])
        #expect(decoded.text == "a\u{FFFD}b")
        #expect(decoded.notes.map(\.code) == ["invalid-utf16"])
    }

    @Test func oddUTF16ByteCountIsReported() {
        let decoded = TextDecoding.decode([0xFF, 0xFE, 0x61, 0x00, 0x62])
        #expect(decoded.text == "a\u{FFFD}")
        #expect(decoded.notes.map(\.code) == ["invalid-utf16"])
    }

    @Test func emptyInput() {
        #expect(TextDecoding.decode([]).text == "")
        #expect(TextDecoding.decode([0xEF, 0xBB, 0xBF]).text == "")
        #expect(TextDecoding.decode([0xFF, 0xFE]).text == "")
    }

    @Test func invalidUTF8NoteReachesParsedExport() throws {
        let exports = try ExportParsing.parse(Array("hallo ".utf8) + [0xFF] + Array(" welt\n".utf8), fileName: "x.txt")
        #expect(exports.first?.notes.first?.code == "invalid-utf8")
        #expect(exports.first?.messages.first?.text == "hallo \u{FFFD} welt")
    }

    /// The word-at-a-time scans agree with a byte-by-byte count and with the standard library's
    /// validation, at every alignment and length (line feeds next to 0x8A and 0x0B, bytes that
    /// differ from 0x0A in one bit; valid and invalid sequences straddling the eight-byte words).
    @Test func wordAtATimeScansAgreeWithByteByByte() {
        var generator = SystemRandomNumberGenerator()
        let alphabet: [[UInt8]] = [
            [0x0A], [0x0B], [0x8A], [0x0D, 0x0A], [0x61], [0x7F], [0x80], [0xC3, 0xA4], [0xE2, 0x80, 0x93],
            [0xF0, 0x9F, 0x98, 0x82], [0xFF], [0xED, 0xA0, 0x80], [0xC0, 0xAF],
        ]
        for _ in 0..<5_000 {
            let bytes = (0..<Int.random(in: 0...40, using: &generator)).flatMap { _ in
                alphabet.randomElement(using: &generator)!
            }
            for start in 0...min(bytes.count, 9) {
                let slice = bytes[start...]
                #expect(TextDecoding.lineFeeds(in: slice) == slice.filter { $0 == 0x0A }.count)
                #expect(TextDecoding.isValidUTF8(slice) == (String(validating: Array(slice), as: UTF8.self) != nil))
            }
        }
    }
}
