/// Text decoded from an export's bytes, with what was odd about the bytes.
public struct DecodedText: Sendable, Hashable {
    public var text: String
    /// `utf-8`, `utf-8-bom`, `utf-16le`, `utf-16be`.
    public var encoding: String
    /// Invalid byte sequences that were replaced by U+FFFD.
    public var invalidSequences: Int
    /// Notes for the parsed export (`invalid-utf8`, ...).
    public var notes: [ParseNote]

    public init(text: String, encoding: String, invalidSequences: Int = 0, notes: [ParseNote] = []) {
        self.text = text
        self.encoding = encoding
        self.invalidSequences = invalidSequences
        self.notes = notes
    }
}

/// Decodes export bytes: UTF-8 with or without BOM, UTF-16 LE/BE with BOM. Invalid UTF-8 is
/// replaced by U+FFFD (so the rest of the message stays scannable) and reported, never dropped.
///
/// Only the leading byte order mark is removed. A stray U+FEFF further on is kept: parsers strip
/// such marks where they matter (a header line), and the text stays exactly as written elsewhere.
public enum TextDecoding {
    /// The UTF-8 byte order mark.
    static let utf8BOM: [UInt8] = [0xEF, 0xBB, 0xBF]

    /// Counts invalid UTF-8 sequences in `bytes` the way `String(decoding:as:)` replaces them
    /// (the maximal-subpart rule), and the line of the first, counting from `line`.
    static func countInvalidUTF8(in bytes: some Collection<UInt8>, startingAtLine line: Int) -> (
        count: Int, firstLine: Int?
    ) {
        var invalid = 0
        var firstInvalidLine: Int?
        var line = line
        var iterator = bytes.makeIterator()
        var decoder = UTF8()
        loop: while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let scalar):
                if scalar == "\n" { line += 1 }
            case .error:
                invalid += 1
                if firstInvalidLine == nil { firstInvalidLine = line }
            case .emptyInput:
                break loop
            }
        }
        return (invalid, firstInvalidLine)
    }

    /// The `invalid-utf8` note for `count` replaced sequences.
    static func invalidUTF8Note(count: Int, firstLine: Int?) -> ParseNote {
        ParseNote(
            code: "invalid-utf8", line: firstLine,
            message:
                "\(count) invalid UTF-8 sequence(s) replaced by U+FFFD (first on line \(firstLine ?? 1)); the rest of each message is still scanned"
        )
    }

    public static func decode(_ bytes: [UInt8]) -> DecodedText {
        if bytes.starts(with: [0xFF, 0xFE]) {
            return decodeUTF16(bytes.dropFirst(2), littleEndian: true)
        }
        if bytes.starts(with: [0xFE, 0xFF]) {
            return decodeUTF16(bytes.dropFirst(2), littleEndian: false)
        }
        let hasBOM = bytes.starts(with: utf8BOM)
        let body = hasBOM ? bytes[3...] : bytes[...]
        let encoding = hasBOM ? "utf-8-bom" : "utf-8"

        // Fast path: valid UTF-8 (the usual case) comes back byte for byte, without a
        // scalar-by-scalar copy. (`String(validating:as:)` would need macOS 15.)
        let text = String(decoding: body, as: UTF8.self)
        if isValidUTF8(body) {
            return DecodedText(text: text, encoding: encoding)
        }

        // Slow path: count the invalid sequences and find the line of the first one. The standard
        // library's decoder and `String(decoding:as:)` agree on what one invalid sequence is (the
        // maximal subpart rule), so the count matches the U+FFFD characters inserted.
        let (invalid, firstInvalidLine) = countInvalidUTF8(in: body, startingAtLine: 1)
        let notes = invalid > 0 ? [invalidUTF8Note(count: invalid, firstLine: firstInvalidLine)] : []
        return DecodedText(text: text, encoding: encoding, invalidSequences: invalid, notes: notes)
    }

    /// `true` when `bytes` are well-formed UTF-8 (no overlongs, surrogates or values past U+10FFFF).
    static func isValidUTF8(_ bytes: ArraySlice<UInt8>) -> Bool {
        bytes.withContiguousStorageIfAvailable { buffer -> Bool in
            var index = 0
            let count = buffer.count
            while index < count {
                let lead = buffer[index]
                if lead < 0x80 {
                    index += 1
                    continue
                }
                let length: Int
                var low: UInt8 = 0x80
                var high: UInt8 = 0xBF
                switch lead {
                case 0xC2...0xDF: length = 2
                case 0xE0: length = 3; low = 0xA0
                case 0xE1...0xEC, 0xEE...0xEF: length = 3
                case 0xED: length = 3; high = 0x9F
                case 0xF0: length = 4; low = 0x90
                case 0xF1...0xF3: length = 4
                case 0xF4: length = 4; high = 0x8F
                default: return false
                }
                guard index + length <= count else { return false }
                let second = buffer[index + 1]
                guard second >= low && second <= high else { return false }
                var next = index + 2
                while next < index + length {
                    guard buffer[next] & 0xC0 == 0x80 else { return false }
                    next += 1
                }
                index += length
            }
            return true
        } ?? String(decoding: bytes, as: UTF8.self).utf8.elementsEqual(bytes)
    }

    private static func decodeUTF16(_ bytes: ArraySlice<UInt8>, littleEndian: Bool) -> DecodedText {
        var units: [UInt16] = []
        units.reserveCapacity(bytes.count / 2)
        var index = bytes.startIndex
        while index + 1 < bytes.endIndex {
            let a = UInt16(bytes[index])
            let b = UInt16(bytes[index + 1])
            units.append(littleEndian ? (b << 8 | a) : (a << 8 | b))
            index += 2
        }
        let oddTrailingByte = bytes.count % 2 == 1
        var invalid = 0
        var firstInvalidLine: Int?
        var line = 1
        var iterator = units.makeIterator()
        var decoder = UTF16()
        loop: while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let scalar):
                if scalar == "\n" { line += 1 }
            case .error:
                invalid += 1
                if firstInvalidLine == nil { firstInvalidLine = line }
            case .emptyInput: break loop
            }
        }
        var text = String(decoding: units, as: UTF16.self)
        var notes: [ParseNote] = []
        if invalid > 0 {
            notes.append(
                ParseNote(
                    code: "invalid-utf16", line: firstInvalidLine,
                    message:
                        "\(invalid) invalid UTF-16 unit(s) replaced by U+FFFD; the rest of each message is still scanned"
                ))
        }
        if oddTrailingByte {
            // A lone last byte cannot be a UTF-16 unit: keep it visible as a replacement character.
            text.append("\u{FFFD}")
            invalid += 1
            notes.append(
                ParseNote(
                    code: "invalid-utf16", line: line,
                    message: "the file ends in half a UTF-16 unit (odd byte count); it was replaced by U+FFFD"))
        }
        return DecodedText(
            text: text, encoding: littleEndian ? "utf-16le" : "utf-16be", invalidSequences: invalid, notes: notes)
    }
}
