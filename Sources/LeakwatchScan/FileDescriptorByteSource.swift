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
        var failure: PosixError?
        let offset = offset
        let file = file
        // Not zeroed first: `pread` fills what is kept.
        let bytes = [UInt8](unsafeUninitializedCapacity: max(1, maxBytes)) { buffer, count in
            do throws(PosixError) {
                count = try file.read(into: UnsafeMutableRawBufferPointer(buffer), at: offset)
            } catch {
                failure = error
                count = 0
            }
        }
        if let failure { throw LeakwatchError(.unreadable, "read failed", failure) }
        self.offset += bytes.count
        return bytes
    }

    public mutating func rewind() throws(LeakwatchError) {
        offset = 0
    }

    /// The file's size now, from `fstat`.
    public var byteCount: Int? { try? file.status().size }
}
