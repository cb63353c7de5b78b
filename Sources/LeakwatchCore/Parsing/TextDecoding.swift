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
public enum TextDecoding {
    public static func decode(_ bytes: [UInt8]) -> DecodedText {
        if bytes.starts(with: [0xFF, 0xFE]) {
            return decodeUTF16(bytes.dropFirst(2), littleEndian: true)
        }
        if bytes.starts(with: [0xFE, 0xFF]) {
            return decodeUTF16(bytes.dropFirst(2), littleEndian: false)
        }
        let hasBOM = bytes.starts(with: [0xEF, 0xBB, 0xBF])
        let body = hasBOM ? bytes[3...] : bytes[...]
        var invalid = 0
        var firstInvalidLine: Int?
        var line = 1
        // Count invalid sequences with the standard decoder; it replaces each with U+FFFD.
        var iterator = body.makeIterator()
        var decoder = UTF8()
        var scalars = String.UnicodeScalarView()
        scalars.reserveCapacity(body.count)
        loop: while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let scalar):
                if scalar == "\n" { line += 1 }
                scalars.append(scalar)
            case .error:
                invalid += 1
                if firstInvalidLine == nil { firstInvalidLine = line }
                scalars.append("\u{FFFD}")
            case .emptyInput:
                break loop
            }
        }
        var notes: [ParseNote] = []
        if invalid > 0 {
            notes.append(
                ParseNote(
                    code: "invalid-utf8",
                    line: firstInvalidLine,
                    message:
                        "\(invalid) invalid UTF-8 sequence(s) replaced by U+FFFD; the rest of each message is still scanned"
                ))
        }
        return DecodedText(
            text: String(scalars), encoding: hasBOM ? "utf-8-bom" : "utf-8", invalidSequences: invalid, notes: notes)
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
        var invalid = 0
        var scalars = String.UnicodeScalarView()
        var iterator = units.makeIterator()
        var decoder = UTF16()
        loop: while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let scalar): scalars.append(scalar)
            case .error:
                invalid += 1
                scalars.append("\u{FFFD}")
            case .emptyInput: break loop
            }
        }
        var notes: [ParseNote] = []
        if invalid > 0 {
            notes.append(
                ParseNote(code: "invalid-utf16", message: "\(invalid) invalid UTF-16 unit(s) replaced by U+FFFD"))
        }
        return DecodedText(
            text: String(scalars), encoding: littleEndian ? "utf-16le" : "utf-16be", invalidSequences: invalid,
            notes: notes)
    }
}
