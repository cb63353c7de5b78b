/// Writes one JSON line into a byte buffer, byte for byte as Foundation's `JSONEncoder` with
/// `[.sortedKeys, .withoutEscapingSlashes]` writes it, without going through `Encoder`: the hot
/// path of `scan --format json`, the spool and the state database (`AlertFormatting.jsonLine`).
///
/// The writer only puts tokens one after the other; sorting is the caller's job. Each type that
/// conforms to `JSONLineWritable` lists its keys in one place, in the order `JSONEncoder` sorts
/// them: by the keys' code units (`"A" < "_" < "a"`, so `sender < sent < sent_local`), not
/// numerically and not ignoring case.
struct JSONLineWriter {
    /// The line so far, UTF-8.
    private(set) var bytes: [UInt8] = []
    /// False once a value was written that `JSONEncoder` refuses (a NaN or infinite `Double`):
    /// then the line must come from `JSONEncoder` itself.
    private(set) var isEncodable = true
    /// Whether the next value or key follows a sibling, and so needs a comma.
    private var needsComma = false

    init(capacity: Int = 2048) {
        bytes.reserveCapacity(capacity)
    }

    /// The line written so far, as a string.
    var line: String { String(decoding: bytes, as: UTF8.self) }

    /// `value`'s line, or nil when `JSONEncoder` would have to write it (see `isEncodable`).
    static func line(_ value: some JSONLineWritable) -> String? {
        var writer = JSONLineWriter()
        value.writeJSON(to: &writer)
        return writer.isEncodable ? writer.line : nil
    }

    // MARK: Structure

    /// `{`, then keys and values, then `endObject()`.
    mutating func beginObject() {
        separate()
        bytes.append(UInt8(ascii: "{"))
        needsComma = false
    }

    mutating func endObject() {
        bytes.append(UInt8(ascii: "}"))
        needsComma = true
    }

    /// `[`, then values, then `endArray()`.
    mutating func beginArray() {
        separate()
        bytes.append(UInt8(ascii: "["))
        needsComma = false
    }

    mutating func endArray() {
        bytes.append(UInt8(ascii: "]"))
        needsComma = true
    }

    /// `"name":`. The name is written as is: a key must need no escaping (plain ASCII, no `"`,
    /// no `\`, no control character), as every coding key of the alert types does.
    mutating func key(_ name: StaticString) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        raw(name)
        bytes.append(UInt8(ascii: "\""))
        bytes.append(UInt8(ascii: ":"))
        needsComma = false
    }

    // MARK: Values

    mutating func null() {
        separate()
        raw("null")
        needsComma = true
    }

    mutating func bool(_ value: Bool) {
        separate()
        raw(value ? "true" : "false")
        needsComma = true
    }

    mutating func int(_ value: Int) {
        separate()
        var magnitude = value.magnitude
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        // Digits are found last first: write them, then reverse them in place.
        let start = bytes.count
        repeat {
            bytes.append(UInt8(ascii: "0") + UInt8(magnitude % 10))
            magnitude /= 10
        } while magnitude > 0
        bytes[start...].reverse()
        needsComma = true
    }

    /// As `JSONEncoder` writes a `Double`: its `description` without a trailing `.0` (`1`, `0.25`,
    /// `1e-05`, `-0`). NaN and infinities make the line unencodable, as `JSONEncoder` refuses them.
    mutating func double(_ value: Double) {
        guard value.isFinite else {
            isEncodable = false
            null()
            return
        }
        separate()
        var text = value.description
        if text.hasSuffix(".0") { text.removeLast(2) }
        bytes.append(contentsOf: text.utf8)
        needsComma = true
    }

    /// A string, escaped as Foundation's JSON writer escapes it: `"` and `\` with a backslash;
    /// backspace, tab, newline, form feed and carriage return as `\b \t \n \f \r`; other
    /// characters below U+0020 as `\u00xx` (lowercase hex); everything else, `/`, DEL and
    /// non-ASCII included, as its own UTF-8.
    mutating func string(_ value: String) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        var value = value
        value.withUTF8 { utf8 in
            var runStart = 0
            for index in utf8.indices {
                let byte = utf8[index]
                guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
                if runStart < index { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<index])) }
                runStart = index + 1
                appendEscape(byte)
            }
            if runStart < utf8.count { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart...])) }
        }
        bytes.append(UInt8(ascii: "\""))
        needsComma = true
    }

    /// A string, or `null` when there is none (as `encode(_:forKey:)` writes an absent optional).
    mutating func string(_ value: String?) {
        if let value { string(value) } else { null() }
    }

    /// An int, or `null` when there is none.
    mutating func int(_ value: Int?) {
        if let value { int(value) } else { null() }
    }

    /// An array of strings.
    mutating func strings(_ values: [String]) {
        beginArray()
        for value in values { string(value) }
        endArray()
    }

    /// A nested value that writes itself, or `null` when there is none.
    mutating func value(_ value: (some JSONLineWritable)?) {
        if let value { value.writeJSON(to: &self) } else { null() }
    }

    /// An array of values that write themselves.
    mutating func values(_ values: [some JSONLineWritable]) {
        beginArray()
        for value in values { value.writeJSON(to: &self) }
        endArray()
    }

    // MARK: Helpers

    /// Bytes written as they are.
    private mutating func raw(_ text: StaticString) {
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    private mutating func separate() {
        if needsComma { bytes.append(UInt8(ascii: ",")) }
    }

    /// `0`-`9`, `a`-`f`, as Foundation writes `\u001f`.
    private static func hexDigit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
    }

    private mutating func appendEscape(_ byte: UInt8) {
        bytes.append(UInt8(ascii: "\\"))
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"): bytes.append(byte)
        case 0x08: bytes.append(UInt8(ascii: "b"))
        case 0x09: bytes.append(UInt8(ascii: "t"))
        case 0x0A: bytes.append(UInt8(ascii: "n"))
        case 0x0C: bytes.append(UInt8(ascii: "f"))
        case 0x0D: bytes.append(UInt8(ascii: "r"))
        default:
            bytes.append(contentsOf: [UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0")])
            bytes.append(Self.hexDigit(byte >> 4))
            bytes.append(Self.hexDigit(byte & 0x0F))
        }
    }
}
