import Synchronization

/// Counters and health for `STATUS=` and the watchdog. Every worker and the watcher report here.
public final class DaemonStatus: Sendable {
    /// What a "last error" was about, so that it is cleared once that problem is over (the disk
    /// has room again, a later reload was good, the drop directory is back).
    public enum Concern: Sendable, Hashable {
        case delivery, reload, dropDirectory, quarantine, other
    }

    private struct State {
        var filesProcessed = 0
        var alerts = 0
        var quarantined = 0
        var lastError: (concern: Concern, message: String)?
        var ruleCount = 0
        var ruleRevision = ""
        /// Per worker: when its current file started, nil when idle.
        var busySince: [ContinuousClock.Instant?] = []
        var watcherBeat = ContinuousClock.now
        /// Per worker: why its export is waiting (a full disk), nil when it is not.
        var paused: [String?] = []
        /// Since when the drop directory is gone (deleted or moved away), and what was said.
        var dropDirectoryGone: String?
    }

    private let state: Mutex<State>

    public init(workers: Int) {
        var initial = State()
        initial.busySince = Array(repeating: nil, count: workers)
        initial.paused = Array(repeating: nil, count: workers)
        state = Mutex(initial)
    }

    func recordFile(alerts: Int) {
        state.withLock {
            $0.filesProcessed += 1
            $0.alerts += alerts
        }
    }

    func recordQuarantine(reason: String) {
        state.withLock {
            $0.quarantined += 1
            $0.lastError = (.quarantine, "quarantined " + reason)
        }
    }

    /// Records an error as the last one.
    public func recordError(_ message: String, concern: Concern = .other) {
        state.withLock { $0.lastError = (concern, message) }
    }

    /// Clears the last error if it was about `concern` (that problem is over).
    public func resolve(_ concern: Concern) {
        state.withLock { state in
            if state.lastError?.concern == concern { state.lastError = nil }
        }
    }

    /// A worker's export cannot go on (claim or delivery failed: a full disk, say) and waits;
    /// nil once it went through.
    func recordPaused(worker: Int, _ message: String?) {
        state.withLock { state in
            state.paused[worker] = message
            if let message {
                state.lastError = (.delivery, message)
            } else if !state.paused.contains(where: { $0 != nil }), state.lastError?.concern == .delivery {
                state.lastError = nil
            }
        }
    }

    func recordDropDirectory(gone message: String?) {
        state.withLock { state in
            state.dropDirectoryGone = message
            if let message {
                state.lastError = (.dropDirectory, message)
            } else if state.lastError?.concern == .dropDirectory {
                state.lastError = nil
            }
        }
    }

    func recordRules(count: Int, revision: String) {
        state.withLock {
            $0.ruleCount = count
            $0.ruleRevision = revision
        }
    }

    func workerStarted(_ worker: Int) {
        state.withLock { $0.busySince[worker] = .now }
    }

    func workerIdle(_ worker: Int) {
        state.withLock { $0.busySince[worker] = nil }
    }

    func watcherAlive() {
        state.withLock { $0.watcherBeat = .now }
    }

    /// Healthy when the watcher loop has turned recently and no worker has been on one file for
    /// longer than `maximumBusy` (the per-file budget plus slack): a stuck loop stops the pings.
    func isHealthy(maximumBusy: Duration) -> Bool {
        let now = ContinuousClock.now
        return state.withLock { state in
            now - state.watcherBeat < .seconds(10)
                && state.busySince.allSatisfy { since in since.map { now - $0 < maximumBusy } ?? true }
        }
    }

    /// One line for `STATUS=`.
    func line(queue: Int) -> String {
        state.withLock { state in
            var parts = [
                "\(state.filesProcessed) files processed", "\(state.alerts) alerts", "\(state.quarantined) quarantined",
                "queue \(queue)", "\(state.ruleCount) rules (\(state.ruleRevision))",
            ]
            if let gone = state.dropDirectoryGone { parts.append("WAITING: \(gone)") }
            if let paused = state.paused.compactMap({ $0 }).first { parts.append("PAUSED: \(paused)") }
            parts.append("last error: \(state.lastError?.message ?? "none")")
            return parts.joined(separator: "; ")
        }
    }
}
