import LeakwatchCore
import LeakwatchOutputs
import Posix

/// Where the spool ends: the file (device and inode, which survive rotation by rename) and its size.
public struct SpoolPosition: Sendable, Hashable {
    public var device: Int
    public var inode: Int
    public var offset: Int

    /// The end of the spool file at `path` now (an absent file is at offset 0 of nothing).
    public static func end(of path: String) -> SpoolPosition {
        guard let info = (try? Posix.statusIfPresent(SystemPath(path))) ?? nil else {
            return SpoolPosition(device: 0, inode: 0, offset: 0)
        }
        return SpoolPosition(
            device: Int(truncatingIfNeeded: info.device), inode: Int(truncatingIfNeeded: info.inode), offset: info.size)
    }
}

/// Reads the ids of the complete, well-formed lines of the spool: all of it (once, to import an
/// existing spool into a new state database), or what was written after a position (to settle a
/// batch that a crash left between "about to write" and "written").
public enum SpoolTail {
    /// The spool's files, newest first: `alerts.jsonl`, `alerts.jsonl.1`, ...
    public static func files(_ configuration: AlertSpool.Configuration) -> [String] {
        // The configured spool path is a String, so its bytes decode back losslessly.
        AlertSpool.spoolFiles(configuration).map { String(decoding: $0.bytes, as: UTF8.self) }
    }

    /// Ids written at or after `position`: the rest of the file that was at the end then (found by
    /// inode, wherever rotation renamed it) and every newer file.
    public static func ids(after position: SpoolPosition, in files: [String]) -> Set<String> {
        var ids = Set<String>()
        var newer: [String] = []
        for path in files {
            guard let info = (try? Posix.statusIfPresent(SystemPath(path))) ?? nil else { continue }
            if Int(truncatingIfNeeded: info.device) == position.device
                && Int(truncatingIfNeeded: info.inode) == position.inode
            {
                collect(path: path, from: position.offset, into: &ids)
                for file in newer { collect(path: file, from: 0, into: &ids) }
                return ids
            }
            newer.append(path)
        }
        // The file is gone (rotated past `keep`): every file there is was written after it.
        for file in newer { collect(path: file, from: 0, into: &ids) }
        return ids
    }

    /// Ids of every complete, well-formed line in `files`.
    public static func allIDs(in files: [String]) -> Set<String> {
        var ids = Set<String>()
        for path in files { collect(path: path, from: 0, into: &ids) }
        return ids
    }

    /// Reads `path` from `offset` and adds the `id` of each line that ends in a newline and is one
    /// whole JSON object: a torn line (a crash in the middle of a write, sealed or not) never counts.
    static func collect(path: String, from offset: Int, into ids: inout Set<String>) {
        guard let file = try? Posix.open(SystemPath(path), .readOnly) else { return }
        var position = max(0, offset)
        var pending: [UInt8] = []
        while let chunk = try? file.read(upTo: 4 << 20, at: position), !chunk.isEmpty {
            position += chunk.count
            pending += chunk
            // The spool's own reading: only complete lines that are whole JSON objects count.
            let complete = AlertSpool.collectIDs(in: pending[...], into: &ids)
            pending.removeFirst(complete)
        }
    }
}
