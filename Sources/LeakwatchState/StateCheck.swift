import LeakwatchCore
import SQLite

/// `leakwatch state check`: verifies the state database on its own (SQLite's integrity and
/// foreign-key checks, the schema version) and against the spool (every line of the spool is known
/// as delivered; every alert and sighting the state recorded reached the spool, or is in a batch
/// waiting to be settled).
public struct StateCheck: Sendable {
    /// Things that are wrong.
    public var problems: [String] = []
    /// Things worth knowing that are not wrong (rotated spool files, batches to settle).
    public var notes: [String] = []
    /// Counts, in order, for the summary.
    public var figures: [(String, Int)] = []

    public var isClean: Bool { problems.isEmpty }

    /// Checks `database` against the spool files `spoolFiles` (newest first; none for a state kept by
    /// `leakwatch scan --state`, which has no spool).
    public static func run(database: StateDatabase, spoolFiles: [String]) throws(LeakwatchError) -> StateCheck {
        var check = StateCheck()
        try database.read { db in
            let integrity = try db.statement("PRAGMA integrity_check").map { $0.text(0) }
            if integrity != ["ok"] {
                check.problems += integrity.prefix(20).map { "SQLite integrity check: \($0)" }
            }
            let foreign = try db.statement("PRAGMA foreign_key_check").map { "\($0.text(0)) row \($0.int(1))" }
            check.problems += foreign.prefix(20).map { "a row refers to something that is not there: \($0)" }
            let version = try db.scalarInt("PRAGMA user_version") ?? 0
            if version != StateSchema.current {
                check.problems.append("schema version \(version), this leakwatch writes \(StateSchema.current)")
            }
            for (label, sql) in [
                ("chats", "SELECT count(*) FROM chat"), ("exports", "SELECT count(*) FROM export"),
                ("participants", "SELECT count(*) FROM participant"), ("alerts", "SELECT count(*) FROM alert"),
                ("sightings", "SELECT count(*) FROM sighting"), ("delivered ids", "SELECT count(*) FROM delivered"),
                ("batches to settle", "SELECT count(*) FROM batch"),
            ] {
                check.figures.append((label, try db.scalarInt(sql) ?? 0))
            }
            let pending = Set(try db.statement("SELECT id FROM batch_line").map { $0.text(0) })
            if !pending.isEmpty {
                check.notes.append(
                    "\(pending.count) ids are in a batch a crash left unsettled: the daemon settles them at its next start"
                )
            }
            guard !spoolFiles.isEmpty else { return }
            let inSpool = SpoolTail.allIDs(in: spoolFiles)
            let isDelivered = try db.statement("SELECT 1 FROM delivered WHERE id = ?1")
            var unknown: [String] = []
            for id in inSpool.sorted() where try isDelivered.first(id, transform: { _ in true }) == nil {
                if !pending.contains(id) { unknown.append(id) }
            }
            if !unknown.isEmpty {
                check.problems.append(
                    "\(unknown.count) line(s) in the spool the state does not count as delivered (first: \(unknown.prefix(3).joined(separator: ", ")))"
                )
            }
            var undelivered: [String] = []
            var rotatedAway = 0
            for table in ["alert", "sighting"] {
                try db.statement(
                    "SELECT \(table).id, delivered.id IS NOT NULL FROM \(table) LEFT JOIN delivered ON delivered.id = \(table).id"
                ).forEach { row in
                    let id = row.text(0)
                    if row.int(1) == 0 {
                        if !pending.contains(id) { undelivered.append(id) }
                    } else if !inSpool.contains(id) {
                        rotatedAway += 1
                    }
                }
            }
            if !undelivered.isEmpty {
                check.problems.append(
                    "\(undelivered.count) alert(s) or sighting(s) recorded but never delivered (first: \(undelivered.prefix(3).joined(separator: ", "))); their exports are redone from work/ at the next start"
                )
            }
            if rotatedAway > 0 {
                check.notes.append(
                    "\(rotatedAway) delivered alert(s) or sighting(s) are no longer in the spool files (rotated away); the state still knows them"
                )
            }
            check.figures.append(("spool lines", inSpool.count))
        }
        return check
    }
}
