import LeakwatchCore

/// What one scanned export produced, on its way to the outputs.
public struct AlertBatch: Sendable {
    /// The alerts, in memory or (for a streamed export's many) partly on disk.
    public var alerts: AlertList
    /// Rule errors, incomplete scans, notes.
    public var records: [ScanRecord]

    public init(alerts: [Alert] = [], records: [ScanRecord] = []) {
        self.alerts = AlertList(alerts)
        self.records = records
    }

    public init(alerts: AlertList, records: [ScanRecord] = []) {
        self.alerts = alerts
        self.records = records
    }

    public var isEmpty: Bool { alerts.isEmpty && records.isEmpty }
}

/// An output for alerts: the spool, the journal. Small on purpose.
public protocol AlertSink: Sendable {
    /// A short name for logs (`spool`, `journal`).
    var name: String { get }
    /// Delivers a batch. A durable sink returns only once the batch is on disk; throwing means
    /// nothing of the batch may be taken as delivered (the caller keeps the export and retries).
    func deliver(_ batch: AlertBatch) throws(LeakwatchError)
}
