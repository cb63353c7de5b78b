import Foundation
import LeakwatchCore
import LeakwatchOutputs
import SQLite
import Synchronization

/// What recording a scanned file gave.
public enum LedgerOutcome: Sendable {
    /// `all`: everything the file amounts to (new alerts, or the alerts it gave before; sightings;
    /// records). `fresh`: the part not delivered before, now in the spool.
    case recorded(all: AlertBatch, fresh: AlertBatch)
    /// Another export of the same chat added an alert while this file was being scanned, and the
    /// scan did not watch for it: scan the file again (with `StateLedger.watch()`).
    case stale
}

/// The steps of delivering one file's alerts, where the crash tests kill the daemon.
public enum LedgerStep: String, Sendable {
    /// The state knows the file's alerts and that a batch is about to go to the spool.
    case intentRecorded = "intent-recorded"
    /// The batch is in the spool (synced); the state does not yet count it delivered.
    case spooled
    /// The state counts the batch delivered.
    case delivered
}

/// Exactly-once delivery of alerts and records, across exports of the same chat and across
/// crashes: the state database decides what is new (one alert per leak, sightings for the rest),
/// and keeps which ids reached the spool, so the spool never has to be read at start.
///
/// For each file, under one lock (so two exports of one chat never both think they are first):
/// 1. one transaction settles the file (`SettlementPlanner`) and, when anything is new, records a
///    batch with the spool's current end (device, inode, size) and the ids about to be written;
/// 2. the batch is appended to the spool and `fdatasync`ed;
/// 3. one transaction marks its ids delivered and drops the batch.
///
/// A crash between 1 and 3 leaves the batch: at the next start (or the next delivery),
/// `settlePendingBatches` reads the spool from the recorded end only, counts the ids it finds as
/// delivered, and leaves the rest to be delivered when the export (still in `work/`) is redone.
public final class StateLedger: Sendable {
    public let database: StateDatabase
    /// Where delivered lines go; nil for `leakwatch scan`, which prints them instead.
    public let spool: AlertSpool?
    private let lock = Mutex<ContentWatch?>(nil)
    /// The watch as of the last file settled (or the last `watch()`), readable while a file is
    /// being settled under `lock`.
    private let recent = Mutex<ContentWatch?>(nil)

    /// How many alerts of a settled streamed export a batch keeps in memory; the rest wait in a
    /// spill file until they are delivered.
    public let alertsInMemory: Int
    /// Whether a file's alerts are made ready (keyed, written out as JSON) on another thread while
    /// the earlier ones are settled: for a caller with a core to spare.
    public let preparesAhead: Bool

    public init(
        database: StateDatabase, spool: AlertSpool?, alertsInMemory: Int = AlertList.defaultMemoryLimit,
        preparesAhead: Bool = false
    ) {
        self.database = database
        self.spool = spool
        self.alertsInMemory = alertsInMemory
        self.preparesAhead = preparesAhead
    }

    /// The contents of every alerted message: what a scan must watch for (see `ContentWatch`).
    public func watch() throws(LeakwatchError) -> ContentWatch {
        try lock.withLock { cached throws(LeakwatchError) in
            let fresh = try loadWatch(after: cached)
            cached = fresh
            recent.withLock { $0 = fresh }
            return fresh
        }
    }

    /// The watch as of the last file settled, without waiting for a settlement in progress (so
    /// workers scan while another file is settled). It may miss that file's alerts: a scan with it
    /// can come back `.stale`, and is then scanned again with `watch()`.
    public func recentWatch() throws(LeakwatchError) -> ContentWatch {
        if let known = recent.withLock({ $0 }) { return known }
        return try watch()
    }

    private func loadWatch(after cached: ContentWatch?) throws(LeakwatchError) -> ContentWatch {
        var watch = cached ?? ContentWatch()
        try database.read { db in
            try db.statement("SELECT seq, content FROM alert WHERE seq > ?1 ORDER BY seq").forEach([watch.sequence]) {
                row in
                watch.sequence = max(watch.sequence, row.int(0))
                if !row.isNull(1) { watch.hashes.insert(row.uint64(1)) }
            }
        }
        return watch
    }

    /// Settles and delivers one scanned file (see the type's description). `step` is called after
    /// each step (the crash tests kill the process there).
    /// The scan's `ContentWatch` is `result.watch` (a scan without one settles its alerts by id only).
    public func record(
        _ result: ScanResult, detectedAt: String = AlertFormatting.rfc3339(Date()),
        step: ((LedgerStep) -> Void)? = nil
    ) throws(LeakwatchError) -> LedgerOutcome {
        let watch = result.watch ?? ContentWatch()
        return try lock.withLock { cached throws(LeakwatchError) -> LedgerOutcome in
            try settlePendingBatchesLocked()
            let planned: (all: AlertBatch, fresh: AlertBatch)?
            do throws(LeakwatchError) {
                planned = try database.write { db -> (all: AlertBatch, fresh: AlertBatch)? in
                    var planner = SettlementPlanner(
                        db: db, result: result, watch: watch, detectedAt: detectedAt, alertsInMemory: alertsInMemory,
                        preparesAhead: preparesAhead)
                    do {
                        try planner.settle()
                    } catch is SettlementPlanner.StaleWatch {
                        throw LeakwatchError(code: .staleWatch, message: "scan again: the chat has new alerts")
                    }
                    let all = planner.batch
                    let fresh = try Self.undelivered(all, db: db)
                    if !fresh.isEmpty { try recordIntent(fresh, detectedAt: detectedAt, db: db) }
                    return (all, fresh)
                }
            } catch let error where error.code == .staleWatch {
                return .stale
            }
            guard let (all, fresh) = planned else { return .stale }
            try spoolAndMark(fresh, step: step)
            cached = try loadWatch(after: cached)
            recent.withLock { $0 = cached }
            return .recorded(all: all, fresh: fresh)
        }
    }

    /// Delivers `batch` by id alone, without settling it against chats: the part not delivered
    /// before goes to the spool with the same three steps as `record` (so exactly once across
    /// crashes), and is returned. An export's media alerts, a second delivery after its text
    /// alerts, go this way.
    public func deliver(
        _ batch: AlertBatch, detectedAt: String = AlertFormatting.rfc3339(Date()),
        step: ((LedgerStep) -> Void)? = nil
    ) throws(LeakwatchError) -> AlertBatch {
        try lock.withLock { _ throws(LeakwatchError) -> AlertBatch in
            try settlePendingBatchesLocked()
            let fresh = try database.write { db -> AlertBatch in
                let fresh = try Self.undelivered(batch, db: db)
                if !fresh.isEmpty { try recordIntent(fresh, detectedAt: detectedAt, db: db) }
                return fresh
            }
            try spoolAndMark(fresh, step: step)
            return fresh
        }
    }

    /// Step 1 of a delivery, inside the caller's transaction: the spool's current end and the ids
    /// about to be written (without a spool, they count as delivered at once).
    private func recordIntent(_ fresh: AlertBatch, detectedAt: String, db: SQLiteConnection) throws {
        guard let spool else {
            try Self.markDelivered(fresh, db: db)
            return
        }
        let position = SpoolPosition.end(of: spool.configuration.path)
        try db.run(
            "INSERT INTO batch(spool_device, spool_inode, spool_offset, created_at) VALUES (?1, ?2, ?3, ?4)",
            position.device, position.inode, position.offset, detectedAt)
        let batchID = Int(db.lastInsertRowID)
        let line = try db.statement("INSERT OR IGNORE INTO batch_line(batch_id, id) VALUES (?1, ?2)")
        try Self.forEachID(of: fresh) { try line.run(batchID, $0) }
    }

    /// Steps 2 and 3 of a delivery: to the spool (synced), then counted delivered.
    private func spoolAndMark(_ fresh: AlertBatch, step: ((LedgerStep) -> Void)?) throws(LeakwatchError) {
        step?(.intentRecorded)
        if let spool, !fresh.isEmpty {
            try spool.deliver(fresh)
            step?(.spooled)
            try database.write { db in
                try Self.markDelivered(fresh, db: db)
                try db.execute("DELETE FROM batch_line; DELETE FROM batch;")
            }
        }
        step?(.delivered)
    }

    /// Settles batches a crash left between writing to the spool and counting it delivered: the
    /// ids found in the spool after the batch's recorded end count as delivered. Returns how many
    /// batches there were.
    @discardableResult
    public func settlePendingBatches() throws(LeakwatchError) -> Int {
        try lock.withLock { _ throws(LeakwatchError) in try settlePendingBatchesLocked() }
    }

    @discardableResult
    private func settlePendingBatchesLocked() throws(LeakwatchError) -> Int {
        let batches = try database.read { db in
            try db.statement("SELECT id, spool_device, spool_inode, spool_offset FROM batch ORDER BY id").map { row in
                (row.int(0), SpoolPosition(device: row.int(1), inode: row.int(2), offset: row.int(3)))
            }
        }
        guard !batches.isEmpty else { return 0 }
        let files = spool.map { SpoolTail.files($0.configuration) } ?? []
        for (batchID, position) in batches {
            let written = SpoolTail.ids(after: position, in: files)
            try database.write { db in
                let ids = try db.statement("SELECT id FROM batch_line WHERE batch_id = ?1").map(batchID) { $0.text(0) }
                for id in ids where written.contains(id) {
                    try db.run("INSERT OR IGNORE INTO delivered(id) VALUES (?1)", id)
                }
                try db.run("DELETE FROM batch_line WHERE batch_id = ?1", batchID)
                try db.run("DELETE FROM batch WHERE id = ?1", batchID)
            }
        }
        return batches.count
    }

    /// Counts every id already in the spool as delivered, once, when the state database is new
    /// and the spool is not (an upgrade from a leakwatch that kept no state). Returns how many ids.
    @discardableResult
    public func importSpoolIfNeeded() throws(LeakwatchError) -> Int {
        guard let spool else { return 0 }
        return try lock.withLock { _ throws(LeakwatchError) -> Int in
            let done = try database.read { try $0.scalarText("SELECT value FROM setting WHERE key = 'spool-imported'") }
            guard done == nil else { return 0 }
            let ids = SpoolTail.allIDs(in: SpoolTail.files(spool.configuration))
            try database.write { db in
                for id in ids { try db.run("INSERT OR IGNORE INTO delivered(id) VALUES (?1)", id) }
                try db.run(
                    "INSERT INTO setting(key, value) VALUES ('spool-imported', ?1)",
                    AlertFormatting.rfc3339(Date()))
            }
            return ids.count
        }
    }

    // MARK: -

    /// Calls `body` with the id of every alert and record of `batch`, in order.
    static func forEachID(of batch: AlertBatch, _ body: (String) throws -> Void) throws {
        var alerts = try batch.alerts.makeReader()
        while let id = try alerts.nextID() { try body(id) }
        for record in batch.records { try body(record.id) }
    }

    static func undelivered(_ batch: AlertBatch, db: SQLiteConnection) throws -> AlertBatch {
        let check = try db.statement("SELECT 1 FROM delivered WHERE id = ?1")
        func isDelivered(_ id: String) throws -> Bool { try check.first(id) { _ in true } != nil }
        // Alert ids are unique in a batch (one per hit, or per stored alert); records may repeat.
        var seenRecords = Set<String>()
        func isNewRecord(_ record: ScanRecord) throws -> Bool {
            guard seenRecords.insert(record.id).inserted else { return false }
            return try !isDelivered(record.id)
        }
        var allNew = true
        try forEachID(of: AlertBatch(alerts: batch.alerts)) { id in
            if allNew, try isDelivered(id) { allNew = false }
        }
        let newRecords = try batch.records.map(isNewRecord)
        // Usually all of it: then the batch itself, not a copy of every alert.
        if allNew && !newRecords.contains(false) { return batch }
        var fresh = AlertBatch(alerts: batch.alerts.emptyCopy())
        var alerts = try batch.alerts.makeReader()
        while let alert = try alerts.next() {
            if !(try isDelivered(alert.id)) { try fresh.alerts.append(alert) }
        }
        fresh.records = zip(batch.records, newRecords).compactMap { $1 ? $0 : nil }
        return fresh
    }

    static func markDelivered(_ batch: AlertBatch, db: SQLiteConnection) throws {
        let insert = try db.statement("INSERT OR IGNORE INTO delivered(id) VALUES (?1)")
        try forEachID(of: batch) { try insert.run($0) }
    }
}

extension LeakwatchError.Code {
    /// A scan's `ContentWatch` is older than an alert of its chat: scan again.
    public static let staleWatch = LeakwatchError.Code(rawValue: "stale-watch")
}
