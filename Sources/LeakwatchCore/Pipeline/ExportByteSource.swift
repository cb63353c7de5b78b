/// Where a streamed scan reads a file's bytes from. The engine does no I/O of its own: the caller
/// supplies a source (a file descriptor, an in-memory buffer in tests) and the scan pulls from it.
public protocol ExportByteSource {
    /// The next bytes of the file, at most `maxBytes` of them (fewer is fine); empty at the end.
    mutating func read(maxBytes: Int) throws(LeakwatchError) -> [UInt8]
    /// Starts over from the first byte (a streamed scan reads the file twice).
    mutating func rewind() throws(LeakwatchError)
    /// The size of the whole file when the source knows it without reading (`fstat`), so that a
    /// file too large to be read whole is refused before a byte of it is held.
    var byteCount: Int? { get }
}

extension ExportByteSource {
    public var byteCount: Int? { nil }
}

/// An `ExportByteSource` over bytes already in memory, handed out `maxBytes` at a time (tests,
/// and small files).
public struct MemoryByteSource: ExportByteSource, Sendable {
    public let bytes: [UInt8]
    public private(set) var offset = 0

    public init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    public mutating func read(maxBytes: Int) throws(LeakwatchError) -> [UInt8] {
        let end = min(bytes.count, offset + max(1, maxBytes))
        defer { offset = end }
        return Array(bytes[offset..<end])
    }

    public mutating func rewind() throws(LeakwatchError) {
        offset = 0
    }

    public var byteCount: Int? { bytes.count }
}
