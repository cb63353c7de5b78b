import LeakwatchCore
import LeakwatchScan
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The alert spool: `alerts.jsonl`, one `leakwatch.alert.v1` alert (or `leakwatch.record.v1`
/// record) per line, each line complete and ending in `\n`, so consumers can `tail -F` it.
///
/// - Exactly once per id: ids already in the spool (including rotated files) are skipped.
/// - Durable: `deliver` returns after `fdatasync`.
/// - Never torn: a failed write is truncated away; a torn last line left by a crash is sealed
///   with `\n` at start, so half an alert is never glued to the next one.
/// - Rotation by rename and create at `maxBytes`, keeping `keep` old files; never copytruncate.
///
/// Thread safety: `@unchecked Sendable` because all mutable state (descriptor, size, id index)
/// lives in `state` and is only touched under its `Mutex`.
public final class AlertSpool: AlertSink, @unchecked Sendable {
    public struct Configuration: Sendable, Hashable {
        public var directory: String
        public var fileName: String = "alerts.jsonl"
        /// Rotate when the file would grow past this size.
        public var maxBytes: Int = 64 << 20
        /// Rotated files kept (`alerts.jsonl.1` ... `.keep`).
        public var keep: Int = 10
        /// File mode: group-readable so members of the service's group can tail it.
        public var mode: mode_t = 0o640
        /// Whether the spool itself remembers the ids it holds (reading every spool file at start)
        /// to write each once. Off when the state database keeps delivered ids instead.
        public var indexesIDs = true

        public init(directory: String, maxBytes: Int = 64 << 20, keep: Int = 10) {
            self.directory = directory
            self.maxBytes = maxBytes
            self.keep = keep
        }

        public var path: String { directory + "/" + fileName }
    }

    private struct State {
        var fd: Int32
        var size: Int
        var ids: Set<String>
        /// A write failed and could not be rolled back: seal before the next one.
        var needsSeal: Bool
    }

    public let name = "spool"
    public let configuration: Configuration
    private let state: Mutex<State>

    /// Opens (or creates) the spool, seals a torn last line, and indexes the ids already
    /// written in it and its rotated files.
    public init(_ configuration: Configuration) throws(LeakwatchError) {
        self.configuration = configuration
        let fd = try Self.openSpoolFile(configuration)
        var info = stat()
        fstat(fd, &info)
        var ids = Set<String>()
        for path in Self.spoolFiles(configuration) where configuration.indexesIDs {
            guard let bytes = try? FileReading.readFile(path) else { continue }
            Self.collectIDs(in: bytes, into: &ids)
        }
        state = Mutex(State(fd: fd, size: Int(info.st_size), ids: ids, needsSeal: true))
        try state.withLock { state throws(LeakwatchError) in try Self.sealIfTorn(&state, configuration) }
    }

    deinit {
        state.withLock { state in
            if state.fd >= 0 { close(state.fd) }
        }
    }

    /// Whether an alert or record with `id` is already in the spool.
    public func contains(_ id: String) -> Bool {
        state.withLock { $0.ids.contains(id) }
    }

    /// The part of `batch` not yet in the spool.
    public func unseen(_ batch: AlertBatch) -> AlertBatch {
        state.withLock { state in
            AlertBatch(
                alerts: batch.alerts.filter { !state.ids.contains($0.id) },
                records: batch.records.filter { !state.ids.contains($0.id) })
        }
    }

    /// Appends the batch's alerts and records not yet in the spool, then `fdatasync`s.
    /// On failure (a full disk, say) the file is truncated back to where it was and the error
    /// thrown: nothing of the batch counts as written.
    public func deliver(_ batch: AlertBatch) throws(LeakwatchError) {
        let configuration = configuration
        try state.withLock { state throws(LeakwatchError) in
            var lines: [(id: String, text: String)] = []
            var batchIDs = Set<String>()
            for alert in batch.alerts where !state.ids.contains(alert.id) && batchIDs.insert(alert.id).inserted {
                lines.append((alert.id, AlertFormatting.jsonLine(alert)))
            }
            for record in batch.records where !state.ids.contains(record.id) && batchIDs.insert(record.id).inserted {
                lines.append((record.id, AlertFormatting.jsonLine(record)))
            }
            guard !lines.isEmpty else { return }
            var bytes: [UInt8] = []
            for line in lines {
                bytes += Array(line.text.utf8)
                bytes.append(UInt8(ascii: "\n"))
            }
            if state.needsSeal { try Self.sealIfTorn(&state, configuration) }
            if state.size > 0, state.size + bytes.count > configuration.maxBytes {
                try Self.rotate(&state, configuration)
            }
            try Self.append(bytes, to: &state, configuration)
            if configuration.indexesIDs {
                for line in lines { state.ids.insert(line.id) }
            }
        }
    }

    // MARK: - File handling

    /// The spool's files, newest first: `alerts.jsonl`, `alerts.jsonl.1`, ... `.keep`.
    public static func spoolFiles(_ configuration: Configuration) -> [String] {
        [configuration.path] + (1...max(1, configuration.keep)).map { "\(configuration.path).\($0)" }
    }

    private static func openSpoolFile(_ configuration: Configuration) throws(LeakwatchError) -> Int32 {
        let fd = open(configuration.path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, configuration.mode)
        guard fd >= 0 else { throw FileReading.errnoError(.io, "cannot open the spool", configuration.path) }
        // The umask may have narrowed the mode of a new file: set it exactly.
        fchmod(fd, configuration.mode)
        return fd
    }

    /// Writes all of `bytes` and syncs; rolls back by truncation on any failure.
    private static func append(_ bytes: [UInt8], to state: inout State, _ configuration: Configuration)
        throws(LeakwatchError)
    {
        var written = 0
        var failure: LeakwatchError?
        bytes.withUnsafeBytes { raw in
            while written < raw.count {
                let count = write(state.fd, raw.baseAddress! + written, raw.count - written)
                if count < 0 {
                    if errno == EINTR { continue }
                    failure = FileReading.errnoError(.io, "cannot write to the spool", configuration.path)
                    return
                }
                written += count
            }
        }
        if failure == nil, fdatasync(state.fd) != 0 {
            failure = FileReading.errnoError(.io, "cannot sync the spool", configuration.path)
        }
        if let failure {
            // Take back whatever part of the batch reached the file.
            if ftruncate(state.fd, off_t(state.size)) != 0 || fdatasync(state.fd) != 0 {
                state.needsSeal = true
                var info = stat()
                if fstat(state.fd, &info) == 0 { state.size = Int(info.st_size) }
            }
            throw failure
        }
        state.size += bytes.count
    }

    /// Ends a torn last line with `\n` so the next alert starts on a line of its own.
    private static func sealIfTorn(_ state: inout State, _ configuration: Configuration) throws(LeakwatchError) {
        var info = stat()
        guard fstat(state.fd, &info) == 0 else {
            throw FileReading.errnoError(.io, "cannot stat the spool", configuration.path)
        }
        state.size = Int(info.st_size)
        guard state.size > 0 else {
            state.needsSeal = false
            return
        }
        let reader = open(configuration.path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard reader >= 0 else { throw FileReading.errnoError(.io, "cannot read the spool", configuration.path) }
        defer { close(reader) }
        var last: UInt8 = 0
        guard pread(reader, &last, 1, off_t(state.size - 1)) == 1 else {
            throw FileReading.errnoError(.io, "cannot read the spool", configuration.path)
        }
        if last != UInt8(ascii: "\n") {
            let newline: [UInt8] = [UInt8(ascii: "\n")]
            guard write(state.fd, newline, 1) == 1, fdatasync(state.fd) == 0 else {
                throw FileReading.errnoError(.io, "cannot seal a torn line in the spool", configuration.path)
            }
            state.size += 1
        }
        state.needsSeal = false
    }

    /// `alerts.jsonl.N-1` -> `.N`, ..., `alerts.jsonl` -> `.1`, then a new `alerts.jsonl`.
    private static func rotate(_ state: inout State, _ configuration: Configuration) throws(LeakwatchError) {
        let base = configuration.path
        if configuration.keep >= 1 {
            for index in stride(from: configuration.keep - 1, through: 1, by: -1) {
                rename("\(base).\(index)", "\(base).\(index + 1)")
            }
            guard rename(base, "\(base).1") == 0 else {
                throw FileReading.errnoError(.io, "cannot rotate the spool", base)
            }
        } else {
            unlink(base)
        }
        let fd = try openSpoolFile(configuration)
        close(state.fd)
        state.fd = fd
        state.size = 0
        syncDirectory(configuration.directory)
    }

    /// Collects the top-level `"id"` of every complete line. Keys are sorted, so the first
    /// `"id":"` of a line is the top-level one (`detected_at` sorts before it and holds none).
    static func collectIDs(in bytes: [UInt8], into ids: inout Set<String>) {
        let needle = Array("\"id\":\"".utf8)
        var lineStart = 0
        while lineStart < bytes.count {
            var lineEnd = lineStart
            while lineEnd < bytes.count, bytes[lineEnd] != UInt8(ascii: "\n") { lineEnd += 1 }
            if lineEnd < bytes.count, let at = firstIndex(of: needle, in: bytes, from: lineStart, to: lineEnd) {
                var end = at + needle.count
                while end < lineEnd, bytes[end] != UInt8(ascii: "\"") { end += 1 }
                if end < lineEnd {
                    ids.insert(String(decoding: bytes[(at + needle.count)..<end], as: UTF8.self))
                }
            }
            lineStart = lineEnd + 1
        }
    }

    private static func firstIndex(of needle: [UInt8], in bytes: [UInt8], from: Int, to: Int) -> Int? {
        guard to - from >= needle.count else { return nil }
        var index = from
        while index <= to - needle.count {
            if bytes[index] == needle[0], Array(bytes[index..<(index + needle.count)]) == needle { return index }
            index += 1
        }
        return nil
    }
}

/// `fsync` on a directory, so renames and creations in it are durable.
public func syncDirectory(_ path: String) {
    let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    guard fd >= 0 else { return }
    fsync(fd)
    close(fd)
}
