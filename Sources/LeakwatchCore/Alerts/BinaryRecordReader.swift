/// Reads back, in the order they were written, the values a `BinaryRecordWriter` wrote (see it
/// for the format).
///
/// The bytes may come from a damaged or foreign file: every read checks them, and a read past the
/// end, an over-long varint, a length or count larger than the bytes left, invalid UTF-8, or a
/// byte that is no value of what is read (a `Bool` of 2, an enum's unknown case) throws a
/// `LeakwatchError` with code `spillCorrupt`. A length is checked against the bytes left before
/// anything is allocated for it.
public struct BinaryRecordReader: Sendable {
    /// The bytes read from; `position` is an index into them.
    public let bytes: ArraySlice<UInt8>
    /// Where the next read starts.
    public private(set) var position: Int

    /// A reader at the start of `bytes`.
    public init(_ bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
        position = bytes.startIndex
    }

    /// A reader at the start of `bytes`.
    public init(_ bytes: [UInt8]) {
        self.init(bytes[...])
    }

    /// Whether every byte has been read.
    public var isAtEnd: Bool { position == bytes.endIndex }

    /// How many bytes are left to read.
    public var remainingCount: Int { bytes.endIndex - position }

    /// The error for bytes that are not what was written, at the current position.
    public func corrupt(_ what: String) -> LeakwatchError {
        LeakwatchError(code: .spillCorrupt, message: "spilled record corrupt at byte \(position): \(what)")
    }

    // MARK: Scalars

    /// One byte.
    @inline(__always)
    public mutating func readByte() throws(LeakwatchError) -> UInt8 {
        guard position < bytes.endIndex else { throw corrupt("cut short") }
        defer { position += 1 }
        return bytes[position]
    }

    /// An unsigned LEB128 varint of at most 10 bytes; the tenth may only hold the 64th bit.
    public mutating func readVarUInt() throws(LeakwatchError) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard position < bytes.endIndex else { throw corrupt("cut short in a varint") }
            let byte = bytes[position]
            if shift == 63 && byte > 1 { throw corrupt("varint longer than 64 bits") }
            position += 1
            result |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { return result }
            shift += 7
        }
    }

    /// A zig-zag varint.
    @inline(__always)
    public mutating func readInt() throws(LeakwatchError) -> Int {
        let zigZag = try readVarUInt()
        return Int(truncatingIfNeeded: zigZag >> 1) ^ -Int(truncatingIfNeeded: zigZag & 1)
    }

    /// Eight bytes, little-endian.
    public mutating func readUInt64() throws(LeakwatchError) -> UInt64 {
        guard remainingCount >= 8 else { throw corrupt("cut short in a 64-bit value") }
        var value: UInt64 = 0
        for index in (position..<position + 8).reversed() { value = value << 8 | UInt64(bytes[index]) }
        position += 8
        return value
    }

    /// A `Double` from its bit pattern.
    @inline(__always)
    public mutating func readDouble() throws(LeakwatchError) -> Double {
        Double(bitPattern: try readUInt64())
    }

    /// 1 or 0; any other byte throws.
    @inline(__always)
    public mutating func readBool() throws(LeakwatchError) -> Bool {
        switch try readByte() {
        case 0: return false
        case 1: return true
        case let byte: throw corrupt("\(byte) is no Bool")
        }
    }

    /// A varint length or count, checked against the bytes left (every element of an array takes
    /// at least one byte): nothing is allocated for a length that cannot be there.
    public mutating func readLength() throws(LeakwatchError) -> Int {
        let length = try readVarUInt()
        guard length <= UInt64(remainingCount) else {
            throw corrupt("length \(length) past the end (\(remainingCount) bytes left)")
        }
        return Int(length)
    }

    /// A byte count, then that many bytes of UTF-8 (checked), decoded straight from the buffer.
    public mutating func readString() throws(LeakwatchError) -> String {
        let count = try readLength()
        let utf8 = bytes[position..<position + count]
        guard TextDecoding.isValidUTF8(utf8) else { throw corrupt("a string of \(count) bytes is not UTF-8") }
        position += count
        return String(decoding: utf8, as: UTF8.self)
    }

    // MARK: Optionals and arrays

    /// A presence byte (0 or 1; any other throws), then what `read` reads when it is 1.
    @inline(__always)
    public mutating func readOptional<Value>(
        _ read: (inout BinaryRecordReader) throws(LeakwatchError) -> Value
    ) throws(LeakwatchError) -> Value? {
        switch try readByte() {
        case 0: return nil
        case 1: return try read(&self)
        case let byte: throw corrupt("\(byte) is no presence byte")
        }
    }

    /// A count (at most the bytes left), then that many elements, each read by `read`.
    @inline(__always)
    public mutating func readArray<Element>(
        _ read: (inout BinaryRecordReader) throws(LeakwatchError) -> Element
    ) throws(LeakwatchError) -> [Element] {
        let count = try readLength()
        var values: [Element] = []
        // A count can be as large as the bytes left, which may be a whole file's: reserve only a
        // bounded amount up front, and let elements that are really there grow the array.
        values.reserveCapacity(Swift.min(count, 1024))
        for _ in 0..<count { values.append(try read(&self)) }
        return values
    }

    /// A presence byte, then a string when present.
    public mutating func readOptionalString() throws(LeakwatchError) -> String? {
        try readOptional { reader throws(LeakwatchError) in try reader.readString() }
    }

    /// Moves past what `readOptionalString` reads, without making the string.
    public mutating func skipOptionalString() throws(LeakwatchError) {
        _ = try readOptional { reader throws(LeakwatchError) in reader.position += try reader.readLength() }
    }

    /// A presence byte, then an integer when present.
    public mutating func readOptionalInt() throws(LeakwatchError) -> Int? {
        try readOptional { reader throws(LeakwatchError) in try reader.readInt() }
    }

    /// A count, then that many strings.
    public mutating func readStrings() throws(LeakwatchError) -> [String] {
        try readArray { reader throws(LeakwatchError) in try reader.readString() }
    }

    // MARK: Frames

    /// A frame `BinaryRecordWriter.writeFramed` wrote: its byte count, then its body, which `body`
    /// must read to the last byte (it cannot read past it).
    public mutating func readFramed<Value>(
        _ body: (inout BinaryRecordReader) throws(LeakwatchError) -> Value
    ) throws(LeakwatchError) -> Value {
        let count = try readLength()
        var frame = BinaryRecordReader(bytes[position..<position + count])
        let value = try body(&frame)
        guard frame.isAtEnd else {
            throw frame.corrupt("\(frame.remainingCount) bytes left over at the end of a \(count)-byte frame")
        }
        position += count
        return value
    }

    /// The size (length prefix and body) of the frame that starts at `position`, without reading
    /// it: nil when the bytes left end inside its length prefix. For a file read piece by piece:
    /// the frame is all there when the size is at most `remainingCount`; a size larger than any
    /// frame written is the caller's to refuse.
    public func nextFrameSize() throws(LeakwatchError) -> Int? {
        var peek = self
        let length: UInt64
        do {
            length = try peek.readVarUInt()
        } catch {
            if peek.isAtEnd { return nil }  // cut short, not over-long
            throw error
        }
        let prefix = peek.position - position
        guard length <= UInt64(Int.max - prefix) else { throw corrupt("frame length \(length) is impossible") }
        return prefix + Int(length)
    }
}
