#if canImport(Glibc)
    import Glibc
#endif

/// An inotify instance with one owner: its descriptor is closed in `deinit`. Not `Sendable`:
/// one thread reads it.
public final class Inotify {
    /// Event kinds (`IN_*`).
    public struct Mask: OptionSet, Sendable, Hashable {
        public let rawValue: UInt32
        public init(rawValue: UInt32) { self.rawValue = rawValue }

        public static let closeWrite = Mask(rawValue: UInt32(IN_CLOSE_WRITE))
        public static let movedTo = Mask(rawValue: UInt32(IN_MOVED_TO))
        public static let create = Mask(rawValue: UInt32(IN_CREATE))
        public static let deleteSelf = Mask(rawValue: UInt32(IN_DELETE_SELF))
        public static let moveSelf = Mask(rawValue: UInt32(IN_MOVE_SELF))
        /// The watch was removed (explicitly, or because its directory is gone).
        public static let ignored = Mask(rawValue: UInt32(IN_IGNORED))
        public static let unmount = Mask(rawValue: UInt32(IN_UNMOUNT))
        /// Events were lost: the kernel queue overflowed.
        public static let queueOverflow = Mask(rawValue: UInt32(IN_Q_OVERFLOW))
        public static let onlyDirectory = Mask(rawValue: UInt32(IN_ONLYDIR))
        public static let isDirectory = Mask(rawValue: UInt32(IN_ISDIR))
    }

    public struct Event: Sendable, Hashable {
        public var watch: Int32
        public var mask: Mask
        /// The entry concerned, for events on a directory's entries.
        public var name: FileName?
    }

    private let fd: Int32
    private var buffer = [UInt8](repeating: 0, count: 64 * 1024)

    public init() throws(PosixError) {
        fd = try Posix.retrying("inotify_init1", nil) { inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC)) }
    }

    deinit { close(fd) }

    /// Watches `path`; returns the watch descriptor.
    public func addWatch(_ path: SystemPath, _ mask: Mask) throws(PosixError) -> Int32 {
        try Posix.retrying("inotify_add_watch", path) {
            path.withCString { inotify_add_watch(fd, $0, mask.rawValue) }
        }
    }

    /// Stops a watch; one that is already gone is fine.
    public func removeWatch(_ watch: Int32) {
        _ = inotify_rm_watch(fd, watch)
    }

    /// Waits up to `milliseconds` for events; true when some are ready.
    public func wait(milliseconds: Int32) throws(PosixError) -> Bool {
        var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let ready = poll(&poller, 1, milliseconds)
        if ready < 0 {
            if Glibc.errno == EINTR { return false }
            throw PosixError(call: "poll", path: nil, errno: Glibc.errno)
        }
        return ready > 0
    }

    /// The events ready now (empty when none).
    public func readEvents() throws(PosixError) -> [Event] {
        let count: Int
        do throws(PosixError) {
            count = try buffer.withUnsafeMutableBytes { raw in
                Result { () throws(PosixError) in
                    try Posix.retrying("read", nil) { read(fd, raw.baseAddress, raw.count) }
                }
            }.get()
        } catch let error where error.errno == EAGAIN {
            return []
        }
        var events: [Event] = []
        var offset = 0
        let headerSize = MemoryLayout<inotify_event>.size
        while offset + headerSize <= count {
            let (watch, mask, nameLength) = buffer.withUnsafeBytes { raw in
                let event = raw.loadUnaligned(fromByteOffset: offset, as: inotify_event.self)
                return (event.wd, event.mask, Int(event.len))
            }
            let nameBytes = buffer[(offset + headerSize)..<min(count, offset + headerSize + nameLength)]
                .prefix { $0 != 0 }
            events.append(
                Event(
                    watch: watch, mask: Mask(rawValue: mask),
                    name: nameBytes.isEmpty ? nil : FileName(bytes: nameBytes)))
            offset += headerSize + nameLength
        }
        return events
    }
}
