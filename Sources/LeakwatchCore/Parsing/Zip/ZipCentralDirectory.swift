/// A minimal, bounds-checked reader of a zip's end record and central directory, straight from the
/// bytes. ZIPFoundation reads the archive too; this reader gives what its public API does not
/// (the raw external attributes, the local header offset) and lets the entry count be checked
/// before anything else is done.
struct RawZipEntry: Sendable, Hashable {
    var nameBytes: [UInt8]
    var versionMadeBy: UInt16
    var flags: UInt16
    var method: UInt16
    var crc32: UInt32
    var compressedSize: UInt64
    var uncompressedSize: UInt64
    var externalAttributes: UInt32
    var localHeaderOffset: UInt64

    /// `S_IFLNK` in the Unix mode kept in the upper half of the external attributes.
    var isSymlink: Bool { (externalAttributes >> 16) & 0o170000 == 0o120000 }
    var isEncrypted: Bool { flags & 1 != 0 }
}

enum ZipCentralDirectory {
    private static let endSignature: UInt32 = 0x0605_4b50
    private static let zip64EndSignature: UInt32 = 0x0606_4b50
    private static let zip64LocatorSignature: UInt32 = 0x0706_4b50
    private static let centralSignature: UInt32 = 0x0201_4b50
    private static let localSignature: UInt32 = 0x0403_4b50

    static func damaged(_ why: String) -> ExportError {
        ExportError(code: "unparseable", message: "damaged zip archive: \(why)")
    }

    /// The end record's facts: entry count, directory offset and size.
    static func endRecord(_ bytes: [UInt8]) throws(ExportError) -> (count: UInt64, offset: UInt64, size: UInt64) {
        guard bytes.count >= 22 else { throw damaged("too short for a zip") }
        var position = bytes.count - 22
        let lowest = max(0, bytes.count - 22 - 0xFFFF)
        while position >= lowest {
            if u32(bytes, position) == endSignature { break }
            position -= 1
        }
        guard position >= lowest else { throw damaged("no end of central directory record") }
        var count = UInt64(u16(bytes, position + 10))
        var size = UInt64(u32(bytes, position + 12))
        var offset = UInt64(u32(bytes, position + 16))
        if count == 0xFFFF || size == 0xFFFF_FFFF || offset == 0xFFFF_FFFF {
            let locator = position - 20
            if locator >= 0, u32(bytes, locator) == zip64LocatorSignature {
                let recordOffset = u64(bytes, locator + 8)
                guard bytes.count >= 56, recordOffset <= UInt64(bytes.count - 56),
                    u32(bytes, Int(recordOffset)) == zip64EndSignature
                else {
                    throw damaged("bad ZIP64 end record")
                }
                // ZIPFoundation expects the record right before the locator: insist on the same.
                guard recordOffset + 56 == UInt64(locator) else { throw damaged("unsupported ZIP64 end record layout") }
                let record = Int(recordOffset)
                count = u64(bytes, record + 32)
                size = u64(bytes, record + 40)
                offset = u64(bytes, record + 48)
            }
        }
        return (count, offset, size)
    }

    /// Every central directory record. Throws `too-large` when the archive announces more than
    /// `maxEntries`, before reading any record.
    static func read(_ bytes: [UInt8], maxEntries: Int) throws(ExportError) -> [RawZipEntry] {
        let end = try endRecord(bytes)
        guard end.count <= UInt64(maxEntries) else {
            throw ExportError(
                code: "too-large", message: "the archive has \(end.count) entries; the limit is \(maxEntries)")
        }
        guard end.offset <= UInt64(bytes.count) else { throw damaged("central directory offset out of range") }
        var entries: [RawZipEntry] = []
        entries.reserveCapacity(Int(end.count))
        var position = Int(end.offset)
        for _ in 0..<Int(end.count) {
            guard position + 46 <= bytes.count, u32(bytes, position) == centralSignature else {
                throw damaged("central directory record \(entries.count + 1) is cut short or missing")
            }
            let nameLength = Int(u16(bytes, position + 28))
            let extraLength = Int(u16(bytes, position + 30))
            let commentLength = Int(u16(bytes, position + 32))
            let nameStart = position + 46
            guard nameStart + nameLength + extraLength + commentLength <= bytes.count else {
                throw damaged("central directory record \(entries.count + 1) runs past the end")
            }
            var entry = RawZipEntry(
                nameBytes: Array(bytes[nameStart..<nameStart + nameLength]),
                versionMadeBy: u16(bytes, position + 4),
                flags: u16(bytes, position + 8),
                method: u16(bytes, position + 10),
                crc32: u32(bytes, position + 16),
                compressedSize: UInt64(u32(bytes, position + 20)),
                uncompressedSize: UInt64(u32(bytes, position + 24)),
                externalAttributes: u32(bytes, position + 38),
                localHeaderOffset: UInt64(u32(bytes, position + 42)))
            // ZIP64 extra field: the 64-bit values, in this order, for each field that is all ones.
            var extra = nameStart + nameLength
            let extraEnd = extra + extraLength
            while extra + 4 <= extraEnd {
                let tag = u16(bytes, extra)
                let length = Int(u16(bytes, extra + 2))
                let dataStart = extra + 4
                guard dataStart + length <= extraEnd else { break }
                if tag == 0x0001 {
                    var field = dataStart
                    func next() -> UInt64? {
                        guard field + 8 <= dataStart + length else { return nil }
                        defer { field += 8 }
                        return u64(bytes, field)
                    }
                    if entry.uncompressedSize == 0xFFFF_FFFF, let value = next() { entry.uncompressedSize = value }
                    if entry.compressedSize == 0xFFFF_FFFF, let value = next() { entry.compressedSize = value }
                    if entry.localHeaderOffset == 0xFFFF_FFFF, let value = next() { entry.localHeaderOffset = value }
                }
                extra = dataStart + length
            }
            try checkLocalHeader(of: entry, in: bytes, number: entries.count + 1)
            entries.append(entry)
            position = extraEnd + commentLength
        }
        return entries
    }

    /// Everything ZIPFoundation will seek to for this entry (its local header, its data descriptor)
    /// must lie inside the archive: its in-memory file traps on a seek past the end.
    static func checkLocalHeader(of entry: RawZipEntry, in bytes: [UInt8], number: Int) throws(ExportError) {
        let count = UInt64(bytes.count)
        guard entry.localHeaderOffset <= count, entry.localHeaderOffset + 30 <= count,
            u32(bytes, Int(entry.localHeaderOffset)) == localSignature
        else { throw damaged("entry \(number): local header missing") }
        let header = Int(entry.localHeaderOffset)
        let headerEnd = entry.localHeaderOffset + 30 + UInt64(u16(bytes, header + 26)) + UInt64(u16(bytes, header + 28))
        guard headerEnd <= count else { throw damaged("entry \(number): local header runs past the end") }
        if entry.flags & 0x8 != 0 {
            let dataSize = entry.method != 0 ? entry.compressedSize : entry.uncompressedSize
            guard dataSize <= count, headerEnd + dataSize <= count else {
                throw damaged("entry \(number): data runs past the end")
            }
        }
    }

    /// Where the entry's (compressed) data lies in `bytes`, per its local header.
    static func dataRange(of entry: RawZipEntry, in bytes: [UInt8]) throws(ExportError) -> Range<Int> {
        guard entry.localHeaderOffset <= UInt64(bytes.count),
            Int(entry.localHeaderOffset) + 30 <= bytes.count,
            u32(bytes, Int(entry.localHeaderOffset)) == localSignature
        else { throw damaged("local header missing") }
        let header = Int(entry.localHeaderOffset)
        let start = header + 30 + Int(u16(bytes, header + 26)) + Int(u16(bytes, header + 28))
        guard entry.compressedSize <= UInt64(bytes.count), start + Int(entry.compressedSize) <= bytes.count else {
            throw damaged("entry data runs past the end of the archive")
        }
        return start..<(start + Int(entry.compressedSize))
    }

    static func u16(_ bytes: [UInt8], _ at: Int) -> UInt16 {
        UInt16(bytes[at]) | UInt16(bytes[at + 1]) << 8
    }

    static func u32(_ bytes: [UInt8], _ at: Int) -> UInt32 {
        UInt32(u16(bytes, at)) | UInt32(u16(bytes, at + 2)) << 16
    }

    static func u64(_ bytes: [UInt8], _ at: Int) -> UInt64 {
        UInt64(u32(bytes, at)) | UInt64(u32(bytes, at + 4)) << 32
    }
}
