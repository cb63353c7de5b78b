import LeakwatchCore
import SQLite
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The state database: one SQLite file (`state.sqlite` in the state directory, with its `-wal`
/// and `-shm`), owned by one connection.
///
/// `@unchecked Sendable`: the connection (a non-Sendable class) is only ever used inside `read`
/// and `write`, which hold `lock` for the whole call, so two threads never use it at once.
///
/// Settings, chosen for the exactly-once guarantee:
/// - `journal_mode = WAL`: readers (`leakwatch report`, `state check`) never block the daemon;
/// - `synchronous = FULL`: every commit fsyncs the WAL before returning, so a commit that said
///   "these ids are delivered" or "this batch is about to be written to the spool" survives a power
///   loss, not only a crash of the process (`NORMAL` in WAL mode may lose the last commits on power
///   loss, which would let an alert be written to the spool twice);
/// - `foreign_keys = ON`, `busy_timeout = 10000` (a second process waits rather than fails),
///   `secure_delete` as Debian builds it;
/// - a database not kept (`StateDatabase.temporary`) has its journal in memory, no syncing and no
///   foreign-key checks: this process is its only writer and it is gone at exit (the checks'
///   lookups were an eighth of the settlement work on small exports). It needs the journal: with
///   none, SQLite's `ROLLBACK` keeps what was written, and a settlement that failed half-way
///   (its alert spill on a full disk) would leave alerts that later exports then only sight.
///   Its writes are batched: each `write` is a savepoint, rolled back alone when it throws, in a
///   transaction committed every `writesPerCommit` writes or `changesPerCommit` changed rows, so
///   that pages many small writes share are journaled and written out once, not once per write
///   (a transaction per write cost a tenth more on many small exports). Should a commit fail or
///   SQLite itself give up the open transaction (a full disk, out of memory), the writes since the
///   last commit are forgotten: alerts already delivered may be delivered again, none is lost;
/// - `wal_autocheckpoint = 64`, `journal_size_limit = 262144`: the log stays near 256 KiB.
public final class StateDatabase: @unchecked Sendable {
    /// The file name in the state directory.
    public static let fileName = "state.sqlite"

    public let path: String
    /// The schema version the file was at when opened (0 for a new file).
    public let openedAtVersion: Int
    private let connection: SQLiteConnection
    /// Held for every use of the connection; for a database not kept, also counts what the open
    /// transaction holds.
    private let lock = Mutex<PendingWrites>(PendingWrites())
    private let kept: Bool

    /// A database not kept commits after this many writes ...
    public static let writesPerCommit = 64
    /// ... or after a write that brings the rows changed since the last commit to this many.
    public static let changesPerCommit = 20_000

    /// What the open transaction of a database not kept holds.
    private struct PendingWrites {
        var writes = 0
        /// `SQLiteConnection.totalChanges` when the transaction began.
        var changesBefore = 0
    }

    /// A database that lives only as long as its object, in a temporary file SQLite removes at
    /// close (`leakwatch scan` without `--state`): nothing to keep, so no syncing or foreign-key
    /// checks either, and writes batched into fewer transactions.
    public static let temporary = ""

    /// Opens (creating when needed) and migrates the database at `path` (`StateDatabase.temporary`,
    /// or `:memory:`, for one that is not kept).
    public init(path: String, readOnly: Bool = false) throws(LeakwatchError) {
        self.path = path
        let kept = path != Self.temporary && path != ":memory:"
        self.kept = kept
        let connection: SQLiteConnection
        do {
            connection = try SQLiteConnection(path: path, mode: readOnly ? .readOnly : .readWriteCreate)
            if !kept {
                try connection.execute("PRAGMA synchronous = OFF; PRAGMA journal_mode = MEMORY;")
            } else if !readOnly {
                // Who said what in which chat: readable by the service only (-wal and -shm follow).
                chmod(path, 0o600)
                let mode = try connection.scalarText("PRAGMA journal_mode = WAL")
                guard mode == "wal" else {
                    throw SQLiteError(code: 0, message: "WAL mode refused (journal_mode is \(mode ?? "?"))", path: path)
                }
            }
            if kept { try connection.execute("PRAGMA synchronous = FULL; PRAGMA busy_timeout = 10000;") }
            if kept && !readOnly {
                // A small write-ahead log: checkpointed every 64 pages (256 KiB) and cut back to
                // 256 KiB after each checkpoint, so a state directory on a small disk is not
                // filled by the log (an export's settlement writes about 25 pages).
                try connection.execute("PRAGMA wal_autocheckpoint = 64; PRAGMA journal_size_limit = 262144;")
            }
            if kept { try connection.execute("PRAGMA foreign_keys = ON;") }
            let version = try connection.scalarInt("PRAGMA user_version") ?? 0
            self.openedAtVersion = version
            guard version <= StateSchema.current else {
                throw LeakwatchError(
                    code: .invalidConfig,
                    message:
                        "the state database is at schema version \(version), newer than this leakwatch knows (\(StateSchema.current)); refusing to touch it",
                    path: path)
            }
            if !readOnly {
                for migration in StateSchema.migrations where migration.version > version {
                    try connection.transaction {
                        try connection.execute(migration.sql)
                        try connection.execute("PRAGMA user_version = \(migration.version)")
                    }
                }
            } else if version < StateSchema.current {
                throw LeakwatchError(
                    code: .invalidConfig,
                    message:
                        "the state database is at schema version \(version); start the daemon (or run with write access) to migrate it to \(StateSchema.current)",
                    path: path)
            }
        } catch let error as LeakwatchError {
            throw error
        } catch let error as SQLiteError {
            throw Self.error(error, "cannot open the state database")
        } catch {
            throw LeakwatchError(code: .io, message: "cannot open the state database: \(error)", path: path)
        }
        self.connection = connection
    }

    /// The schema version the file is at now.
    public var schemaVersion: Int {
        (try? read { try $0.scalarInt("PRAGMA user_version") ?? 0 }) ?? 0
    }

    /// Runs `body` with the connection, holding it for the whole call.
    public func read<T>(_ body: (SQLiteConnection) throws -> T) throws(LeakwatchError) -> T {
        try locked { _ in try body(connection) }
    }

    private func locked<T>(_ body: (inout PendingWrites) throws -> T) throws(LeakwatchError) -> T {
        do {
            return try lock.withLock { pending in try body(&pending) }
        } catch let error as LeakwatchError {
            throw error
        } catch let error as SQLiteError {
            throw Self.error(error, "state database")
        } catch {
            throw LeakwatchError(code: .io, message: "state database: \(error)", path: path)
        }
    }

    /// Runs `body` in one write transaction (`BEGIN IMMEDIATE ... COMMIT`, rolled back if it throws;
    /// for a database not kept, a savepoint in a batch of writes committed together).
    /// On a full disk the write-ahead log is checkpointed and truncated (giving its space back)
    /// before the error is thrown, so that the caller's retry can succeed once there is room.
    public func write<T>(_ body: (SQLiteConnection) throws -> T) throws(LeakwatchError) -> T {
        try locked { pending in
            do {
                guard kept else { return try batchedWrite(body, pending: &pending) }
                return try connection.transaction { try body(connection) }
            } catch let error as SQLiteError where error.isDiskFull {
                try? connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                throw error
            }
        }
    }

    private func batchedWrite<T>(_ body: (SQLiteConnection) throws -> T, pending: inout PendingWrites) throws -> T {
        if !connection.isInTransaction {
            try connection.execute("BEGIN IMMEDIATE")
            pending = PendingWrites(writes: 0, changesBefore: connection.totalChanges)
        }
        let value = try connection.savepoint { try body(connection) }
        pending.writes += 1
        if pending.writes >= Self.writesPerCommit
            || connection.totalChanges - pending.changesBefore >= Self.changesPerCommit
        {
            do {
                try connection.execute("COMMIT")
            } catch {
                // The write just made is in the transaction that did not commit: undone with the
                // writes before it (forgotten, as when SQLite gives the transaction up), so that a
                // write that throws has left nothing behind.
                try? connection.execute("ROLLBACK")
                throw error
            }
        }
        return value
    }

    /// An SQLite error as a `LeakwatchError` naming the database (a full disk is `no-space`).
    static func error(_ error: SQLiteError, _ what: String) -> LeakwatchError {
        LeakwatchError(
            code: error.isDiskFull ? .noSpace : .io, message: "\(what): \(error.message) (SQLite \(error.code))",
            path: error.path, cause: error)
    }
}
