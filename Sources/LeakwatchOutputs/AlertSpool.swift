import LeakwatchCore
import Posix
import Synchronization

/// The alert spool: `alerts.jsonl`, one `leakwatch.alert.v1` alert (or `leakwatch.record.v1`
/// record) per line, each line complete and ending in `\n`, so consumers can `tail -F` it.
///
/// - Exactly once per id: ids already in the spool (including rotated files) are skipped. Only a
///   complete line that is a whole JSON object counts: a torn line never marks an id delivered.
/// - Durable: `deliver` returns after `fdatasync`.
/// - Never torn: a failed write is truncated away; a torn last line left by a crash is cut off at
///   start (its bytes are kept aside in `alerts.torn`, never in the record stream).
/// - Rotation by rename and create at `maxBytes`, keeping `keep` old files; never copytruncate.
public final class AlertSpool: AlertSink, Sendable {
    public struct Configuration: Sendable, Hashable {
        public var directory: String
        public var fileName: String = "alerts.jsonl"
        /// Rotate when the file would grow past this size.
        public var maxBytes: Int = 64 << 20
        /// Rotated files kept (`alerts.jsonl.1` ... `.keep`).
        public var keep: Int = 10
        /// File mode: group-readable so members of the service's group can tail it.
        public var mode: UInt32 = 0o640
        /// Test hook (`LEAKWATCH_TEST_CRASH_AT=mid-spool-write`): the first write stops halfway
        /// and the process kills itself, leaving the torn line a power cut or `kill -9` would.
        public var crashInsideWriteForTests = false
        /// Whether the spool itself remembers the ids its rotated files hold (reading them at
        /// start) to write each once. Off when the state database keeps delivered ids instead.
        public var indexesIDs = true
        /// A batch's lines are written this many bytes at a time (a streamed export's batch may be
        /// millions of alerts), and synced once.
        public var pageBytes = 4 << 20

        public init(directory: String, maxBytes: Int = 64 << 20, keep: Int = 10) {
            self.directory = directory
            self.maxBytes = maxBytes
            self.keep = keep
        }

        public var path: String { directory + "/" + fileName }
        var spoolPath: SystemPath { SystemPath(path) }
        /// Where torn tails cut from the spool are kept, for a human to look at.
        var tornPath: SystemPath { SystemPath(directory).appending("alerts.torn") }
    }

    private struct State {
        var file: FileDescriptor
        /// The end of the last complete line: everything before it is whole records.
        var size: Int
        var ids: Set<String>
        /// A write failed and could not be rolled back: repair the tail before the next one.
        var needsRepair: Bool
    }

    public let name = "spool"
    public let configuration: Configuration
    private let state: Mutex<State>
    /// What opening the spool had to repair (a torn last line cut off), for the caller to log.
    public let repairs: [String]

    /// Opens (or creates) the spool, indexes the ids of every complete line in it and its rotated
    /// files, and cuts off a torn last line.
    public init(_ configuration: Configuration) throws(LeakwatchError) {
        self.configuration = configuration
        let file = try Self.openSpoolFile(configuration)
        var ids = Set<String>()
        for path in Self.spoolFiles(configuration).dropFirst() where configuration.indexesIDs {
            guard let bytes = try? Posix.readFile(path) else { continue }
            Self.collectIDs(in: bytes[...], into: &ids)
        }
        let current: [UInt8]
        do throws(PosixError) {
            current = try file.readAll()
        } catch {
            throw Self.spoolError("cannot read the spool", error)
        }
        let whole = Self.collectIDs(in: current[...], into: &ids)
        var state = State(file: file, size: whole, ids: ids, needsRepair: false)
        var repairs: [String] = []
        if whole < current.count {
            try Self.cutTornTail(Array(current[whole...]), at: whole, state: &state, configuration)
            repairs.append(
                "cut a torn last line of \(current.count - whole) bytes off \(configuration.path) "
                    + "(left by a crash during a write; kept in \(configuration.tornPath.escaped))")
        }
        self.state = Mutex(state)
        self.repairs = repairs
    }

    /// Whether an alert or record with `id` is already in the spool.
    public func contains(_ id: String) -> Bool {
        state.withLock { $0.ids.contains(id) }
    }

    /// The part of `batch` not yet in the spool.
    public func unseen(_ batch: AlertBatch) throws(LeakwatchError) -> AlertBatch {
        let ids = state.withLock { $0.ids }
        var fresh = AlertBatch(alerts: batch.alerts.emptyCopy())
        try batch.alerts.forEach { (alert) throws(LeakwatchError) in
            if !ids.contains(alert.id) { try fresh.alerts.append(alert) }
        }
        fresh.records = batch.records.filter { !ids.contains($0.id) }
        return fresh
    }

    /// Bytes in the current spool file (`alerts.jsonl`; rotated files are not counted).
    public var currentBytes: Int { state.withLock { $0.size } }

    /// Appends the batch's alerts and records not yet in the spool, then `fdatasync`s.
    /// On failure (a full disk, say) the file is truncated back to where it was and the error
    /// thrown: nothing of the batch counts as written.
    ///
    /// A large batch (a streamed export's) is written a page at a time, all of it to one file,
    /// and synced once at the end.
    public func deliver(_ batch: AlertBatch) throws(LeakwatchError) {
        let configuration = configuration
        try state.withLock { state throws(LeakwatchError) in
            if state.needsRepair { try Self.repair(&state, configuration) }
            var written: [String] = []
            var batchIDs = Set<String>()
            var page: [UInt8] = []
            var start: Int?
            func add(_ id: String, _ line: String) throws(LeakwatchError) {
                guard !state.ids.contains(id), batchIDs.insert(id).inserted else { return }
                written.append(id)
                page += line.utf8
                page.append(UInt8(ascii: "\n"))
                if page.count >= configuration.pageBytes { try flush() }
            }
            func flush() throws(LeakwatchError) {
                guard !page.isEmpty else { return }
                if start == nil {
                    // Rotate first when the batch's first page will not fit; the rest of the batch
                    // follows in the same file (one batch stays in one file).
                    if state.size > 0, state.size + page.count > configuration.maxBytes {
                        try Self.rotate(&state, configuration)
                    }
                    start = state.size
                }
                try Self.write(page, to: &state, rollingBackTo: start ?? state.size, configuration)
                page.removeAll(keepingCapacity: true)
            }
            try batch.alerts.forEachJSONLine { (id, line) throws(LeakwatchError) in try add(id, line) }
            for record in batch.records { try add(record.id, AlertFormatting.jsonLine(record)) }
            try flush()
            guard let start else { return }
            try Self.sync(&state, rollingBackTo: start)
            if configuration.indexesIDs {
                for id in written { state.ids.insert(id) }
            }
        }
    }

    // MARK: - File handling

    /// The spool's files, newest first: `alerts.jsonl`, `alerts.jsonl.1`, ... `.keep`.
    public static func spoolFiles(_ configuration: Configuration) -> [SystemPath] {
        [configuration.spoolPath] + (1...max(1, configuration.keep)).map { SystemPath("\(configuration.path).\($0)") }
    }

    static func spoolError(_ what: String, _ error: PosixError) -> LeakwatchError {
        LeakwatchError(
            code: error.isNoSpace ? .noSpace : .io, message: "\(what): \(error.reason)", path: error.path?.escaped,
            cause: error)
    }

    private static func openSpoolFile(_ configuration: Configuration) throws(LeakwatchError) -> FileDescriptor {
        do throws(PosixError) {
            let file = try Posix.open(
                configuration.spoolPath, [.readWrite, .append, .create, .noFollow], permissions: configuration.mode)
            // The umask may have narrowed the mode of a new file: set it exactly.
            try file.setPermissions(configuration.mode)
            return file
        } catch {
            throw spoolError("cannot open the spool", error)
        }
    }

    /// Writes all of `bytes` at the end; on failure, truncates the file back to `start` (where the
    /// batch began) and throws.
    private static func write(
        _ bytes: [UInt8], to state: inout State, rollingBackTo start: Int, _ configuration: Configuration
    ) throws(LeakwatchError) {
        do throws(PosixError) {
            if configuration.crashInsideWriteForTests {
                try state.file.writeAll(Array(bytes.prefix(max(1, bytes.count / 2))))
                try state.file.syncData()
                try Posix.send(.kill, to: Posix.processID)
            }
            try state.file.writeAll(bytes)
        } catch {
            rollBack(&state, to: start)
            throw spoolError("cannot write to the spool", error)
        }
        state.size += bytes.count
    }

    /// Syncs what the batch wrote; on failure, truncates the file back to `start` and throws.
    private static func sync(_ state: inout State, rollingBackTo start: Int) throws(LeakwatchError) {
        do throws(PosixError) {
            try state.file.syncData()
        } catch {
            rollBack(&state, to: start)
            throw spoolError("cannot write to the spool", error)
        }
    }

    /// Takes back whatever part of a batch reached the file.
    private static func rollBack(_ state: inout State, to start: Int) {
        do throws(PosixError) {
            try state.file.truncate(to: start)
            try state.file.syncData()
        } catch {
            state.needsRepair = true
        }
        state.size = start
    }

    /// After a write that could not be rolled back: complete lines past the last known end are
    /// records (their ids are taken as delivered), a torn remainder is cut off.
    private static func repair(_ state: inout State, _ configuration: Configuration) throws(LeakwatchError) {
        let tail: [UInt8]
        do throws(PosixError) {
            let end = try state.file.status().size
            tail = end > state.size ? try state.file.read(upTo: end - state.size, at: state.size) : []
        } catch {
            throw spoolError("cannot read the spool", error)
        }
        let whole = collectIDs(in: tail[...], into: &state.ids)
        state.size += whole
        if whole < tail.count {
            try cutTornTail(Array(tail[whole...]), at: state.size, state: &state, configuration)
        }
        state.needsRepair = false
    }

    /// Keeps `torn` (the bytes after the last complete line) in `alerts.torn`, then truncates the
    /// spool to `offset`, so no consumer ever reads them as a record and the next line starts clean.
    private static func cutTornTail(
        _ torn: [UInt8], at offset: Int, state: inout State, _ configuration: Configuration
    ) throws(LeakwatchError) {
        do throws(PosixError) {
            let aside = try Posix.open(
                configuration.tornPath, [.writeOnly, .append, .create, .noFollow], permissions: configuration.mode)
            try aside.writeAll(torn + [UInt8(ascii: "\n")])
            try aside.syncData()
        } catch {
            // Keeping the bytes is a courtesy; cutting them is what matters.
        }
        do throws(PosixError) {
            try state.file.truncate(to: offset)
            try state.file.syncData()
        } catch {
            state.needsRepair = true
            throw spoolError("cannot cut a torn line off the spool", error)
        }
        state.size = offset
    }

    /// `alerts.jsonl.N-1` -> `.N`, ..., `alerts.jsonl` -> `.1`, then a new `alerts.jsonl`.
    private static func rotate(_ state: inout State, _ configuration: Configuration) throws(LeakwatchError) {
        let base = configuration.path
        do throws(PosixError) {
            if configuration.keep >= 1 {
                for index in stride(from: configuration.keep - 1, through: 1, by: -1) {
                    do throws(PosixError) {
                        try Posix.rename(SystemPath("\(base).\(index)"), to: SystemPath("\(base).\(index + 1)"))
                    } catch let error where error.isNotFound {
                    }
                }
                try Posix.rename(configuration.spoolPath, to: SystemPath("\(base).1"))
            } else {
                try Posix.unlink(configuration.spoolPath)
            }
        } catch {
            throw spoolError("cannot rotate the spool", error)
        }
        state.file = try openSpoolFile(configuration)
        state.size = 0
        do throws(PosixError) {
            try Posix.syncDirectory(SystemPath(configuration.directory))
        } catch {
            throw spoolError("cannot sync the spool directory", error)
        }
    }

    /// Collects the top-level `"id"` of every complete line that is a whole JSON object. Keys are
    /// sorted, so the first `"id":"` of a line is the top-level one (`detected_at` sorts before
    /// it and holds none). Returns the offset just past the last complete line: what follows is a
    /// torn tail (a line without its `\n`).
    @discardableResult
    public static func collectIDs(in bytes: ArraySlice<UInt8>, into ids: inout Set<String>) -> Int {
        let needle = Array("\"id\":\"".utf8)
        var lineStart = bytes.startIndex
        var completeEnd = bytes.startIndex
        while lineStart < bytes.endIndex {
            guard let lineEnd = bytes[lineStart...].firstIndex(of: UInt8(ascii: "\n")) else { break }
            completeEnd = lineEnd + 1
            let line = bytes[lineStart..<lineEnd]
            if isWholeJSONObject(line), let at = firstIndex(of: needle, in: line) {
                let valueStart = at + needle.count
                if let valueEnd = line[valueStart...].firstIndex(of: UInt8(ascii: "\"")) {
                    ids.insert(String(decoding: line[valueStart..<valueEnd], as: UTF8.self))
                }
            }
            lineStart = lineEnd + 1
        }
        return completeEnd - bytes.startIndex
    }

    /// Whether `line` is one JSON object from its first byte to its last: braces and brackets
    /// balance (outside strings) and close exactly at the end. A line cut short by a crash (and
    /// sealed by an older version) fails this.
    static func isWholeJSONObject(_ line: ArraySlice<UInt8>) -> Bool {
        guard line.first == UInt8(ascii: "{"), line.last == UInt8(ascii: "}") else { return false }
        var depth = 0
        var inString = false
        var escaped = false
        var index = line.startIndex
        while index < line.endIndex {
            let byte = line[index]
            if inString {
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                }
            } else {
                switch byte {
                case UInt8(ascii: "\""): inString = true
                case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    depth -= 1
                    if depth == 0 { return index == line.endIndex - 1 }
                    if depth < 0 { return false }
                default: break
                }
            }
            index += 1
        }
        return false
    }

    private static func firstIndex(of needle: [UInt8], in bytes: ArraySlice<UInt8>) -> Int? {
        guard bytes.count >= needle.count else { return nil }
        var index = bytes.startIndex
        while index <= bytes.endIndex - needle.count {
            if bytes[index] == needle[0], bytes[index..<(index + needle.count)].elementsEqual(needle) { return index }
            index += 1
        }
        return nil
    }
}
