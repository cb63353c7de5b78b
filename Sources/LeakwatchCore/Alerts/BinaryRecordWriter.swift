/// Appends values to a byte buffer in the compact binary format of spilled records (alerts a
/// streamed scan keeps on disk until it settles them), for `BinaryRecordReader` to read back in
/// the same order. The format has no field names, tags or version: a record is only ever read by
/// the build that wrote it, field by field in the order it was written.
///
/// - `Int`: zig-zag, then LEB128 (1 byte for -64 ..< 64, at most 10 bytes);
/// - `UInt64`: 8 bytes, little-endian; `Double`: its bit pattern, as a `UInt64`;
/// - `Bool` and `UInt8`: one byte;
/// - `String`: its UTF-8 byte count (unsigned LEB128), then the bytes;
/// - an optional: a presence byte (0 or 1), then the value when present;
/// - an array: its count (unsigned LEB128), then the elements;
/// - a frame (`writeFramed`): its byte count (unsigned LEB128), then the bytes.
public struct BinaryRecordWriter: Sendable {
    /// Everything written so far.
    public var bytes: [UInt8]

    /// An empty writer with room for `capacity` bytes.
    public init(capacity: Int = 512) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    // MARK: Scalars

    /// One byte, as is.
    @inline(__always)
    public mutating func writeByte(_ value: UInt8) {
        bytes.append(value)
    }

    /// An unsigned LEB128 varint: seven bits a byte, low bits first, the high bit set on every
    /// byte but the last.
    public mutating func writeVarUInt(_ value: UInt64) {
        var value = value
        while value >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(truncatingIfNeeded: value))
    }

    /// A signed integer, zig-zag encoded (0, -1, 1, -2, ... become 0, 1, 2, 3, ...) so that small
    /// negative numbers stay short, then as a varint.
    @inline(__always)
    public mutating func writeInt(_ value: Int) {
        let zigZag = (value << 1) ^ (value >> (Int.bitWidth - 1))
        writeVarUInt(UInt64(UInt(bitPattern: zigZag)))
    }

    /// Eight bytes, little-endian, whatever the value (hashes are spread over all 64 bits).
    public mutating func writeUInt64(_ value: UInt64) {
        var value = value
        for _ in 0..<8 {
            bytes.append(UInt8(truncatingIfNeeded: value))
            value >>= 8
        }
    }

    /// The value's bit pattern: NaNs (with their payload), infinities, signed zeros and
    /// subnormals come back exactly.
    @inline(__always)
    public mutating func writeDouble(_ value: Double) {
        writeUInt64(value.bitPattern)
    }

    /// 1 or 0.
    @inline(__always)
    public mutating func writeBool(_ value: Bool) {
        bytes.append(value ? 1 : 0)
    }

    /// The UTF-8 byte count, then the bytes.
    public mutating func writeString(_ value: String) {
        let utf8 = value.utf8
        writeVarUInt(UInt64(utf8.count))
        bytes.append(contentsOf: utf8)
    }

    // MARK: Optionals and arrays

    /// 0 when `value` is nil; else 1, then what `write` writes of it.
    @inline(__always)
    public mutating func writeOptional<Value>(_ value: Value?, _ write: (inout BinaryRecordWriter, Value) -> Void) {
        if let value {
            bytes.append(1)
            write(&self, value)
        } else {
            bytes.append(0)
        }
    }

    /// The count, then what `write` writes of each element. Each element must take at least one
    /// byte (the reader refuses a count larger than the bytes left).
    @inline(__always)
    public mutating func writeArray<Element>(
        _ values: [Element], _ write: (inout BinaryRecordWriter, Element) -> Void
    ) {
        writeVarUInt(UInt64(values.count))
        for value in values { write(&self, value) }
    }

    /// A presence byte, then the string when present.
    public mutating func writeOptionalString(_ value: String?) {
        writeOptional(value) { $0.writeString($1) }
    }

    /// A presence byte, then the integer when present.
    public mutating func writeOptionalInt(_ value: Int?) {
        writeOptional(value) { $0.writeInt($1) }
    }

    /// The count, then each string.
    public mutating func writeStrings(_ values: [String]) {
        writeArray(values) { $0.writeString($1) }
    }

    // MARK: Frames

    /// What `body` writes, preceded by its byte count (an unsigned varint): a record that a
    /// reader can check it read to the last byte (`BinaryRecordReader.readFramed`), and that a
    /// file read piece by piece can be cut into (`BinaryRecordReader.nextFrameSize`).
    public mutating func writeFramed(_ body: (inout BinaryRecordWriter) -> Void) {
        let start = bytes.count
        body(&self)
        // The length goes before the body: one or two bytes for an alert, so the body (a few
        // hundred bytes) moves by as much; what came before it does not move.
        var length = UInt64(bytes.count - start)
        var prefixCount = 1
        while length >> (7 * prefixCount) != 0 { prefixCount += 1 }
        bytes.insert(contentsOf: repeatElement(0, count: prefixCount), at: start)
        for index in start..<start + prefixCount {
            bytes[index] = UInt8(truncatingIfNeeded: length) | (index < start + prefixCount - 1 ? 0x80 : 0)
            length >>= 7
        }
    }
}
