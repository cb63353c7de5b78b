import Foundation
import LeakwatchCore
import LeakwatchOutputs
import LeakwatchState
import SQLite
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The state database file itself: schema version and migrations, pragmas, importing an old spool,
/// settling a batch a crash left behind.
@Suite struct StateDatabaseTests {
    let directory: URL

    init() throws {
        directory = URL(fileURLWithPath: "/tmp").appendingPathComponent("leakwatch-state-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    var path: String { directory.appendingPathComponent("state.sqlite").path }

    @Test func aNewDatabaseIsAtTheCurrentVersionInWALWithFullSync() throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let database = try StateDatabase(path: path)
        #expect(database.openedAtVersion == 0)
        #expect(database.schemaVersion >= 1)
        let (mode, synchronous, foreignKeys) = try database.read { db in
            (
                try db.scalarText("PRAGMA journal_mode"), try db.scalarInt("PRAGMA synchronous"),
                try db.scalarInt("PRAGMA foreign_keys")
            )
        }
        #expect(mode == "wal")
        #expect(synchronous == 2, "FULL: every commit is on disk when it returns")
        #expect(foreignKeys == 1)
        for table in ["chat", "export", "participant", "alias", "anchor", "presence", "alert", "sighting", "delivered"]
        {
            let count = try database.read {
                try $0.scalarInt("SELECT count(*) FROM sqlite_master WHERE name = ?1", table)
            }
            #expect(count == 1, "\(table)")
        }
        var info = stat()
        #expect(stat(path, &info) == 0)
        #expect(info.st_mode & 0o777 == 0o600)
        // Opening again migrates nothing and keeps what is there.
        try database.write { try $0.run("INSERT INTO delivered(id) VALUES ('kept')") }
        let again = try StateDatabase(path: path)
        #expect(again.openedAtVersion == database.schemaVersion)
        #expect(try again.read { try $0.scalarInt("SELECT count(*) FROM delivered") } == 1)
    }

    /// A database not kept (`leakwatch scan` without `--state`) is at the current schema with no
    /// journal, no syncing and no foreign-key checks: nothing in it outlives the process.
    @Test func aTemporaryDatabaseSkipsWhatOnlyAKeptFileNeeds() throws {
        let database = try StateDatabase(path: StateDatabase.temporary)
        #expect(database.schemaVersion >= 1)
        let (mode, synchronous, foreignKeys) = try database.read { db in
            (
                try db.scalarText("PRAGMA journal_mode"), try db.scalarInt("PRAGMA synchronous"),
                try db.scalarInt("PRAGMA foreign_keys")
            )
        }
        #expect(mode == "memory")
        #expect(synchronous == 0)
        #expect(foreignKeys == 0)
    }

    struct Failed: Error {}

    /// A write that throws leaves nothing behind and the writes before it stay, in a kept file
    /// and in a database not kept (whose writes are savepoints in batches: more writes than one
    /// batch holds cross its commits).
    @Test(arguments: [false, true])
    func aWriteThatThrowsLeavesNothingBehind(kept: Bool) throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let database = try StateDatabase(path: kept ? path : StateDatabase.temporary)
        let writes = StateDatabase.writesPerCommit * 2 + 3
        for number in 0..<writes {
            try database.write { try $0.run("INSERT INTO delivered(id) VALUES (?1)", "kept \(number)") }
            if number % 10 == 0 {
                #expect(throws: LeakwatchError.self) {
                    try database.write { db in
                        try db.run("INSERT INTO delivered(id) VALUES (?1)", "rolled back \(number)")
                        // A second row with the same id fails inside SQLite, after the first went in.
                        try db.run("INSERT INTO delivered(id) VALUES (?1)", "rolled back \(number)")
                    }
                }
                #expect(throws: LeakwatchError.self) {
                    try database.write { db in
                        try db.run("INSERT INTO delivered(id) VALUES (?1)", "thrown \(number)")
                        throw Failed()
                    }
                }
            }
        }
        let stored = try database.read { db in
            try db.statement("SELECT id FROM delivered").map { $0.text(0) }
        }
        #expect(stored.sorted() == (0..<writes).map { "kept \($0)" }.sorted())
        // A large write commits its batch at once.
        try database.write { db in
            for number in 0..<StateDatabase.changesPerCommit {
                try db.run("INSERT INTO delivered(id) VALUES (?1)", "bulk \(number)")
            }
        }
        #expect(try database.read { $0.isInTransaction } == false)
        #expect(
            try database.read { try $0.scalarInt("SELECT count(*) FROM delivered") }
                == writes + StateDatabase.changesPerCommit)
    }

    /// Rows inserted a few statements at a time (32, 16, ... rows each) arrive all, in order,
    /// with their literal columns; `OR IGNORE` keeps the first of two rows with one key.
    @Test(arguments: [0, 1, 2, 31, 32, 33, 63, 100])
    func rowsAreInsertedInOrderWithMultiRowStatements(_ count: Int) throws {
        let db = try SQLiteConnection(path: ":memory:")
        try db.execute("CREATE TABLE t(n INTEGER PRIMARY KEY, label TEXT, kind TEXT, missing INTEGER)")
        let rows: [[any SQLiteBindable]] = (0..<count).map { n in [n, "row \(n)", n % 3 == 0 ? nil : n] }
        try db.insert("INSERT OR IGNORE INTO t(n, label, kind, missing) VALUES", row: "(?, ?, 'fixed', ?)", rows)
        try db.insert(
            "INSERT OR IGNORE INTO t(n, label, kind, missing) VALUES", row: "(?, ?, 'again', NULL)",
            rows.map { [$0[0], $0[1]] })
        let stored = try db.statement("SELECT n, label, kind, missing FROM t ORDER BY rowid").map {
            "\($0.int(0)) \($0.text(1)) \($0.text(2)) \($0.optionalInt(3).map(String.init) ?? "-")"
        }
        #expect(stored == (0..<count).map { "\($0) row \($0) fixed \($0 % 3 == 0 ? "-" : String($0))" })
    }

    /// The write-ahead log is checkpointed and cut back as it goes, so it stays small however many
    /// transactions there are (a state directory on a small disk is not filled by it).
    @Test func theWriteAheadLogStaysSmall() throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let database = try StateDatabase(path: path)
        for batch in 0..<300 {
            try database.write { db in
                for id in 0..<20 {
                    try db.run(
                        "INSERT INTO delivered(id) VALUES (?1)", "\(batch)-\(id)-" + String(repeating: "x", count: 64))
                }
            }
        }
        let log = try FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? Int ?? 0
        #expect(log <= 512 << 10, "write-ahead log of \(log) bytes")
        #expect(try database.read { try $0.scalarInt("SELECT count(*) FROM delivered") } == 6000)
    }

    @Test func aDatabaseFromANewerLeakwatchIsRefusedAndLeftAlone() throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        do {
            let raw = try SQLiteConnection(path: path)
            try raw.execute("CREATE TABLE future(x); PRAGMA user_version = 999;")
        }
        #expect(throws: LeakwatchError.self) { try StateDatabase(path: path) }
        do {
            _ = try StateDatabase(path: path)
        } catch {
            #expect(error.message.contains("newer than this leakwatch knows"), "\(error)")
            #expect(error.path == path)
        }
        let raw = try SQLiteConnection(path: path)
        #expect(try raw.scalarInt("PRAGMA user_version") == 999)
        #expect(try raw.scalarInt("SELECT count(*) FROM sqlite_master WHERE name = 'alert'") == 0)
    }

    @Test func aReaderDoesNotMigrateAnOldDatabase() throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        do { _ = try SQLiteConnection(path: path) }  // an empty file: version 0
        #expect(throws: LeakwatchError.self) { try StateDatabase(path: path, readOnly: true) }
        #expect(try StateDatabase(path: path).openedAtVersion == 0)
        #expect(try StateDatabase(path: path, readOnly: true).openedAtVersion >= 1)
    }

    /// Writes spool lines (each `\n`-ended unless `torn`).
    func spool(_ lines: [String], torn: String? = nil, to name: String = "alerts.jsonl") throws {
        var text = lines.map { $0 + "\n" }.joined()
        if let torn { text += torn }
        let url = directory.appendingPathComponent(name)
        if let handle = FileHandle(forWritingAtPath: url.path) {
            handle.seekToEndOfFile()
            handle.write(Data(text.utf8))
            try handle.close()
        } else {
            try Data(text.utf8).write(to: url)
        }
    }

    static func line(_ id: String) -> String {
        "{\"detected_at\":\"2026-11-29T00:00:00Z\",\"id\":\"\(id)\",\"schema\":\"leakwatch.alert.v1\"}"
    }

    func ledgerWithSpool() throws -> StateLedger {
        var configuration = AlertSpool.Configuration(directory: directory.path, keep: 3)
        configuration.indexesIDs = false
        return StateLedger(database: try StateDatabase(path: path), spool: try AlertSpool(configuration))
    }

    @Test func aNewStateTakesTheIdsOfAnOldSpoolOnce() throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        // A line torn by a crash and sealed with a newline (as older spools did) never counts,
        // even when it happens to end in a brace.
        try spool(
            [Self.line("a1"), "{\"detected_at\":\"x\",\"id\":\"sealed\",\"match\":{\"a\":1}", Self.line("a2")],
            to: "alerts.jsonl.1")
        try spool([Self.line("a3")], torn: "{\"id\":\"torn\",\"schema\":")
        let ledger = try ledgerWithSpool()
        #expect(try ledger.importSpoolIfNeeded() == 3)
        #expect(try ledger.importSpoolIfNeeded() == 0, "only once: the spool is never read at start again")
        let delivered = try ledger.database.read { db in
            try db.statement("SELECT id FROM delivered ORDER BY id").map { $0.text(0) }
        }
        #expect(delivered == ["a1", "a2", "a3"], "a torn line never counts as delivered")
    }

    @Test func aBatchACrashLeftIsSettledFromWhereTheSpoolEndedThen() throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        try spool([Self.line("old")])
        let ledger = try ledgerWithSpool()
        let position = SpoolPosition.end(of: directory.appendingPathComponent("alerts.jsonl").path)
        // The state had recorded a batch of three; the crash came after two reached the spool and in
        // the middle of the third.
        try ledger.database.write { db in
            try db.run(
                "INSERT INTO batch(spool_device, spool_inode, spool_offset, created_at) VALUES (?1, ?2, ?3, 'x')",
                position.device, position.inode, position.offset)
            for id in ["b1", "b2", "b3"] { try db.run("INSERT INTO batch_line(batch_id, id) VALUES (1, ?1)", id) }
        }
        try spool([Self.line("b1"), Self.line("b2")], torn: "{\"id\":\"b3\",\"sch")
        #expect(try ledger.settlePendingBatches() == 1)
        let delivered = try ledger.database.read { db in
            try db.statement("SELECT id FROM delivered ORDER BY id").map { $0.text(0) }
        }
        #expect(delivered == ["b1", "b2"], "\"old\" was before the batch; b3 never made it")
        #expect(try ledger.database.read { try $0.scalarInt("SELECT count(*) FROM batch") } == 0)
    }

    @Test func theSpoolTailIsFoundAcrossARotation() throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        try spool([Self.line("before")])
        let current = directory.appendingPathComponent("alerts.jsonl").path
        let position = SpoolPosition.end(of: current)
        try spool([Self.line("after-1")])
        #expect(rename(current, current + ".1") == 0)
        try spool([Self.line("after-2")])
        let ids = SpoolTail.ids(after: position, in: [current, current + ".1", current + ".2"])
        #expect(ids == ["after-1", "after-2"])
    }
}
