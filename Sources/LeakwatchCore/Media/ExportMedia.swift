import Foundation
import ZIPFoundation

/// The files of a scanned export that media scanning can look inside, and where their bytes are:
/// the members of a zip export that messages name, or an image or PDF dropped on its own.
///
/// Collected by `ExportScanner` (when asked) from the exports it parsed, so that media scanning,
/// which runs after the text alerts are out, needs neither the file nor the parse again.
public struct ExportMedia: Sendable {
    /// One attached file.
    public struct Item: Sendable, Hashable {
        /// Which chat of the file (index into `ScanResult.exports` order), message and attachment.
        public var exportIndex: Int
        public var messageIndex: Int
        public var attachmentIndex: Int
        /// Its name inside the export: the archive member, or the dropped file's name.
        public var name: String
        /// Its size as the archive declares it (not trusted), or the file's size.
        public var declaredSize: Int?
    }

    /// The exports that have items, by export index, as parsed.
    public var exports: [Int: ParsedExport]
    public var items: [Item]
    private let source: Source

    private enum Source: Sendable {
        case archive(ZipMediaReader)
        case standalone([UInt8])
    }

    /// The media of `exports`, parsed from `fileBytes`; nil when they hold none.
    public static func collect(_ exports: [ParsedExport], fileBytes: [UInt8], limits: ArchiveLimits) -> ExportMedia? {
        var items: [Item] = []
        var withItems: [Int: ParsedExport] = [:]
        let standalone = exports.count == 1 && exports[0].format == .media
        for (exportIndex, export) in exports.enumerated() {
            for (messageIndex, message) in export.messages.enumerated() {
                for (attachmentIndex, attachment) in message.attachments.enumerated() {
                    let name: String
                    if standalone {
                        name = attachment.name
                    } else if let entry = attachment.entry, attachment.present == true {
                        name = entry
                    } else {
                        continue
                    }
                    items.append(
                        Item(
                            exportIndex: exportIndex, messageIndex: messageIndex, attachmentIndex: attachmentIndex,
                            name: name, declaredSize: attachment.size))
                    withItems[exportIndex] = export
                }
            }
        }
        guard !items.isEmpty else { return nil }
        if standalone {
            return ExportMedia(exports: withItems, items: items, source: .standalone(fileBytes))
        }
        guard let reader = try? ZipMediaReader(fileBytes, limits: limits) else { return nil }
        return ExportMedia(exports: withItems, items: items, source: .archive(reader))
    }

    /// The bytes of `item`, decompressed in memory and refused past `maxBytes` or the archive's
    /// limits (compression ratio, declared size).
    public func bytes(of item: Item, maxBytes: Int) throws(ExportError) -> [UInt8] {
        switch source {
        case .standalone(let bytes):
            guard bytes.count <= maxBytes else {
                throw ExportError(
                    code: "too-large", message: "\(bytes.count) bytes, over the media limit of \(maxBytes)",
                    entry: item.name)
            }
            return bytes
        case .archive(let reader):
            return try reader.bytes(of: item.name, maxBytes: maxBytes)
        }
    }

    /// The first bytes of `item` (enough to tell its format), without decompressing the rest.
    public func head(of item: Item) -> [UInt8] {
        switch source {
        case .standalone(let bytes): Array(bytes.prefix(64))
        case .archive(let reader): reader.head(of: item.name)
        }
    }
}

/// Reads single media members of a zip export by name, with `ZipExportReader`'s decompression and
/// its checks.
struct ZipMediaReader: Sendable {
    let bytes: [UInt8]
    let limits: ArchiveLimits
    private let entries: [String: RawZipEntry]

    init(_ bytes: [UInt8], limits: ArchiveLimits) throws(ExportError) {
        let raw = try ZipCentralDirectory.read(bytes, maxEntries: limits.maxEntries)
        let archive: Archive
        do {
            archive = try Archive(data: Data(bytes), accessMode: .read)
        } catch {
            throw ZipCentralDirectory.damaged("ZIPFoundation cannot open it (\(error))")
        }
        // Names as ZIPFoundation decodes them, as `ZipExportReader` gave them to attachments.
        var entries: [String: RawZipEntry] = [:]
        for (rawEntry, entry) in zip(raw, archive) where entries[entry.path] == nil {
            entries[entry.path] = rawEntry
        }
        self.bytes = bytes
        self.limits = limits
        self.entries = entries
    }

    private func member(_ name: String) throws(ExportError) -> ZipExportReader.Member {
        guard let raw = entries[name] else {
            throw ExportError(code: "unparseable", message: "no such member in the archive", entry: name)
        }
        return ZipExportReader.Member(
            name: name, raw: raw,
            declaredSize: ZipExportReader.clamp(raw.uncompressedSize),
            compressedSize: ZipExportReader.clamp(raw.compressedSize), role: .media)
    }

    func bytes(of name: String, maxBytes: Int) throws(ExportError) -> [UInt8] {
        let member = try member(name)
        guard member.declaredSize <= maxBytes else {
            throw ExportError(
                code: "too-large", message: "\(member.declaredSize) bytes, over the media limit of \(maxBytes)",
                entry: name)
        }
        var budget = maxBytes
        return try ZipExportReader.inflate(member, from: bytes, limits: limits, budget: &budget).content
    }

    /// Up to 64 bytes from the start of a member (enough to tell its format), inflating no more
    /// than the first block of a compressed one.
    func head(of name: String) -> [UInt8] {
        guard let member = try? member(name),
            let range = try? ZipCentralDirectory.dataRange(of: member.raw, in: bytes)
        else { return [] }
        switch member.raw.method {
        case 0:
            return Array(bytes[range].prefix(64))
        case 8:
            struct Enough: Error {}
            var head: [UInt8] = []
            var position = range.lowerBound
            _ = try? Data.decompress(
                size: Int64(range.count), bufferSize: 4096, skipCRC32: true,
                provider: { _, size in
                    let available = max(0, min(size, range.upperBound - position))
                    guard available > 0 else { throw Enough() }
                    var chunk = Data(bytes[position..<(position + available)])
                    position += available
                    if available < size { chunk.append(Data(count: size - available)) }
                    return chunk
                },
                consumer: { data in
                    head += data.prefix(64 - head.count)
                    if head.count >= 64 { throw Enough() }
                })
            return head
        default:
            return []
        }
    }
}
