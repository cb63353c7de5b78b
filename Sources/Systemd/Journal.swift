import CSystemd

#if canImport(Glibc)
    import Glibc
#endif

/// Writes structured entries to the systemd journal.
///
/// `sd_journal_sendv` keeps one process-wide datagram socket that libsystemd opens lazily and
/// guards itself; it is documented as thread-safe, so this type holds no state of its own.
public enum Journal {
    /// Where journald listens for native entries.
    public static let socketPath = "/run/systemd/journal/socket"

    /// Sends one entry with `sd_journal_sendv`, one `iovec` per `KEY=value` field (explicit
    /// lengths, so values may hold newlines). Fields with names journald would drop are skipped.
    ///
    /// - Returns: 0 on success or a negative errno (for example `-ECONNREFUSED` when no journald
    ///   is listening).
    @discardableResult
    public static func send(_ fields: [JournalField]) -> Int32 {
        // sd_journal_sendv returns 0 ("fail silently") when the socket does not exist at all;
        // say so, so the caller can tell the journal is not there.
        guard access(socketPath, F_OK) == 0 else { return -ENOENT }
        var buffers: [[UInt8]] = []
        buffers.reserveCapacity(fields.count)
        for field in fields where JournalField.isValidName(field.name) {
            buffers.append(Array(field.name.utf8) + [UInt8(ascii: "=")] + Array(field.value.utf8))
        }
        return sendBuffers(buffers, index: 0, vectors: [])
    }

    /// Pins each buffer in turn, then calls `sd_journal_sendv` with all of them.
    private static func sendBuffers(_ buffers: [[UInt8]], index: Int, vectors: [iovec]) -> Int32 {
        if index == buffers.count {
            return vectors.withUnsafeBufferPointer { pointer in
                sd_journal_sendv(pointer.baseAddress, Int32(pointer.count))
            }
        }
        return buffers[index].withUnsafeBytes { raw in
            var next = vectors
            next.append(iovec(iov_base: UnsafeMutableRawPointer(mutating: raw.baseAddress), iov_len: raw.count))
            return sendBuffers(buffers, index: index + 1, vectors: next)
        }
    }
}
