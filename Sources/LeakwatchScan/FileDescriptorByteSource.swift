import LeakwatchCore

#if canImport(Glibc)
    import Glibc
#endif

/// An `ExportByteSource` over an open descriptor of a regular file, read with `pread` from its
/// start (the descriptor's own offset is left alone). Does not own the descriptor: the caller
/// opens, checks (`fstat`) and closes it.
public struct FileDescriptorByteSource: ExportByteSource {
    public let fd: Int32
    /// Reported in errors.
    public let path: String
    private var offset: off_t = 0

    public init(fd: Int32, path: String) {
        self.fd = fd
        self.path = path
    }

    public mutating func read(maxBytes: Int) throws(LeakwatchError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: max(1, maxBytes))
        var count = 0
        while true {
            count = bytes.withUnsafeMutableBytes { raw in pread(fd, raw.baseAddress, raw.count, offset) }
            if count >= 0 { break }
            if errno != EINTR { throw FileReading.errnoError(.unreadable, "read failed", path) }
        }
        bytes.removeLast(bytes.count - count)
        offset += off_t(count)
        return bytes
    }

    public mutating func rewind() throws(LeakwatchError) {
        offset = 0
    }
}
