import Foundation
import LeakwatchCore
import LeakwatchOutputs
import Posix
import Synchronization

/// The daemon's Prometheus metrics, written in the text exposition format to
/// `STATE/metrics/leakwatch.prom` for node_exporter's textfile collector (the unit has no
/// network; the directory, 0750 like the state directory, is created by the first write): at
/// start, after processed files (at most once a second; a write held back is done by
/// the control service's next tick), and at stop. Each write replaces the file atomically and
/// durably (`Posix.durableReplace`), so the collector never reads half a file. The metric names
/// are listed in the README ("Metrics").
public final class DaemonMetrics: Sendable {
    public static let directoryName = "metrics"
    public static let fileName = "leakwatch.prom"
    /// Upper bounds of the `leakwatch_scan_seconds` buckets: from a small export to a seized
    /// phone's years of chats.
    public static let scanSecondsBuckets: [Double] = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300]
    /// The shortest time between two writes after processed files.
    public static let minimumInterval: Duration = .seconds(1)

    /// Where the metrics are written.
    public let path: SystemPath
    private let queue: FileQueue
    private let spool: AlertSpool
    private let events: EventLog

    private struct AlertKey: Hashable {
        var category: String
        var rule: String
    }

    private struct Counters {
        var filesProcessed = 0
        var quarantined: [String: Int] = [:]
        var bytes = 0
        var messages = 0
        var alerts: [AlertKey: Int] = [:]
        var ruleErrors: [String: Int] = [:]
        var scanBuckets = Array(repeating: 0, count: DaemonMetrics.scanSecondsBuckets.count)
        var scanCount = 0
        var scanSum = 0.0
        var rules = 0
        var lastReloadSuccess = true
        var lastReloadTime = 0.0
        /// Changes not yet written.
        var pending = false
        var lastWrite: ContinuousClock.Instant?
        /// The last write failed (reported once, until a write succeeds again).
        var failing = false
    }

    private let counters = Mutex(Counters())
    /// Held while a snapshot is rendered and written, so the newest snapshot is the one left.
    private let writing = Mutex(())

    /// - Parameter directory: where `leakwatch.prom` goes (`DaemonPaths.metrics`).
    public init(directory: SystemPath, queue: FileQueue, spool: AlertSpool, events: EventLog) {
        path = directory.appending(Self.fileName)
        self.queue = queue
        self.spool = spool
        self.events = events
    }

    // MARK: - Recording

    /// A file scanned and its alerts delivered (`newAlerts`, `mediaAlerts`: those that went to the
    /// spool for the first time, text and media), which took `duration` from claim to filing.
    func recordProcessed(
        _ result: ScanResult, bytes: Int, newAlerts: AlertList, mediaAlerts: [Alert] = [], duration: Duration
    ) {
        let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        // Counted outside the lock: a streamed export's alerts are read back from disk.
        var alertCounts: [AlertKey: Int] = [:]
        func count(_ alert: Alert) {
            alertCounts[AlertKey(category: alert.rule.category, rule: alert.rule.id), default: 0] += 1
        }
        // A spill that cannot be read back costs only these counts; the alerts are delivered.
        try? newAlerts.forEach(count)
        mediaAlerts.forEach(count)
        counters.withLock { counters in
            counters.filesProcessed += 1
            counters.bytes += bytes
            counters.messages += result.messageCount
            for (key, alerts) in alertCounts { counters.alerts[key, default: 0] += alerts }
            for record in result.records where record.kind == .ruleError {
                counters.ruleErrors[record.rule ?? "", default: 0] += 1
            }
            for (index, bound) in Self.scanSecondsBuckets.enumerated() where seconds <= bound {
                counters.scanBuckets[index] += 1
            }
            counters.scanCount += 1
            counters.scanSum += seconds
            counters.pending = true
        }
    }

    /// A file moved to quarantine, by its reason code (`too-large`, `budget-exhausted`...).
    func recordQuarantine(reason: String) {
        counters.withLock {
            $0.quarantined[reason, default: 0] += 1
            $0.pending = true
        }
    }

    /// A rule load, at start or by a reload: `ruleSet` when it went live, nil when it was
    /// rejected (the old rules stay). Every rule in force gets an alert series, 0 until it alerts.
    func recordRuleLoad(_ ruleSet: RuleSet?, at date: Date = Date()) {
        counters.withLock { counters in
            counters.lastReloadSuccess = ruleSet != nil
            counters.lastReloadTime = date.timeIntervalSince1970
            if let ruleSet {
                counters.rules = ruleSet.rules.count
                for rule in ruleSet.rules {
                    let definition = rule.definition
                    counters.alerts[
                        AlertKey(category: definition.category.rawValue, rule: definition.id), default: 0] +=
                        0
                }
            }
            counters.pending = true
        }
    }

    // MARK: - Writing

    /// Whether something changed since the last write.
    var isPending: Bool { counters.withLock { $0.pending } }

    /// Writes when something changed and the last write is at least `minimumInterval` old;
    /// otherwise leaves it for a later call (the control service calls this every second).
    func writeIfDue() {
        let due = counters.withLock { counters in
            counters.pending && counters.lastWrite.map { ContinuousClock.now - $0 >= Self.minimumInterval } ?? true
        }
        if due { write() }
    }

    /// Writes the metrics now. A failure (a full disk, say) is logged once, until a write
    /// succeeds again; it never stops the daemon.
    func write() {
        writing.withLock { _ in
            let text = render()
            let error: PosixError?
            do throws(PosixError) {
                do throws(PosixError) {
                    try Posix.durableReplace(path, with: Array(text.utf8), permissions: 0o640)
                } catch let missing where missing.isNotFound {
                    // Created here, not at start: a full disk must not keep the daemon from starting.
                    try Posix.makeDirectories(path.parent, permissions: 0o750)
                    try Posix.durableReplace(path, with: Array(text.utf8), permissions: 0o640)
                }
                error = nil
            } catch let failure {
                error = failure
            }
            let report = counters.withLock { counters in
                counters.lastWrite = .now
                defer { counters.failing = error != nil }
                return error != nil && !counters.failing
            }
            if report, let error {
                events.log(
                    DaemonEvent(.error, "cannot write the metrics: \(error)", fields: ["FILE": path.escaped]))
            }
        }
    }

    /// The metrics in the Prometheus text exposition format (version 0.0.4).
    func render() -> String {
        let queueDepth = queue.count
        let spoolBytes = spool.currentBytes
        let snapshot = counters.withLock { counters in
            counters.pending = false
            return counters
        }
        var out = ExpositionText()
        out.family(
            "leakwatch_files_processed_total", "counter",
            "Exports scanned whose alerts were delivered (including those then quarantined as incomplete).")
        out.sample("leakwatch_files_processed_total", String(snapshot.filesProcessed))
        out.family("leakwatch_files_quarantined_total", "counter", "Files moved to quarantine, by reason code.")
        for (reason, count) in snapshot.quarantined.sorted(by: { $0.key < $1.key }) {
            out.sample("leakwatch_files_quarantined_total", [("reason", reason)], String(count))
        }
        out.family("leakwatch_scanned_bytes_total", "counter", "Bytes of the exports processed.")
        out.sample("leakwatch_scanned_bytes_total", String(snapshot.bytes))
        out.family("leakwatch_messages_total", "counter", "Messages in the exports processed.")
        out.sample("leakwatch_messages_total", String(snapshot.messages))
        out.family(
            "leakwatch_alerts_total", "counter",
            "New alerts delivered to the spool, by rule category and rule id (sightings not counted).")
        for (key, count) in snapshot.alerts.sorted(by: {
            ($0.key.category, $0.key.rule) < ($1.key.category, $1.key.rule)
        }) {
            out.sample("leakwatch_alerts_total", [("category", key.category), ("rule", key.rule)], String(count))
        }
        out.family(
            "leakwatch_rule_errors_total", "counter",
            "Rule errors (a PCRE2 match or heap limit hit on a message), by rule id.")
        for (rule, count) in snapshot.ruleErrors.sorted(by: { $0.key < $1.key }) {
            out.sample("leakwatch_rule_errors_total", [("rule", rule)], String(count))
        }
        out.family(
            "leakwatch_scan_seconds", "histogram", "Time from claiming an export to filing it, per export processed.")
        for (index, bound) in Self.scanSecondsBuckets.enumerated() {
            out.sample(
                "leakwatch_scan_seconds_bucket", [("le", Self.number(bound))], String(snapshot.scanBuckets[index]))
        }
        out.sample("leakwatch_scan_seconds_bucket", [("le", "+Inf")], String(snapshot.scanCount))
        out.sample("leakwatch_scan_seconds_sum", Self.number(snapshot.scanSum))
        out.sample("leakwatch_scan_seconds_count", String(snapshot.scanCount))
        out.family("leakwatch_queue_depth", "gauge", "Exports waiting in the queue for a worker.")
        out.sample("leakwatch_queue_depth", String(queueDepth))
        out.family(
            "leakwatch_spool_bytes", "gauge", "Bytes in the current alert spool file (rotated files not counted).")
        out.sample("leakwatch_spool_bytes", String(spoolBytes))
        out.family("leakwatch_rules", "gauge", "Rules in force.")
        out.sample("leakwatch_rules", String(snapshot.rules))
        out.family(
            "leakwatch_last_reload_success", "gauge",
            "1 if the last rule load (at start or by reload) went live, 0 if it was rejected.")
        out.sample("leakwatch_last_reload_success", snapshot.lastReloadSuccess ? "1" : "0")
        out.family(
            "leakwatch_last_reload_timestamp_seconds", "gauge",
            "When the last rule load (at start or by reload) ended, in seconds since the epoch.")
        out.sample("leakwatch_last_reload_timestamp_seconds", Self.number(snapshot.lastReloadTime))
        return out.text
    }

    /// Text in the exposition format, family by family.
    private struct ExpositionText {
        var text = ""

        mutating func family(_ name: String, _ type: String, _ help: String) {
            text += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
        }

        mutating func sample(_ name: String, _ labels: [(String, String)], _ value: String) {
            let labelText =
                labels.isEmpty
                ? "" : "{" + labels.map { "\($0.0)=\"\(escapeLabel($0.1))\"" }.joined(separator: ",") + "}"
            text += "\(name)\(labelText) \(value)\n"
        }

        mutating func sample(_ name: String, _ value: String) { sample(name, [], value) }
    }

    /// A label value escaped as the exposition format wants: backslash, double quote, line feed.
    static func escapeLabel(_ value: String) -> String {
        var escaped = ""
        for character in value {
            switch character {
            case "\\": escaped += "\\\\"
            case "\"": escaped += "\\\""
            case "\n": escaped += "\\n"
            default: escaped.append(character)
            }
        }
        return escaped
    }

    /// A sample value: integers without a fraction, others as Swift prints a `Double` (which
    /// Prometheus parses).
    static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }
}
