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

    /// What the first bytes of a file say it is. One sniffer for the whole-file and the streamed
    /// paths, so both decide alike.
    public enum Encoding: Sendable, Hashable {
        case utf8
        /// UTF-16, with or without a byte order mark (without one, recognised from the NUL bytes
        /// of ASCII characters falling on every second byte).
        case utf16(littleEndian: Bool, byteOrderMark: Bool)
        /// Not text: NUL bytes that are not UTF-16's pattern (`nulCount` of the `sampled` bytes).
        case binary(nulCount: Int, sampled: Int)
    }

    /// How many leading bytes `sniff` looks at.
    public static let sniffBytes = 4096

    /// The encoding of a file from its first bytes (`sniffBytes` of them, or all of a shorter file).
    public static func sniff(_ head: some Collection<UInt8>) -> Encoding {
        let head = Array(head.prefix(sniffBytes))
        if head.starts(with: [0xFF, 0xFE]) { return .utf16(littleEndian: true, byteOrderMark: true) }
        if head.starts(with: [0xFE, 0xFF]) { return .utf16(littleEndian: false, byteOrderMark: true) }
        var nuls = 0
        var evenNULs = 0
        var oddNULs = 0
        for (index, byte) in head.enumerated() where byte == 0 {
            nuls += 1
            if index % 2 == 0 { evenNULs += 1 } else { oddNULs += 1 }
        }
        guard nuls > 0 else { return .utf8 }
        // ASCII in UTF-16: a NUL in every high byte. Allow a few NULs on the other side (U+0100,
        // U+0400, ...); require many on one.
        let pairs = head.count / 2
        if pairs >= 2 {
            if oddNULs * 4 >= pairs && evenNULs * 16 <= pairs {
                return .utf16(littleEndian: true, byteOrderMark: false)
            }
            if evenNULs * 4 >= pairs && oddNULs * 16 <= pairs {
                return .utf16(littleEndian: false, byteOrderMark: false)
            }
        }
        // Text has no NUL bytes to speak of: one in eight is a binary file (a disk image, a file
        // of zeros), not a chat export.
        if nuls * 8 >= head.count { return .binary(nulCount: nuls, sampled: head.count) }
        return .utf8
    }

    /// The error for a file `sniff` calls binary.
    public static func binaryError(nulCount: Int, sampled: Int) -> ExportError {
        ExportError(
            code: "binary",
            message:
                "not a chat export: \(nulCount) of its first \(sampled) bytes are NUL bytes (a binary file, not text)")
    }

    /// Decodes `bytes`, then cuts every line longer than `maxLineBytes` into pieces (see `cutLongLines`).
    public static func decode(_ bytes: [UInt8], maxLineBytes: Int) -> DecodedText {
        var decoded = decode(bytes)
        guard maxLineBytes < Int.max else { return decoded }
        let cut: (bytes: [UInt8], note: ParseNote)? =
            decoded.text.utf8.withContiguousStorageIfAvailable {
                cutLongLines($0, maxLineBytes: maxLineBytes)
            } ?? Array(decoded.text.utf8).withUnsafeBufferPointer { cutLongLines($0, maxLineBytes: maxLineBytes) }
        if let cut {
            decoded.text = String(decoding: cut.bytes, as: UTF8.self)
            decoded.notes.append(cut.note)
        }
        return decoded
    }

    /// Where a line of `maxLineBytes` bytes or more is cut: at `maxLineBytes` from its start,
    /// moved back to the start of a UTF-8 sequence (the text is valid UTF-8).
    @inline(__always)
    static func cutPoint(_ line: some RandomAccessCollection<UInt8>, from start: Int, maxLineBytes: Int) -> Int {
        var cut = start + maxLineBytes
        while cut > start + 1, line[line.index(line.startIndex, offsetBy: cut)] & 0xC0 == 0x80 { cut -= 1 }
        return cut
    }

    /// The text with every line longer than `maxLineBytes` cut into pieces of at most that many
    /// bytes, each ending in a line break (each piece then counts as a line: a rule still sees all
    /// of the text, in pieces), and the `long-line` note; nil when no line is that long.
    static func cutLongLines(_ text: UnsafeBufferPointer<UInt8>, maxLineBytes: Int) -> (
        bytes: [UInt8], note: ParseNote
    )? {
        var start = 0
        var firstLong: Int?
        var line = 1
        while start < text.count {
            var end = start
            while end < text.count && text[end] != 0x0A { end += 1 }
            if end - start > maxLineBytes {
                firstLong = line
                break
            }
            start = end + 1
            line += 1
        }
        guard let firstLong else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(text.count + text.count / maxLineBytes + 1)
        var cutter = LongLineCutter(maxLineBytes: maxLineBytes)
        start = 0
        line = 1
        while start < text.count {
            var end = start
            while end < text.count && text[end] != 0x0A { end += 1 }
            cutter.line(UnsafeBufferPointer(rebasing: text[start..<end]), number: line, into: &out)
            if end < text.count { out.append(0x0A) }
            start = end + 1
            line += 1
        }
        return (out, cutter.note ?? longLineNote(count: 1, firstLine: firstLong, maxLineBytes: maxLineBytes))
    }

    /// The `long-line` note.
    static func longLineNote(count: Int, firstLine: Int, maxLineBytes: Int) -> ParseNote {
        ParseNote(
            code: "long-line", line: firstLine,
            message:
                "\(count) line(s) longer than \(maxLineBytes) bytes (first on line \(firstLine)) were cut into pieces of at most \(maxLineBytes) bytes; every piece is matched, but a match across a cut is missed, and lines after a cut are numbered by piece"
        )
    }

    public static func decode(_ bytes: [UInt8]) -> DecodedText {
        switch sniff(bytes) {
        case .utf16(let littleEndian, let byteOrderMark):
            return decodeUTF16(bytes.dropFirst(byteOrderMark ? 2 : 0), littleEndian: littleEndian)
        case .utf8, .binary:
            break
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
    /// The scalar whose UTF-8 starts at `b[i]` (a lead byte of valid UTF-8, a `String`'s), and
    /// how many bytes it takes.
    @inline(__always)
    static func scalar(in b: UnsafeBufferPointer<UInt8>, at i: Int) -> (value: UInt32, length: Int) {
        let lead = UInt32(b[i])
        if lead < 0x80 { return (lead, 1) }
        let length = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2
        var value = lead & (length == 2 ? 0x1F : length == 3 ? 0x0F : 0x07)
        for k in 1..<length { value = value << 6 | (i + k < b.count ? UInt32(b[i + k] & 0x3F) : 0) }
        return (value, length)
    }

    /// Whether `scalar` is one of the symbols with no case that chats are full of: `£`,
    /// miscellaneous symbols and dingbats (U+2600...U+27BF), pictographs and emoji
    /// (U+1F300...U+1FAFF, skin-tone modifiers included). Folding (`TextFolding.isInert`) and
    /// phrase keys (`WhatsAppUTF8.isKeptInKey`) pass them through as they are.
    @inline(__always)
    static func isCaselessSymbol(_ scalar: UInt32) -> Bool {
        switch scalar {
        case 0xA3, 0x2600...0x27BF, 0x1F300...0x1FAFF: true
        default: false
        }
    }

    /// How many line feeds `bytes` holds, eight bytes at a time.
    static func lineFeeds(in bytes: ArraySlice<UInt8>) -> Int {
        bytes.withContiguousStorageIfAvailable { buffer -> Int in
            let raw = UnsafeRawBufferPointer(buffer)
            let low: UInt64 = 0x7F7F_7F7F_7F7F_7F7F
            let feeds: UInt64 = 0x0A0A_0A0A_0A0A_0A0A
            var count = 0
            var index = 0
            // Eight counters of one byte each, summed before any can overflow.
            var lanes: UInt64 = 0
            var wordsInLanes = 0
            while index + 8 <= buffer.count {
                // A byte of `word ^ feeds` is zero exactly where `word` holds a line feed; its high
                // bit in `nonZero` is set for every other byte.
                let word = raw.loadUnaligned(fromByteOffset: index, as: UInt64.self) ^ feeds
                let nonZero = ((word & low) &+ low) | word
                lanes &+= (~nonZero & ~low) >> 7
                wordsInLanes += 1
                if wordsInLanes == 255 {
                    count += Int((lanes &* 0x0101_0101_0101_0101) >> 56)
                    lanes = 0
                    wordsInLanes = 0
                }
                index += 8
            }
            count += Int((lanes &* 0x0101_0101_0101_0101) >> 56)
            while index < buffer.count {
                if buffer[index] == UInt8(ascii: "\n") { count += 1 }
                index += 1
            }
            return count
        } ?? bytes.reduce(0) { $0 + ($1 == UInt8(ascii: "\n") ? 1 : 0) }
    }

    static func isValidUTF8(_ bytes: ArraySlice<UInt8>) -> Bool {
        bytes.withContiguousStorageIfAvailable { buffer -> Bool in
            var index = 0
            let count = buffer.count
            let raw = UnsafeRawBufferPointer(buffer)
            while index < count {
                // ASCII eight bytes at a time.
                if index + 8 <= count,
                    raw.loadUnaligned(fromByteOffset: index, as: UInt64.self) & 0x8080_8080_8080_8080 == 0
                {
                    index += 8
                    continue
                }
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

/// Cuts decoded lines longer than a maximum into pieces, the same way whether a text is decoded
/// whole (`TextDecoding.decode(_:maxLineBytes:)`) or streamed (`DecodedLineReader`), and counts
/// them for the `long-line` note.
struct LongLineCutter {
    let maxLineBytes: Int
    private(set) var longLines = 0
    private(set) var firstLongLine: Int?

    init(maxLineBytes: Int) {
        self.maxLineBytes = max(4, maxLineBytes)
    }

    /// Appends `line` (decoded, without its line break), cut into pieces of at most `maxLineBytes`
    /// bytes each followed by `\n` but the last; `number` is its line in the original text.
    mutating func line(_ line: UnsafeBufferPointer<UInt8>, number: Int, into out: inout [UInt8]) {
        guard line.count > maxLineBytes else {
            out.append(contentsOf: line)
            return
        }
        noteLong(number)
        var start = 0
        while line.count - start > maxLineBytes {
            let cut = TextDecoding.cutPoint(line, from: start, maxLineBytes: maxLineBytes)
            out.append(contentsOf: UnsafeBufferPointer(rebasing: line[start..<cut]))
            out.append(0x0A)
            start = cut
        }
        out.append(contentsOf: UnsafeBufferPointer(rebasing: line[start...]))
    }

    /// Cuts full pieces off the front of `pending` (a line still being read) while it is longer
    /// than `maxLineBytes`, appending each with `\n` to `out`.
    mutating func cutPending(_ pending: inout [UInt8], number: Int, into out: inout [UInt8]) {
        guard pending.count > maxLineBytes else { return }
        noteLong(number)
        var start = 0
        while pending.count - start > maxLineBytes {
            let cut = TextDecoding.cutPoint(pending, from: start, maxLineBytes: maxLineBytes)
            out.append(contentsOf: pending[start..<cut])
            out.append(0x0A)
            start = cut
        }
        pending.removeFirst(start)
    }

    private var lastCounted: Int?

    private mutating func noteLong(_ number: Int) {
        guard lastCounted != number else { return }
        lastCounted = number
        longLines += 1
        if firstLongLine == nil { firstLongLine = number }
    }

    var note: ParseNote? {
        firstLongLine.map { TextDecoding.longLineNote(count: longLines, firstLine: $0, maxLineBytes: maxLineBytes) }
    }
}
