import Foundation
import ZIPFoundation

/// Reads a zipped chat export in memory (never extracting to disk): WhatsApp's iOS export
/// (`_chat.txt` + media), its Android export (`WhatsApp Chat with X.txt`, localised, + media), or a
/// zipped Telegram Desktop folder (`result.json` + `photos/`, `files/`, ...).
///
/// - Every `.txt` and `.json` member is decompressed and parsed (the likely chat first: `_chat.txt`,
///   a `WhatsApp...` name, `result.json`, then other top-level members, then the rest), one or more
///   `ParsedExport`s each, with `entry` set to the member name.
/// - Every other member is media: it is never decompressed. Attachments that name it get its
///   uncompressed size and `present = true`; attachments naming a file not in the zip get
///   `present = false`; media no message names are listed in an `unreferenced-media` note.
/// - `__MACOSX/`, `.DS_Store` and folders are ignored.
/// - Refused (thrown, so the caller quarantines the export): entry names with `..` components or
///   absolute paths, symlink entries (`unsafe-archive`); more entries than allowed, a chat member
///   over the size budget (`too-large`); a chat member or the whole archive over the compression
///   ratio, or a member that inflates past its declared size (`unsafe-archive`).
/// - Media over a limit are skipped (their size is not trusted) and each one is reported in a
///   `scan-incomplete` note, as is a nested archive that is not opened.
public enum ZipExportReader {
    /// The local file header signature, `PK\3\4`.
    public static let magic: [UInt8] = [0x50, 0x4B, 0x03, 0x04]
    /// The end record signature, `PK\5\6`: all an empty archive holds.
    public static let emptyArchiveMagic: [UInt8] = [0x50, 0x4B, 0x05, 0x06]

    /// `true` when `bytes` start like a zip archive.
    public static func isArchive(_ bytes: [UInt8]) -> Bool {
        bytes.starts(with: magic) || bytes.starts(with: emptyArchiveMagic)
    }

    /// Parses the zip `bytes`. `fileName` is the archive's own name, used for the chat name when the
    /// chat member is `_chat.txt`.
    /// - Parameter maxLineBytes: chat members' lines longer than this are cut into pieces.
    public static func read(
        _ bytes: [UInt8], fileName: String?, limits: ArchiveLimits = .default, maxLineBytes: Int = .max
    ) throws(ExportError) -> [ParsedExport] {
        var budget = limits.maxTotalUncompressedBytes
        return try read(
            bytes, fileName: fileName, limits: limits, depth: 1, budget: &budget, maxLineBytes: maxLineBytes)
    }

    // MARK: - Members

    enum Role: Sendable { case ignored, document, media, archive }

    struct Member {
        var name: String
        var raw: RawZipEntry
        /// The larger of the central directory's and ZIPFoundation's (data descriptor) sizes.
        var declaredSize: Int
        var compressedSize: Int
        var role: Role
        var skipReason: String?
    }

    static func read(
        _ bytes: [UInt8], fileName: String?, limits: ArchiveLimits, depth: Int, budget: inout Int,
        maxLineBytes: Int = .max
    ) throws(ExportError) -> [ParsedExport] {
        // 1. The central directory, before anything is decompressed.
        let raw = try ZipCentralDirectory.read(bytes, maxEntries: limits.maxEntries)
        let archive: Archive
        do {
            archive = try Archive(data: Data(bytes), accessMode: .read)
        } catch {
            throw ZipCentralDirectory.damaged("ZIPFoundation cannot open it (\(error))")
        }
        var members: [Member] = []
        members.reserveCapacity(raw.count)
        let iterator = archive.makeIterator()
        for rawEntry in raw {
            if rawEntry.isEncrypted {
                throw ExportError(
                    code: "encrypted-archive",
                    message: "the archive is encrypted (password-protected): its content cannot be scanned",
                    entry: String(decoding: rawEntry.nameBytes, as: UTF8.self))
            }
            guard let entry = iterator.next() else {
                throw ZipCentralDirectory.damaged("an entry's local header is unreadable")
            }
            let name = entry.path
            if let reason = unsafeNameReason(name) {
                throw ExportError(code: "unsafe-archive", message: "entry name \(reason)", entry: name)
            }
            if entry.type == .symlink || rawEntry.isSymlink {
                throw ExportError(code: "unsafe-archive", message: "symbolic link entries are refused", entry: name)
            }
            let declared = max(rawEntry.uncompressedSize, entry.uncompressedSize)
            members.append(
                Member(
                    name: name, raw: rawEntry, declaredSize: clamp(declared),
                    compressedSize: clamp(rawEntry.compressedSize),
                    role: role(of: name, isDirectory: entry.type == .directory)))
        }

        // 2. Limits from the declared sizes.
        var notes: [ParseNote] = []
        for index in members.indices where members[index].role != .ignored {
            let member = members[index]
            guard member.declaredSize >= limits.ratioCheckMinimumBytes else { continue }
            let ratio = member.declaredSize / max(member.compressedSize, 1)
            guard ratio > limits.maxCompressionRatio else { continue }
            let why = "compression ratio \(ratio):1 is over the limit of \(limits.maxCompressionRatio):1"
            if member.role == .document {
                throw ExportError(code: "unsafe-archive", message: why, entry: member.name)
            }
            members[index].skipReason = why
        }
        let opensArchives = depth < limits.maxNestingDepth
        func isRead(_ member: Member) -> Bool {
            member.role == .document || (member.role == .archive && opensArchives)
        }
        let readBytes = members.filter { isRead($0) && $0.skipReason == nil }.reduce(0) { add($0, $1.declaredSize) }
        guard readBytes <= budget else {
            let largest = members.filter(isRead).max { $0.declaredSize < $1.declaredSize }
            throw ExportError(
                code: "too-large",
                message: "the chat members would decompress to \(readBytes) bytes; the limit is \(budget) bytes",
                entry: largest?.name)
        }
        // Media that cannot fit on its own is skipped first; after that every size is at most the
        // budget, so the sums below stay far from overflowing (and `add` saturates regardless).
        let mediaIndices = members.indices.filter { !isRead(members[$0]) && members[$0].role != .ignored }
        let overTheTotal =
            "would take the archive past the limit of \(limits.maxTotalUncompressedBytes) uncompressed bytes"
        for index in mediaIndices
        where members[index].skipReason == nil && members[index].declaredSize > budget - readBytes {
            members[index].skipReason = "its \(members[index].declaredSize) bytes \(overTheTotal)"
        }
        var mediaBytes = mediaIndices.filter { members[$0].skipReason == nil }
            .reduce(0) { add($0, members[$1].declaredSize) }
        if add(readBytes, mediaBytes) > budget {
            let bySize = mediaIndices.filter { members[$0].skipReason == nil }
                .sorted { members[$0].declaredSize > members[$1].declaredSize }
            for index in bySize where add(readBytes, mediaBytes) > budget {
                mediaBytes -= members[index].declaredSize
                members[index].skipReason = "its \(members[index].declaredSize) bytes \(overTheTotal)"
            }
        }
        let counted = members.filter { $0.role != .ignored && $0.skipReason == nil }
        let totalDeclared = counted.reduce(0) { add($0, $1.declaredSize) }
        let totalCompressed = counted.reduce(0) { add($0, $1.compressedSize) }
        if totalDeclared >= limits.ratioCheckMinimumBytes,
            totalDeclared / max(totalCompressed, 1) > limits.maxCompressionRatio
        {
            throw ExportError(
                code: "unsafe-archive",
                message:
                    "the archive's overall compression ratio \(totalDeclared / max(totalCompressed, 1)):1 is over the limit of \(limits.maxCompressionRatio):1"
            )
        }
        budget -= mediaBytes
        for member in members where member.skipReason != nil {
            notes.append(
                ParseNote(
                    code: "media-skipped",
                    message: "media entry \(member.name) was skipped and its size is not trusted: \(member.skipReason!)"
                ))
        }

        // 3. Chat members, most likely chat first; nested archives when allowed.
        var exports: [(export: ParsedExport, directory: String)] = []
        var nested: [ParsedExport] = []
        let documents = members.indices.filter { members[$0].role == .document }
            .sorted { (preference(members[$0].name), $0) < (preference(members[$1].name), $1) }
        for index in documents {
            let member = members[index]
            let (content, crcMatches) = try inflate(member, from: bytes, limits: limits, budget: &budget)
            var parsed: [ParsedExport]
            if isArchive(content) {
                parsed = try openNested(
                    content, member: member, limits: limits, depth: depth, budget: &budget, notes: &notes,
                    maxLineBytes: maxLineBytes)
                nested.append(contentsOf: parsed)
                continue
            }
            let parseName = parseFileName(member: member.name, archive: fileName)
            parsed = try ExportParsing.parseDocument(
                content, fileName: parseName ?? basename(member.name), maxLineBytes: maxLineBytes)
            for var export in parsed {
                export.entry = member.name
                if export.chat == nil, export.format != .telegramJSON, let parseName {
                    export.chat = chatName(from: parseName)
                }
                if !crcMatches {
                    export.notes.append(
                        ParseNote(
                            code: "crc-mismatch",
                            message: "\(member.name) does not match its checksum: the archive may be damaged"))
                }
                exports.append((export, directory(of: member.name)))
            }
        }
        for index in members.indices where members[index].role == .archive {
            let member = members[index]
            guard opensArchives else {
                notes.append(
                    ParseNote(
                        code: "nested-archive",
                        message:
                            "nested archive \(member.name) was not opened (nesting depth limit \(limits.maxNestingDepth)); its content was not scanned"
                    ))
                continue
            }
            guard member.skipReason == nil else { continue }
            let (content, _) = try inflate(member, from: bytes, limits: limits, budget: &budget)
            nested.append(
                contentsOf: try openNested(
                    content, member: member, limits: limits, depth: depth, budget: &budget, notes: &notes,
                    maxLineBytes: maxLineBytes))
        }

        // 4. Media: attachments that name a member get its size; the rest are listed.
        var byPath: [String: Int] = [:]
        var byBase: [String: [Int]] = [:]
        var byLowerBase: [String: [Int]] = [:]
        for index in members.indices where members[index].role == .media || members[index].role == .archive {
            let name = members[index].name
            if byPath[name] == nil { byPath[name] = index }
            byBase[basename(name), default: []].append(index)
            byLowerBase[basename(name).lowercased(), default: []].append(index)
        }
        var referenced = Set<Int>()
        var result: [ParsedExport] = []
        for (original, base) in exports {
            var export = original
            func resolve(_ name: String) -> Int? {
                if let index = byPath[base + name] ?? byPath[name] { return index }
                let file = basename(name)
                let candidates = byBase[file] ?? byLowerBase[file.lowercased()] ?? []
                return candidates.first { directory(of: members[$0].name) == base } ?? candidates.first
            }
            for m in export.messages.indices where !export.messages[m].attachments.isEmpty {
                for a in export.messages[m].attachments.indices {
                    var attachment = export.messages[m].attachments[a]
                    if let index = resolve(attachment.name) {
                        referenced.insert(index)
                        attachment.present = true
                        attachment.size = members[index].skipReason == nil ? members[index].declaredSize : nil
                        // Media scanning reads the member by this name; a skipped one is not read.
                        attachment.entry = members[index].skipReason == nil ? members[index].name : nil
                    } else if attachment.present == nil {
                        attachment.present = false
                    }
                    export.messages[m].attachments[a] = attachment
                }
            }
            result.append(export)
        }
        let unreferenced = members.indices.filter {
            (members[$0].role == .media || members[$0].role == .archive) && !referenced.contains($0)
        }
        if !unreferenced.isEmpty {
            let shown = unreferenced.prefix(200).map { "\(members[$0].name) (\(members[$0].declaredSize) bytes)" }
            let more = unreferenced.count > 200 ? " and \(unreferenced.count - 200) more" : ""
            notes.append(
                ParseNote(
                    code: "unreferenced-media",
                    message:
                        "\(unreferenced.count) file(s) in the archive that no message names: \(shown.joined(separator: ", "))\(more)"
                ))
        }
        if result.isEmpty {
            notes.append(
                ParseNote(code: "no-chat-text", message: "the archive holds no chat text (.txt or .json member)"))
            result.append(ParsedExport(format: .plain, chat: fileName.map(chatName(from:)), messages: []))
        }
        result[0].notes.append(contentsOf: notes)
        return result + nested
    }

    /// Opens a zip found inside the zip, or notes that it was not opened.
    private static func openNested(
        _ content: [UInt8], member: Member, limits: ArchiveLimits, depth: Int, budget: inout Int,
        notes: inout [ParseNote], maxLineBytes: Int
    ) throws(ExportError) -> [ParsedExport] {
        guard depth < limits.maxNestingDepth else {
            notes.append(
                ParseNote(
                    code: "nested-archive",
                    message:
                        "nested archive \(member.name) was not opened (nesting depth limit \(limits.maxNestingDepth)); its content was not scanned"
                ))
            return []
        }
        do {
            var inner = try read(
                content, fileName: basename(member.name), limits: limits, depth: depth + 1, budget: &budget,
                maxLineBytes: maxLineBytes)
            for index in inner.indices {
                inner[index].entry = member.name + "/" + (inner[index].entry ?? "")
            }
            return inner
        } catch {
            var error = error
            error.entry = member.name + "/" + (error.entry ?? "")
            throw error
        }
    }

    // MARK: - Decompression

    private struct Stop: Error { var error: ExportError }

    /// Decompresses one member in memory, counting the real bytes: stops as soon as they pass the
    /// declared size, the remaining budget or the ratio.
    static func inflate(
        _ member: Member, from bytes: [UInt8], limits: ArchiveLimits, budget: inout Int
    ) throws(ExportError) -> (content: [UInt8], crcMatches: Bool) {
        if member.raw.isEncrypted {
            throw ExportError(
                code: "unparseable", message: "the entry is encrypted and cannot be scanned", entry: member.name)
        }
        let range = try ZipCentralDirectory.dataRange(of: member.raw, in: bytes)
        let allowed = min(member.declaredSize, budget)
        func check(_ count: Int) throws(ExportError) {
            if count > member.declaredSize {
                throw ExportError(
                    code: "unsafe-archive",
                    message: "the entry decompresses to more than the \(member.declaredSize) bytes its header declares",
                    entry: member.name)
            }
            if count > budget {
                throw ExportError(
                    code: "too-large",
                    message:
                        "decompressing the entry would pass the limit of \(limits.maxTotalUncompressedBytes) bytes",
                    entry: member.name)
            }
            if count >= limits.ratioCheckMinimumBytes, count / max(range.count, 1) > limits.maxCompressionRatio {
                throw ExportError(
                    code: "unsafe-archive",
                    message: "the entry's compression ratio is over the limit of \(limits.maxCompressionRatio):1",
                    entry: member.name)
            }
        }
        var content: [UInt8] = []
        switch member.raw.method {
        case 0:
            try check(range.count)
            content = Array(bytes[range])
        case 8:
            content.reserveCapacity(min(allowed, 64 << 20))
            let chunkSize = 64 * 1024
            var position = range.lowerBound
            var paddedOnce = false
            do {
                _ = try Data.decompress(
                    size: Int64(range.count), bufferSize: chunkSize, skipCRC32: true,
                    provider: { _, size in
                        // ZIPFoundation hands zlib `size` bytes whatever the chunk holds, so always
                        // return exactly `size`; past the entry's data, zeros once, then stop (a
                        // stream that never ends must not spin forever).
                        let available = max(0, min(size, range.upperBound - position))
                        if available == 0 && paddedOnce {
                            throw Stop(
                                error: ExportError(
                                    code: "unparseable", message: "the compressed data is cut short", entry: member.name
                                ))
                        }
                        var chunk = Data(bytes[position..<(position + available)])
                        position += available
                        if available < size {
                            paddedOnce = true
                            chunk.append(Data(count: size - available))
                        }
                        return chunk
                    },
                    consumer: { data in
                        do throws(ExportError) {
                            try check(content.count + data.count)
                        } catch {
                            throw Stop(error: error)
                        }
                        content.append(contentsOf: data)
                    })
            } catch let stop as Stop {
                throw stop.error
            } catch {
                throw ExportError(
                    code: "unparseable", message: "the compressed data is damaged (\(error))", entry: member.name)
            }
        default:
            throw ExportError(
                code: "unparseable", message: "compression method \(member.raw.method) is not supported",
                entry: member.name)
        }
        budget -= content.count
        let crc = Data(content).crc32(checksum: 0)
        return (content, crc == member.raw.crc32)
    }

    // MARK: - Names

    static func add(_ a: Int, _ b: Int) -> Int {
        let (sum, overflow) = a.addingReportingOverflow(b)
        return overflow ? Int.max : sum
    }

    static func clamp(_ value: UInt64) -> Int { value > UInt64(Int.max) ? Int.max : Int(value) }

    /// Why a member name is unsafe, or `nil`.
    static func unsafeNameReason(_ name: String) -> String? {
        if name.unicodeScalars.contains("\0") { return "contains a NUL character" }
        let path = name.replacingOccurrences(of: "\\", with: "/")
        if path.hasPrefix("/") { return "is an absolute path" }
        let components = path.split(separator: "/", omittingEmptySubsequences: false)
        if let first = components.first, first.count == 2, first.last == ":", first.first?.isLetter == true {
            return "is an absolute path (drive letter)"
        }
        if components.contains("..") { return "has a `..` component" }
        return nil
    }

    static func role(of name: String, isDirectory: Bool) -> Role {
        if isDirectory || name.hasSuffix("/") { return .ignored }
        let components = name.split(separator: "/")
        if components.contains("__MACOSX") { return .ignored }
        let file = basename(name)
        if file == ".DS_Store" || file.hasPrefix("._") || file == "Thumbs.db" { return .ignored }
        switch file.split(separator: ".").last?.lowercased() {
        case "txt", "json": return .document
        case "zip": return .archive
        default: return .media
        }
    }

    /// Lower is more likely the chat.
    static func preference(_ name: String) -> Int {
        let file = basename(name).lowercased()
        let topLevel = !name.contains("/")
        if file == "_chat.txt" { return topLevel ? 0 : 3 }
        if file.hasSuffix(".txt") && file.contains("whatsapp") { return topLevel ? 1 : 4 }
        if file == "result.json" { return topLevel ? 1 : 2 }
        return topLevel ? 5 : 6
    }

    static func basename(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return path }
        return String(path[path.index(after: slash)...])
    }

    /// `a/b/c.txt` → `a/b/`; `c.txt` → ``.
    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "" }
        return String(path[...slash])
    }

    /// The name handed to the text parser: the member's name, or for `_chat.txt` (which says
    /// nothing) the archive's own name.
    static func parseFileName(member: String, archive: String?) -> String? {
        let file = basename(member)
        if file.lowercased() == "_chat.txt" { return archive.map(basename) }
        return file
    }

    /// Localised prefixes WhatsApp puts before the chat's name in its file names.
    static let whatsAppPrefixes = [
        "WhatsApp Chat with ", "WhatsApp Chat - ", "WhatsApp Chat mit ", "WhatsApp-Chat mit ",
        "Chat WhatsApp s uživatelem ", "Chat WhatsApp s ", "Chat de WhatsApp con ", "Chat de WhatsApp com ",
        "Conversa do WhatsApp com ", "Discussion WhatsApp avec ", "Chat di WhatsApp con ", "WhatsApp-chat met ",
        "WhatsApp-chat med ", "Czat WhatsApp z ", "WhatsApp Chat ", "WhatsApp ",
    ]

    /// `WhatsApp Chat with Anna.txt` → `Anna`; `Dienstgruppe.zip` → `Dienstgruppe`.
    public static func chatName(from fileName: String) -> String {
        var name = basename(fileName)
        for suffix in [".txt", ".zip", ".json"] where name.lowercased().hasSuffix(suffix) {
            name = String(name.dropLast(suffix.count))
        }
        for prefix in whatsAppPrefixes where name.lowercased().hasPrefix(prefix.lowercased()) {
            let rest = String(name.dropFirst(prefix.count))
            if !rest.isEmpty { return rest }
        }
        return name
    }
}
