/// A file name as the kernel keeps it: bytes, not necessarily UTF-8. Names are compared,
/// stored and passed to system calls as these bytes; `escaped` is how they are shown.
public struct FileName: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// `NAME_MAX` on Linux filesystems: the most bytes one name may have.
    public static let maxLength = 255

    public let bytes: [UInt8]

    public init(bytes: some Sequence<UInt8>) {
        self.bytes = Array(bytes)
    }

    /// The UTF-8 bytes of `string`.
    public init(_ string: String) {
        bytes = Array(string.utf8)
    }

    public static func < (lhs: FileName, rhs: FileName) -> Bool {
        lhs.bytes.lexicographicallyPrecedes(rhs.bytes)
    }

    /// The name as text, for logs, the spool and the journal: valid UTF-8 as it is, except that a
    /// backslash is written `\\` and every control character and every byte that is not valid
    /// UTF-8 is written `\xHH`. Two different names never look the same.
    public var escaped: String { Self.escape(bytes) }

    public var description: String { escaped }

    /// The name as a `String` when it is valid UTF-8 without control characters; nil otherwise.
    public var plainString: String? {
        let text = escaped
        return text.utf8.elementsEqual(bytes) ? text : nil
    }

    public func hasPrefix(_ prefix: String) -> Bool { bytes.starts(with: prefix.utf8) }

    public func hasSuffix(_ suffix: String) -> Bool {
        let tail = Array(suffix.utf8)
        return bytes.count >= tail.count && Array(bytes.suffix(tail.count)) == tail
    }

    /// This name followed by `suffix`, within `maxLength` bytes: when the whole would be too long
    /// the name is shortened first (never inside a UTF-8 sequence), so `NAME.1` or
    /// `NAME.reason.json` always fits.
    public func appending(_ suffix: String) -> FileName {
        let tail = Array(suffix.utf8)
        let room = max(0, Self.maxLength - tail.count)
        guard bytes.count > room else { return FileName(bytes: bytes + tail) }
        var cut = room
        // Back off continuation bytes so a multi-byte character is not split.
        while cut > 0, cut < bytes.count, bytes[cut] & 0xC0 == 0x80 { cut -= 1 }
        return FileName(bytes: bytes[..<cut] + tail)
    }

    /// `prefix` followed by this name, within `maxLength` bytes (the end of the name is cut, never
    /// inside a UTF-8 sequence).
    public func prefixed(_ prefix: String) -> FileName {
        let whole = Array(prefix.utf8) + bytes
        guard whole.count > Self.maxLength else { return FileName(bytes: whole) }
        var cut = Self.maxLength
        while cut > 0, whole[cut] & 0xC0 == 0x80 { cut -= 1 }
        return FileName(bytes: whole[..<cut])
    }

    /// `escaped` for any bytes (a whole path, say).
    static func escape(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        let hex: [UInt8] = Array("0123456789ABCDEF".utf8)
        func escapeByte(_ byte: UInt8) {
            out += [UInt8(ascii: "\\"), UInt8(ascii: "x"), hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]]
        }
        var index = 0
        while index < bytes.count {
            let lead = bytes[index]
            if lead < 0x80 {
                if lead == UInt8(ascii: "\\") {
                    out += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
                } else if lead < 0x20 || lead == 0x7F {
                    escapeByte(lead)
                } else {
                    out.append(lead)
                }
                index += 1
                continue
            }
            let length = validSequenceLength(bytes, at: index)
            if length == 0 {
                escapeByte(lead)
                index += 1
            } else if length == 2 && lead == 0xC2 && bytes[index + 1] < 0xA0 {
                // C1 control characters (U+0080...U+009F).
                escapeByte(bytes[index])
                escapeByte(bytes[index + 1])
                index += 2
            } else {
                out += bytes[index..<(index + length)]
                index += length
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The length of the well-formed UTF-8 sequence starting at `index` (lead byte >= 0x80), or 0.
    static func validSequenceLength(_ bytes: [UInt8], at index: Int) -> Int {
        let lead = bytes[index]
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
        default: return 0
        }
        guard index + length <= bytes.count else { return 0 }
        guard bytes[index + 1] >= low && bytes[index + 1] <= high else { return 0 }
        for next in (index + 2)..<(index + length) where bytes[next] & 0xC0 != 0x80 { return 0 }
        return length
    }
}

/// A path as bytes, for system calls: names that are not UTF-8 stay exactly as they are.
public struct SystemPath: Hashable, Sendable, CustomStringConvertible, ExpressibleByStringLiteral {
    public let bytes: [UInt8]

    public init(bytes: some Sequence<UInt8>) {
        self.bytes = Array(bytes)
    }

    public init(_ string: String) {
        bytes = Array(string.utf8)
    }

    public init(stringLiteral value: String) {
        self.init(value)
    }

    /// `self/name`.
    public func appending(_ name: FileName) -> SystemPath {
        var joined = bytes
        if joined.last != UInt8(ascii: "/") { joined.append(UInt8(ascii: "/")) }
        return SystemPath(bytes: joined + name.bytes)
    }

    /// `self/component`.
    public func appending(_ component: String) -> SystemPath {
        appending(FileName(component))
    }

    /// The last component (after the last `/`).
    public var lastComponent: FileName {
        let trimmed = bytes.last == UInt8(ascii: "/") ? Array(bytes.dropLast()) : bytes
        guard let slash = trimmed.lastIndex(of: UInt8(ascii: "/")) else { return FileName(bytes: trimmed) }
        return FileName(bytes: trimmed[(slash + 1)...])
    }

    /// Everything before the last component (`.` for a relative name, `/` at the root).
    public var parent: SystemPath {
        let trimmed = bytes.last == UInt8(ascii: "/") && bytes.count > 1 ? Array(bytes.dropLast()) : bytes
        guard let slash = trimmed.lastIndex(of: UInt8(ascii: "/")) else { return "." }
        return slash == 0 ? "/" : SystemPath(bytes: trimmed[..<slash])
    }

    /// The path as text (see `FileName.escaped`).
    public var escaped: String { FileName.escape(bytes) }

    public var description: String { escaped }

    /// Calls `body` with the path as a NUL-terminated C string.
    public func withCString<Result>(_ body: (UnsafePointer<CChar>) throws -> Result) rethrows -> Result {
        try (bytes + [0]).withUnsafeBufferPointer { buffer in
            try buffer.withMemoryRebound(to: CChar.self) { try body($0.baseAddress!) }
        }
    }
}
