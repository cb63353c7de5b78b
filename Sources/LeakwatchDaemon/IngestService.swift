import LeakwatchCore
import LeakwatchOutputs
import Posix
import ServiceLifecycle

/// The drop-directory watcher and N workers over a bounded queue.
///
/// On graceful shutdown the queue closes and the watcher stops: no new files are taken, and the
/// file each worker holds is finished (or, past the group's shutdown timeout, abandoned in
/// `work/`, to be redone at the next start).
struct IngestService: Service {
    let processor: ExportProcessor
    let queue: FileQueue
    let watcher: DropDirectoryWatcher
    let workers: Int
    let status: DaemonStatus
    let events: EventLog

    func run() async throws {
        let queue = queue
        let watcher = watcher
        await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    _ = await BlockingWork.run(name: "leakwatch-inotify") { watcher.run() }
                }
                for worker in 0..<workers {
                    group.addTask { await work(as: worker) }
                }
            }
        } onGracefulShutdown: {
            queue.close()
            watcher.stop()
        }
    }

    /// One worker: takes items until the queue closes, with its own match scratch.
    private func work(as worker: Int) async {
        guard
            let scratch = try? ScratchBox(
                MatchScratch(budget: ScanBudget(time: .seconds(processor.configuration.timeBudgetSeconds))))
        else {
            events.log(DaemonEvent(.error, "worker \(worker): PCRE2 could not allocate match data"))
            return
        }
        while let item = await queue.next() {
            status.workerStarted(worker)
            var outcome = await BlockingWork.run(name: "leakwatch-worker-\(worker)") {
                // The metrics, at most once a second (the control service writes what is held back).
                defer { processor.metrics.writeIfDue() }
                return processor.process(item, scratch: scratch.value)
            }
            var delay = Duration.seconds(1)
            var reported = false
            // A step failed (a full disk under the spool or the state directory): the export stays
            // where it is and is retried until it goes through; this worker takes no other file
            // meanwhile, and STATUS says PAUSED.
            while case .retryLater(let retried, let error)? = outcome {
                status.workerIdle(worker)
                let name: String
                switch retried {
                case .dropped(let dropped): name = dropped.escaped
                case .recovered(let recovered): name = recovered.escaped
                }
                status.recordPaused(worker: worker, "cannot go on with \(name): \(error); retrying")
                if !reported {
                    events.log(
                        DaemonEvent(
                            .error, "cannot go on with \(name), keeping it and retrying: \(error)",
                            fields: ["FILE": name]))
                    reported = true
                }
                do {
                    try await Task.sleep(for: delay)
                } catch {
                    return
                }
                if Task.isShuttingDownGracefully { return }
                delay = min(delay * 2, .seconds(30))
                status.workerStarted(worker)
                outcome = await BlockingWork.run(name: "leakwatch-worker-\(worker)") {
                    defer { processor.metrics.writeIfDue() }
                    return processor.process(retried, scratch: scratch.value)
                }
            }
            if reported { status.recordPaused(worker: worker, nil) }
            // What a large export took goes back to the kernel now, not at exit.
            ProcessMemory.releaseFreeMemory()
            status.workerIdle(worker)
        }
    }
}

/// A worker's `MatchScratch`, handed to the thread that runs its current file.
///
/// `@unchecked Sendable`: one worker owns it and awaits each use before the next, so it is
/// never used by two threads at once.
final class ScratchBox: @unchecked Sendable {
    let value: MatchScratch
    init(_ value: MatchScratch) { self.value = value }
}
