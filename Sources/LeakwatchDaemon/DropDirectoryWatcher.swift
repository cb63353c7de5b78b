import LeakwatchCore
import LeakwatchOutputs
import LeakwatchScan
import Posix
import Synchronization

/// Watches the drop directory with inotify and feeds names to the queue.
///
/// `IN_CLOSE_WRITE` (a file written in place is complete) and `IN_MOVED_TO` (renamed in) queue
/// the name; `IN_CREATE` queues only entries that will never be closed after writing (symlinks,
/// FIFOs, directories, hard links), so they are quarantined at once. The directory is rescanned
/// at start (after the watch is armed, so nothing falls between) and on `IN_Q_OVERFLOW` or a
/// full queue. Subdirectories are not followed.
///
/// When the drop directory itself goes (`IN_DELETE_SELF`, `IN_MOVE_SELF`, `IN_IGNORED`, or a
/// periodic check finds another directory under its name), the gap is reported in `STATUS=` and
/// the journal, and the watch is re-armed as soon as a directory is there again (then rescanned).
///
/// Exports left in `work/` by an earlier run are fed to the queue as it has room, so none waits
/// for another restart however many there are.
///
/// `@unchecked Sendable`: the inotify instance and the watch state are only used by the one
/// thread running `run`; `stop` only flips an atomic flag.
public final class DropDirectoryWatcher: @unchecked Sendable {
    public let directory: SystemPath
    private let queue: FileQueue
    private let status: DaemonStatus
    private let events: EventLog
    private let inotify: Inotify
    private let stopped = Atomic<Bool>(false)
    /// The current watch and the directory it is on; nil while the directory is gone.
    private var watch: (descriptor: Int32, directory: FileStatus)?
    private var goneSince: ContinuousClock.Instant?
    private var lastCheck = ContinuousClock.now
    /// Leftovers from `work/` not yet queued, in order.
    private var recovered: [FileName]

    static let mask: Inotify.Mask = [
        .closeWrite, .movedTo, .create, .onlyDirectory, .deleteSelf, .moveSelf, .unmount,
    ]

    /// Arms the watch. `recovered` are the names left in `work/`, queued before anything new.
    public init(
        directory: SystemPath, queue: FileQueue, status: DaemonStatus, events: EventLog, recovered: [FileName] = []
    ) throws(LeakwatchError) {
        self.directory = directory
        self.queue = queue
        self.status = status
        self.events = events
        self.recovered = recovered.reversed()
        do throws(PosixError) {
            inotify = try Inotify()
            watch = try arm()
        } catch {
            throw LeakwatchError(.io, "cannot watch the drop directory", error)
        }
        feedRecovered()
    }

    private func arm() throws(PosixError) -> (descriptor: Int32, directory: FileStatus) {
        let descriptor = try inotify.addWatch(directory, Self.mask)
        return (descriptor, try Posix.status(directory))
    }

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
        rescan()
        while !stopped.load(ordering: .relaxed) {
            status.watcherAlive()
            feedRecovered()
            if queue.takeOverflow() { rescan() }
            if watch == nil {
                rearmIfBack()
            } else if ContinuousClock.now - lastCheck > .seconds(1) {
                checkDirectoryIsStillThere()
            }
            guard (try? inotify.wait(milliseconds: 250)) == true else { continue }
            guard let ready = try? inotify.readEvents() else { continue }
            handle(ready)
        }
    }

    /// Offers the `work/` leftovers to the queue while it has room.
    private func feedRecovered() {
        while let name = recovered.last, queue.offer(.recovered(name)) {
            recovered.removeLast()
        }
    }

    private func handle(_ ready: [Inotify.Event]) {
        for event in ready {
            if event.mask.contains(.queueOverflow) {
                rescan()
                continue
            }
            guard let current = watch, event.watch == current.descriptor else { continue }  // an old watch
            if !event.mask.isDisjoint(with: [.deleteSelf, .moveSelf, .ignored, .unmount]) {
                lost(event.mask.contains(.moveSelf) ? "moved away" : "deleted")
                continue
            }
            guard let name = event.name, !ExportProcessor.isIgnored(name) else { continue }
            if !event.mask.isDisjoint(with: [.closeWrite, .movedTo]) {
                queue.enqueue(.dropped(name))
            } else if event.mask.contains(.create) {
                if let info = try? Posix.status(directory.appending(name), followSymlinks: false),
                    ExportProcessor.unsafeReason(info) != nil
                {
                    queue.enqueue(.dropped(name))
                }
            }
        }
    }

    /// The watch is on a directory that is no longer the drop directory (replaced between two
    /// events, or gone without an event reaching us).
    private func checkDirectoryIsStillThere() {
        lastCheck = .now
        guard let current = watch else { return }
        let now = try? Posix.statusIfPresent(directory)
        guard let now, now.kind == .directory, now.isSameFile(as: current.directory) else {
            lost(now == nil ? "deleted" : "replaced")
            return
        }
    }

    private func lost(_ how: String) {
        if let current = watch { inotify.removeWatch(current.descriptor) }
        watch = nil
        goneSince = .now
        let message = "the drop directory \(directory.escaped) was \(how); no export is taken until it is back"
        status.recordDropDirectory(gone: message)
        events.log(DaemonEvent(.dropDirectoryLost, message, fields: ["DROP_DIR": directory.escaped]))
        rearmIfBack()
    }

    private func rearmIfBack() {
        guard let info = try? Posix.statusIfPresent(directory), info.kind == .directory,
            let armed = try? arm()
        else { return }
        watch = armed
        lastCheck = .now
        let gap = goneSince.map { ContinuousClock.now - $0 } ?? .zero
        goneSince = nil
        let seconds = Double(gap.components.seconds) + Double(gap.components.attoseconds) / 1e18
        let message =
            "the drop directory \(directory.escaped) is back after \(Int(seconds.rounded(.up))) s; watching it again"
        status.recordDropDirectory(gone: nil)
        events.log(
            DaemonEvent(
                .dropDirectoryRearmed, message,
                fields: ["DROP_DIR": directory.escaped, "GAP_SECONDS": String(Int(seconds.rounded(.up)))]))
        // Whatever was dropped into it meanwhile.
        rescan()
    }
}
