import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A temporary file that records are appended to and later read back in order: where data that
/// would otherwise grow in memory with the input (a streamed export's alerts) waits on disk.
///
/// The file is unlinked as soon as it is created, so it goes away with its descriptor (when the
/// object is freed, or the process dies) and no other process can open it by name. Records are
/// framed by a 4-byte little-endian length, and written 1 MiB at a time.
public final class SpillFile: Sendable {
    private let file: FileDescriptor
    /// The directory the file was made in (for errors).
    public let directory: SystemPath
    private let state = Mutex(State())

    private struct State {
        var pending: [UInt8] = []
        var written = 0
        var count = 0
    }

    /// Writes are gathered up to this many bytes.
    static let writeBytes = 1 << 20

    /// `$TMPDIR` when set, else `/var/tmp` (on disk where `/tmp` may be memory).
    public static var defaultDirectory: SystemPath {
        if let directory = Posix.environment("TMPDIR"), !directory.isEmpty { return SystemPath(directory) }
        return SystemPath("/var/tmp")
    }

    /// Creates the file in `directory`, readable by its owner only, and unlinks it.
    public init(directory: SystemPath = SpillFile.defaultDirectory) throws(PosixError) {
        self.directory = directory
        self.file = try Self.createUnlinked(in: directory)
    }

    /// Creates a file with a fresh random name in `directory` and unlinks it.
    private static func createUnlinked(in directory: SystemPath) throws(PosixError) -> FileDescriptor {
        var attempt = 0
        while true {
            let name = "leakwatch-spill-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
            let path = SystemPath(directory.escaped + "/" + name)
            do throws(PosixError) {
                let file = try Posix.open(path, [.readWrite, .create, .exclusive, .noFollow], permissions: 0o600)
                try Posix.unlink(path)
                return file
            } catch {
                attempt += 1
                if !error.isAlreadyExisting || attempt >= 8 { throw error }
            }
        }
    }

    /// Records appended so far.
    public var count: Int { state.withLock { $0.count } }

    /// Appends one record.
    public func append(_ record: [UInt8]) throws(PosixError) {
        try state.withLock { state throws(PosixError) in
            let length = UInt32(truncatingIfNeeded: record.count)
            if state.pending.capacity < Self.writeBytes { state.pending.reserveCapacity(Self.writeBytes) }
            for shift in stride(from: 0, to: 32, by: 8) {
                state.pending.append(UInt8(truncatingIfNeeded: length >> shift))
            }
            state.pending += record
            state.count += 1
            if state.pending.count >= Self.writeBytes { try flush(&state) }
        }
    }

    private func flush(_ state: inout State) throws(PosixError) {
        guard !state.pending.isEmpty else { return }
        try file.writeAll(state.pending)
        state.written += state.pending.count
        state.pending.removeAll(keepingCapacity: true)
    }

    /// Reads the records back from the first, in order. Appending more meanwhile is allowed: the
    /// reader sees the records appended before it was made.
    public func records() throws(PosixError) -> Reader {
        let end = try state.withLock { state throws(PosixError) -> Int in
            try flush(&state)
            return state.written
        }
        return Reader(file: file, end: end)
    }

    /// Reads a spill file's records in order, 1 MiB at a time.
    public struct Reader {
        let file: FileDescriptor
        let end: Int
        private var offset = 0
        private var buffer: [UInt8] = []
        private var position = 0

        init(file: FileDescriptor, end: Int) {
            self.file = file
            self.end = end
        }

        /// The next record, or nil after the last.
        public mutating func next() throws(PosixError) -> [UInt8]? {
            guard try fill(4) else { return nil }
            var length = 0
            for index in 0..<4 { length |= Int(buffer[position + index]) << (8 * index) }
            position += 4
            guard try fill(length) else {
                // A record cut short: only a file changed under us could do that.
                throw PosixError(call: "read", path: nil, errno: EIO)
            }
            defer { position += length }
            return Array(buffer[position..<(position + length)])
        }

        /// Makes `count` bytes available at `position`; false at the end of the file.
        private mutating func fill(_ count: Int) throws(PosixError) -> Bool {
            if buffer.count - position >= count { return true }
            buffer.removeFirst(position)
            position = 0
            while buffer.count < count && offset < end {
                let chunk = try file.read(
                    upTo: min(max(SpillFile.writeBytes, count - buffer.count), end - offset), at: offset)
                if chunk.isEmpty { break }
                offset += chunk.count
                buffer += chunk
            }
            return buffer.count >= count
        }
    }
}
