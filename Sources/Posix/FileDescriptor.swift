#if canImport(Glibc)
    import Glibc
#endif

/// An open file descriptor with one owner: closed when the last reference goes. Every call
/// retries `EINTR` and throws a `PosixError` naming the call, the path it was opened from and
/// `errno`.
///
/// Immutable, so `Sendable`; but a descriptor has one file offset: share it across threads only
/// for offset-free calls (`pread`, `fsync`, `fstat`, appends).
public final class FileDescriptor: Sendable {
    public let rawValue: Int32
    /// The path it was opened from (for errors).
    public let path: SystemPath

    init(rawValue: Int32, path: SystemPath) {
        self.rawValue = rawValue
        self.path = path
    }

    deinit {
        // Not retried on EINTR: on Linux the descriptor is released either way.
        Glibc.close(rawValue)
    }

    /// Reads at most `buffer.count` bytes at the file offset; 0 at the end.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(PosixError) -> Int {
        try Posix.retrying("read", path) { Glibc.read(rawValue, buffer.baseAddress, buffer.count) }
    }

    /// Reads at most `count` bytes at `offset` (the file offset is left alone); 0 at the end.
    public func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) throws(PosixError) -> Int {
        try Posix.retrying("pread", path) { Glibc.pread(rawValue, buffer.baseAddress, buffer.count, off_t(offset)) }
    }

    /// Up to `count` bytes from `offset` (fewer at the end of the file).
    public func read(upTo count: Int, at offset: Int) throws(PosixError) -> [UInt8] {
        var failure: PosixError?
        // Not zeroed first: only what `pread` filled is kept.
        let bytes = [UInt8](unsafeUninitializedCapacity: max(1, count)) { buffer, filled in
            filled = 0
            let raw = UnsafeMutableRawBufferPointer(buffer)
            while filled < count {
                do throws(PosixError) {
                    let got = try read(
                        into: UnsafeMutableRawBufferPointer(rebasing: raw[filled..<count]), at: offset + filled)
                    if got == 0 { break }
                    filled += got
                } catch {
                    failure = error
                    break
                }
            }
        }
        if let failure { throw failure }
        return bytes
    }

    /// The whole regular file from its start, refusing one larger than `limit` bytes (by its
    /// `fstat` size, before reading).
    public func readAll(limit: Int = .max) throws(PosixError) -> [UInt8] {
        let size = try status().size
        guard size <= limit else { throw PosixError(call: "read", path: path, errno: EFBIG) }
        var bytes = [UInt8](repeating: 0, count: size)
        var filled = 0
        while filled < size {
            let got = try bytes.withUnsafeMutableBytes { raw in
                Result { () throws(PosixError) in
                    try read(into: UnsafeMutableRawBufferPointer(rebasing: raw[filled...]), at: filled)
                }
            }.get()
            if got == 0 { break }  // Shrunk while reading: keep what was there.
            filled += got
        }
        bytes.removeLast(size - filled)
        return bytes
    }

    /// Writes every byte (a short write is continued; `EINTR` retried).
    public func writeAll(_ bytes: UnsafeRawBufferPointer) throws(PosixError) {
        var written = 0
        while written < bytes.count {
            written += try Posix.retrying("write", path) {
                Glibc.write(rawValue, bytes.baseAddress! + written, bytes.count - written)
            }
        }
    }

    public func writeAll(_ bytes: [UInt8]) throws(PosixError) {
        try bytes.withUnsafeBytes { raw in Result { () throws(PosixError) in try writeAll(raw) } }.get()
    }

    /// Appends the whole content of `input` (from its start), in blocks of 1 MiB: a file may be
    /// gigabytes.
    public func copyContents(of input: FileDescriptor) throws(PosixError) {
        var offset = 0
        var block = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let count = try block.withUnsafeMutableBytes { raw in
                Result { () throws(PosixError) in try input.read(into: raw, at: offset) }
            }.get()
            if count == 0 { return }
            try block.withUnsafeBytes { raw in
                Result { () throws(PosixError) in try writeAll(UnsafeRawBufferPointer(rebasing: raw[..<count])) }
            }.get()
            offset += count
        }
    }

    /// `fsync`: data and metadata on disk.
    public func sync() throws(PosixError) {
        _ = try Posix.retrying("fsync", path) { fsync(rawValue) }
    }

    /// `fdatasync`: data (and the size) on disk.
    public func syncData() throws(PosixError) {
        _ = try Posix.retrying("fdatasync", path) { fdatasync(rawValue) }
    }

    public func truncate(to size: Int) throws(PosixError) {
        _ = try Posix.retrying("ftruncate", path) { ftruncate(rawValue, off_t(size)) }
    }

    public func status() throws(PosixError) -> FileStatus {
        var info = stat()
        _ = try Posix.retrying("fstat", path) { fstat(rawValue, &info) }
        return FileStatus(info)
    }

    /// `fchmod`: sets the permission bits exactly (whatever the umask did at creation).
    public func setPermissions(_ mode: UInt32) throws(PosixError) {
        _ = try Posix.retrying("fchmod", path) { fchmod(rawValue, mode_t(mode)) }
    }
}
