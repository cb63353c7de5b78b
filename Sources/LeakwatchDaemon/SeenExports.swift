import Foundation
import LeakwatchCore
import Posix

/// The export contents seen so far: `STATE/seen/SHA256` holds the name the first file with those
/// bytes came under, and which file it was (device, inode, modification time), so that a later
/// file with the same bytes is recorded as a `duplicate-export` (alert ids come from content, so
/// it adds no alert), while the same file processed again after a crash is not.
struct SeenExports {
    let directory: SystemPath

    /// Which file (not which name): stays the same while an export is in work/, across restarts.
    struct Identity: Codable, Equatable {
        var device: UInt64
        var inode: UInt64
        var modifiedNanoseconds: Int64

        init(_ info: FileStatus) {
            device = info.device
            inode = info.inode
            modifiedNanoseconds = info.modifiedNanoseconds
        }
    }

    struct Entry: Codable {
        var file: String
        var firstSeen: String
        var identity: Identity

        enum CodingKeys: String, CodingKey {
            case file, firstSeen = "first_seen", identity
        }
    }

    /// Remembers `result`'s content as first seen under `name` unless it was seen before; returns
    /// the `duplicate-export` record when it was, by another file.
    func check(_ result: ScanResult, name: FileName, identity: Identity) throws(PosixError) -> ScanRecord? {
        let digest = result.file.sha256
        guard !digest.isEmpty else { return nil }
        let path = directory.appending(digest)
        let now = AlertFormatting.rfc3339(Date())
        let mine = Entry(file: name.escaped, firstSeen: now, identity: identity)
        do throws(PosixError) {
            try Posix.makeDirectories(directory, permissions: 0o700)
            try Posix.durableCreate(path, with: Array(AlertFormatting.jsonLine(mine).utf8), permissions: 0o600)
            return nil
        } catch let error where error.isAlreadyExisting {
        }
        guard let bytes = try? Posix.readFile(path, limit: 1 << 16),
            let first = try? JSONDecoder().decode(Entry.self, from: Data(bytes))
        else {
            // Unreadable entry: take this file as the first and say nothing.
            try? Posix.durableReplace(path, with: Array(AlertFormatting.jsonLine(mine).utf8), permissions: 0o600)
            return nil
        }
        guard first.identity != identity else { return nil }  // The same file, again after a crash.
        let modified = AlertFormatting.rfc3339(
            Date(timeIntervalSince1970: Double(identity.modifiedNanoseconds) / 1_000_000_000))
        let export = result.exports.first
        return ScanRecord(
            kind: .duplicateExport, detectedAt: now,
            source: ScanRecord.Source(
                file: result.file,
                export: ParsedExport(
                    format: ExportFormat(export?.format ?? "plain"), chat: export?.chat, entry: export?.entry,
                    messages: [])),
            code: "duplicate-export",
            detail:
                "\(name.escaped) (modified \(modified)) has the same content as \(first.file), first seen \(first.firstSeen): "
                + "it adds no new alert ids; the alerts recorded for \(first.file) stand for both")
    }
}
