import LeakwatchCore
import Posix

/// An `ExportByteSource` over an open regular file, read with `pread` from its start (the
/// descriptor's own offset is left alone). Shares the caller's descriptor, which checked it
/// (`fstat`) before.
public struct FileDescriptorByteSource: ExportByteSource {
    public let file: FileDescriptor
    private var offset = 0

    public init(_ file: FileDescriptor) {
        self.file = file
    }

    public mutating func read(maxBytes: Int) throws(LeakwatchError) -> [UInt8] {
        let bytes: [UInt8]
        do throws(PosixError) {
            bytes = try file.read(upTo: max(1, maxBytes), at: offset)
        } catch {
            throw LeakwatchError(.unreadable, "read failed", error)
        }
        offset += bytes.count
        return bytes
    }

    public mutating func rewind() throws(LeakwatchError) {
        offset = 0
    }

    /// The file's size now, from `fstat`.
    public var byteCount: Int? { try? file.status().size }
}
