import LeakwatchCore
import LeakwatchScan
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Watches the drop directory with inotify and feeds names to the queue.
///
/// `IN_CLOSE_WRITE` (a file written in place is complete) and `IN_MOVED_TO` (renamed in) queue
/// the name; `IN_CREATE` queues only entries that will never be closed after writing (symlinks,
/// FIFOs, directories, hard links), so they are quarantined at once. The directory is rescanned
/// at start (after the watch is armed, so nothing falls between) and on `IN_Q_OVERFLOW` or a
/// full queue. Subdirectories are not followed.
///
/// One owner of the inotify descriptor: closed in `deinit`. `@unchecked Sendable`: the
/// descriptor is only read by the one thread running `run`; `stop` only flips an atomic flag.
public final class DropDirectoryWatcher: @unchecked Sendable {
    public let directory: String
    private let queue: FileQueue
    private let status: DaemonStatus
    private let fd: Int32
    private let stopped = Atomic<Bool>(false)

    /// Arms the watch (`inotify_init1`, `inotify_add_watch`).
    public init(directory: String, queue: FileQueue, status: DaemonStatus) throws(LeakwatchError) {
        self.directory = directory
        self.queue = queue
        self.status = status
        fd = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        guard fd >= 0 else { throw FileReading.errnoError(.io, "inotify_init1 failed", directory) }
        let mask = UInt32(IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_ONLYDIR | IN_DELETE_SELF | IN_MOVE_SELF)
        guard inotify_add_watch(fd, directory, mask) >= 0 else {
            let error = FileReading.errnoError(.io, "cannot watch the drop directory", directory)
            close(fd)
            throw error
        }
    }

    deinit { close(fd) }

    /// Queues every entry now in the directory.
    public func rescan() {
        guard let names = try? FileReading.listDirectory(directory) else { return }
        for name in names where !ExportProcessor.isIgnored(name) {
            queue.enqueue(.dropped(name))
        }
    }

    /// Asks `run` to return within a poll interval.
    public func stop() { stopped.store(true, ordering: .relaxed) }

    /// Reads events until `stop`. Blocking: run it on a thread of its own.
    public func run() {
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        rescan()
        while !stopped.load(ordering: .relaxed) {
            status.watcherAlive()
            if queue.takeOverflow() { rescan() }
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, 250)
            guard ready > 0 else { continue }
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            guard count > 0 else { continue }
            handleEvents(buffer, count: count)
        }
    }

    private func handleEvents(_ buffer: [UInt8], count: Int) {
        var offset = 0
        let headerSize = MemoryLayout<inotify_event>.size
        while offset + headerSize <= count {
            let (mask, nameLength) = buffer.withUnsafeBytes { raw in
                let event = raw.loadUnaligned(fromByteOffset: offset, as: inotify_event.self)
                return (event.mask, Int(event.len))
            }
            let nameBytes = buffer[(offset + headerSize)..<min(count, offset + headerSize + nameLength)]
            let name = String(decoding: nameBytes.prefix { $0 != 0 }, as: UTF8.self)
            offset += headerSize + nameLength

            if mask & UInt32(IN_Q_OVERFLOW) != 0 {
                rescan()
                continue
            }
            guard !name.isEmpty, !ExportProcessor.isIgnored(name) else { continue }
            if mask & UInt32(IN_CLOSE_WRITE | IN_MOVED_TO) != 0 {
                queue.enqueue(.dropped(name))
            } else if mask & UInt32(IN_CREATE) != 0 {
                var info = stat()
                if lstat(directory + "/" + name, &info) == 0, ExportProcessor.unsafeReason(info) != nil {
                    queue.enqueue(.dropped(name))
                }
            }
        }
    }
}
