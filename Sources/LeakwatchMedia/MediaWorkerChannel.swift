import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A failed exchange with the media worker: the call, errno, and what it means.
public struct MediaWorkerError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        /// The other side closed the connection (the worker died, or the parent went away).
        case closed
        /// The deadline passed first.
        case timedOut
        /// A system call failed.
        case system(call: String, errno: Int32)
        /// The other side sent something that is not a frame of this protocol.
        case malformed(String)
    }

    public var kind: Kind

    public init(_ kind: Kind) {
        self.kind = kind
    }

    public var description: String {
        switch kind {
        case .closed: "the connection closed"
        case .timedOut: "no answer in time"
        case .system(let call, let number): "\(call) failed: \(String(cString: strerror(number))) (errno \(number))"
        case .malformed(let why): "malformed frame: \(why)"
        }
    }
}

/// Frames over the socket between leakwatch and its media worker: a request is a 4-byte
/// big-endian length and a JSON header, then an 8-byte length and the file's bytes; an answer is
/// a 4-byte length and JSON. The parent side waits with a deadline (its descriptor is
/// non-blocking); the worker side blocks.
struct MediaWorkerChannel {
    let fd: Int32
    /// Largest JSON frame accepted.
    static let maxJSONBytes = 64 << 20

    func sendRequest(_ header: [UInt8], payload: [UInt8], deadline: ContinuousClock.Instant?)
        throws(MediaWorkerError)
    {
        var frame = Self.bigEndian(UInt64(header.count), bytes: 4) + header
        frame += Self.bigEndian(UInt64(payload.count), bytes: 8)
        try write(frame, deadline: deadline)
        try write(payload, deadline: deadline)
    }

    func receiveRequest() throws(MediaWorkerError) -> (header: [UInt8], payload: [UInt8]) {
        let header = try receiveJSON(deadline: nil)
        let length = Self.integer(try read(count: 8, deadline: nil))
        guard length <= UInt64(Int.max / 2) else { throw MediaWorkerError(.malformed("payload length \(length)")) }
        return (header, try read(count: Int(length), deadline: nil))
    }

    func sendJSON(_ json: [UInt8], deadline: ContinuousClock.Instant?) throws(MediaWorkerError) {
        try write(Self.bigEndian(UInt64(json.count), bytes: 4) + json, deadline: deadline)
    }

    func receiveJSON(deadline: ContinuousClock.Instant?) throws(MediaWorkerError) -> [UInt8] {
        let length = Int(Self.integer(try read(count: 4, deadline: deadline)))
        guard length <= Self.maxJSONBytes else { throw MediaWorkerError(.malformed("JSON length \(length)")) }
        return try read(count: length, deadline: deadline)
    }

    // MARK: - Bytes

    private func write(_ bytes: [UInt8], deadline: ContinuousClock.Instant?) throws(MediaWorkerError) {
        var written = 0
        while written < bytes.count {
            if let deadline { try wait(for: Int16(POLLOUT), until: deadline) }
            let count = bytes.withUnsafeBytes { raw in
                Glibc.send(fd, raw.baseAddress! + written, raw.count - written, Int32(MSG_NOSIGNAL))
            }
            if count < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                if errno == EPIPE || errno == ECONNRESET { throw MediaWorkerError(.closed) }
                throw MediaWorkerError(.system(call: "send", errno: errno))
            }
            written += count
        }
    }

    private func read(count: Int, deadline: ContinuousClock.Instant?) throws(MediaWorkerError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            if let deadline { try wait(for: Int16(POLLIN), until: deadline) }
            let got = bytes.withUnsafeMutableBytes { raw in Glibc.read(fd, raw.baseAddress! + filled, count - filled) }
            if got < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                if errno == ECONNRESET { throw MediaWorkerError(.closed) }
                throw MediaWorkerError(.system(call: "read", errno: errno))
            }
            if got == 0 { throw MediaWorkerError(.closed) }
            filled += got
        }
        return bytes
    }

    /// Waits until the descriptor is ready for `events` or the deadline passes.
    private func wait(for events: Int16, until deadline: ContinuousClock.Instant) throws(MediaWorkerError) {
        while true {
            let remaining = deadline - ContinuousClock.now
            guard remaining > .zero else { throw MediaWorkerError(.timedOut) }
            let (seconds, attoseconds) = remaining.components
            let milliseconds = Int32(clamping: seconds * 1000 + attoseconds / 1_000_000_000_000_000 + 1)
            var descriptor = pollfd(fd: fd, events: events, revents: 0)
            let ready = poll(&descriptor, 1, milliseconds)
            if ready < 0 {
                if errno == EINTR { continue }
                throw MediaWorkerError(.system(call: "poll", errno: errno))
            }
            if ready > 0 { return }
        }
    }

    static func bigEndian(_ value: UInt64, bytes count: Int) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: value >> UInt64(8 * (count - 1 - $0))) }
    }

    static func integer(_ bytes: [UInt8]) -> UInt64 {
        bytes.reduce(0) { $0 << 8 | UInt64($1) }
    }
}
