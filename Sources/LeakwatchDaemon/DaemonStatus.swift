import Synchronization

/// Counters and health for `STATUS=` and the watchdog. Every worker and the watcher report here.
public final class DaemonStatus: Sendable {
    private struct State {
        var filesProcessed = 0
        var alerts = 0
        var quarantined = 0
        var lastError: String?
        var ruleCount = 0
        var ruleRevision = ""
        /// Per worker: when its current file started, nil when idle.
        var busySince: [ContinuousClock.Instant?] = []
        var watcherBeat = ContinuousClock.now
        var deliveryBlocked: String?
    }

    private let state: Mutex<State>

    public init(workers: Int) {
        var initial = State()
        initial.busySince = Array(repeating: nil, count: workers)
        state = Mutex(initial)
    }

    func recordFile(alerts: Int) {
        state.withLock {
            $0.filesProcessed += 1
            $0.alerts += alerts
            $0.deliveryBlocked = nil
        }
    }

    func recordQuarantine(reason: String) {
        state.withLock {
            $0.quarantined += 1
            $0.lastError = "quarantined " + reason
        }
    }

    public func recordError(_ message: String) {
        state.withLock { $0.lastError = message }
    }

    func recordDeliveryBlocked(_ message: String?) {
        state.withLock {
            $0.deliveryBlocked = message
            if let message { $0.lastError = message }
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
            if let blocked = state.deliveryBlocked { parts.append("PAUSED: \(blocked)") }
            parts.append("last error: \(state.lastError ?? "none")")
            return parts.joined(separator: "; ")
        }
    }
}
