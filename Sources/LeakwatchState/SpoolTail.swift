import Foundation
import LeakwatchCore
import LeakwatchOutputs

#if canImport(Glibc)
    import Glibc
#endif

/// Where the spool ends: the file (device and inode, which survive rotation by rename) and its size.
public struct SpoolPosition: Sendable, Hashable {
    public var device: Int
    public var inode: Int
    public var offset: Int

    /// The end of the spool file at `path` now (an absent file is at offset 0 of nothing).
    public static func end(of path: String) -> SpoolPosition {
        var info = stat()
        guard stat(path, &info) == 0 else { return SpoolPosition(device: 0, inode: 0, offset: 0) }
        return SpoolPosition(device: Int(info.st_dev), inode: Int(info.st_ino), offset: Int(info.st_size))
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
            var info = stat()
            guard stat(path, &info) == 0 else { continue }
            if Int(info.st_dev) == position.device && Int(info.st_ino) == position.inode {
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
        guard let handle = FileHandle(forReadingAtPath: path) else { return }
        defer { try? handle.close() }
        do {
            try handle.seek(toOffset: UInt64(max(0, offset)))
        } catch {
            return
        }
        var pending: [UInt8] = []
        while let chunk = try? handle.read(upToCount: 4 << 20), !chunk.isEmpty {
            pending += chunk
            var start = 0
            pending.withUnsafeBufferPointer { bytes in
                while let newline = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) {
                    if let id = wholeObjectID(UnsafeBufferPointer(rebasing: bytes[start..<newline])) { ids.insert(id) }
                    start = newline + 1
                }
            }
            pending.removeFirst(start)
        }
    }

    /// The top-level `"id"` of `line` when the line is exactly one JSON object (brackets balanced
    /// outside strings, closing at its last byte); nil otherwise. A structural check, as fast as
    /// reading the bytes: spool lines are written by leakwatch, so a line that closes where it ends
    /// is whole, and one cut by a crash never closes there.
    static func wholeObjectID(_ line: UnsafeBufferPointer<UInt8>) -> String? {
        guard line.first == UInt8(ascii: "{"), line.last == UInt8(ascii: "}") else { return nil }
        var depth = 0
        var inString = false
        var escaped = false
        var id: String?
        let key = Array(#""id":""#.utf8)
        var index = 0
        while index < line.count {
            let byte = line[index]
            if inString {
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                }
                index += 1
                continue
            }
            switch byte {
            case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                depth -= 1
                if depth == 0 && index != line.count - 1 { return nil }
                if depth < 0 { return nil }
            case UInt8(ascii: "\""):
                if depth == 1, id == nil, index + key.count <= line.count,
                    key.indices.allSatisfy({ line[index + $0] == key[$0] })
                {
                    var end = index + key.count
                    while end < line.count, line[end] != UInt8(ascii: "\"") { end += 1 }
                    id = String(decoding: UnsafeBufferPointer(rebasing: line[(index + key.count)..<end]), as: UTF8.self)
                    index = end + 1
                    continue
                }
                inString = true
            default: break
            }
            index += 1
        }
        return depth == 0 && !inString ? id : nil
    }
}
