/// Byte-level helpers over UTF-8: the invisible marks WhatsApp sprinkles into exports, the
/// space-like characters it uses around times, and non-ASCII digits. Everything here works on
/// raw bytes so the per-line path never allocates a `String` per character.
enum WhatsAppBytes {
    static let lineFeed: UInt8 = 0x0A
    static let carriageReturn: UInt8 = 0x0D
    static let space: UInt8 = 0x20
    static let colon: UInt8 = 0x3A

    /// Length in bytes of an invisible mark at `i` (U+200E, U+200F, U+202A–U+202E, U+2066–U+2069,
    /// U+FEFF, U+061C), or 0 when there is none.
    @inline(__always)
    static func markLength(_ b: UnsafeBufferPointer<UInt8>, _ i: Int, end: Int) -> Int {
        let lead = b[i]
        if lead == 0xE2, i + 2 < end {
            let b1 = b[i + 1], b2 = b[i + 2]
            if b1 == 0x80, b2 == 0x8E || b2 == 0x8F || (b2 >= 0xAA && b2 <= 0xAE) { return 3 }
            if b1 == 0x81, b2 >= 0xA6 && b2 <= 0xA9 { return 3 }
            return 0
        }
        if lead == 0xEF, i + 2 < end, b[i + 1] == 0xBB, b[i + 2] == 0xBF { return 3 }
        if lead == 0xD8, i + 1 < end, b[i + 1] == 0x9C { return 2 }
        return 0
    }

    /// Length in bytes of a space-like character at `i` (space, tab, U+00A0, U+202F, U+2009), or 0.
    @inline(__always)
    static func spaceLength(_ b: UnsafeBufferPointer<UInt8>, _ i: Int, end: Int) -> Int {
        let lead = b[i]
        if lead == 0x20 || lead == 0x09 { return 1 }
        if lead == 0xC2, i + 1 < end, b[i + 1] == 0xA0 { return 2 }
        if lead == 0xE2, i + 2 < end, b[i + 1] == 0x80, b[i + 2] == 0xAF || b[i + 2] == 0x89 { return 3 }
        return 0
    }

    /// The ASCII digit for a non-ASCII decimal digit at `i` (Arabic-Indic, Eastern Arabic-Indic,
    /// Devanagari), with its length in bytes; `nil` when there is none.
    @inline(__always)
    static func foreignDigit(_ b: UnsafeBufferPointer<UInt8>, _ i: Int, end: Int) -> (UInt8, Int)? {
        let lead = b[i]
        if lead == 0xD9, i + 1 < end, b[i + 1] >= 0xA0, b[i + 1] <= 0xA9 { return (0x30 + b[i + 1] - 0xA0, 2) }
        if lead == 0xDB, i + 1 < end, b[i + 1] >= 0xB0, b[i + 1] <= 0xB9 { return (0x30 + b[i + 1] - 0xB0, 2) }
        if lead == 0xE0, i + 2 < end, b[i + 1] == 0xA5, b[i + 2] >= 0xA6, b[i + 2] <= 0xAF {
            return (0x30 + b[i + 2] - 0xA6, 3)
        }
        return nil
    }

    /// Length of the UTF-8 sequence starting with `lead` (1 for continuation bytes, so scanning
    /// always advances).
    @inline(__always)
    static func scalarLength(_ lead: UInt8) -> Int {
        if lead < 0xC0 { return 1 }
        if lead < 0xE0 { return 2 }
        if lead < 0xF0 { return 3 }
        return 4
    }

    /// Whether `b[start..<end]` holds only spaces and marks.
    static func isBlank(_ b: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Bool {
        var i = start
        while i < end {
            let skip = max(markLength(b, i, end: end), spaceLength(b, i, end: end))
            if skip == 0 { return false }
            i += skip
        }
        return true
    }

    /// Appends `b[start..<end]` to `out` without marks; with `normalizeSpaces`, space-like characters
    /// (U+00A0, U+202F) become ASCII spaces too.
    static func appendStripped(
        _ b: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int, into out: inout [UInt8],
        normalizeSpaces: Bool = false
    ) {
        var i = start
        while i < end {
            let mark = markLength(b, i, end: end)
            if mark > 0 {
                i += mark
                continue
            }
            if normalizeSpaces {
                let space = spaceLength(b, i, end: end)
                if space > 1 {
                    out.append(0x20)
                    i += space
                    continue
                }
            }
            out.append(b[i])
            i += 1
        }
    }

    /// A `String` from `b[start..<end]` with marks removed.
    static func string(_ b: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int, normalizeSpaces: Bool = false)
        -> String
    {
        if !holdsMarkOrSpaceLead(b, start, end, normalizeSpaces: normalizeSpaces) {
            // Nothing to strip or normalise: `appendStripped` would copy the bytes as they are.
            return String(decoding: UnsafeBufferPointer(rebasing: b[start..<end]), as: UTF8.self)
        }
        var out: [UInt8] = []
        out.reserveCapacity(end - start)
        appendStripped(b, start, end, into: &out, normalizeSpaces: normalizeSpaces)
        return String(decoding: out, as: UTF8.self)
    }

    /// Whether `b[start..<end]` holds a byte that can start a mark (U+200E... start with 0xE2,
    /// U+FEFF with 0xEF, U+061C with 0xD8) or, with `normalizeSpaces`, a multi-byte space (0xC2,
    /// 0xE2). Without one, `appendStripped` copies the bytes unchanged.
    static func holdsMarkOrSpaceLead(_ b: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int, normalizeSpaces: Bool)
        -> Bool
    {
        var i = start
        while i < end {
            let byte = b[i]
            if byte == 0xE2 || byte == 0xEF || byte == 0xD8 || (normalizeSpaces && byte == 0xC2) { return true }
            i += 1
        }
        return false
    }

    /// Offset of the first `": "` (or a `:` ending the range) in `b[start..<end]`.
    static func firstColonSpace(_ b: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Int? {
        var i = start
        while i < end {
            if b[i] == colon {
                if i + 1 == end || b[i + 1] == space { return i }
            }
            i += 1
        }
        return nil
    }
}
