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
/// - a database not kept (`StateDatabase.temporary`) has no journal, no syncing and no foreign-key
///   checks: this process is its only writer and it is gone at exit, and the checks' lookups were
///   an eighth of the settlement work on small exports;
/// - `wal_autocheckpoint = 64`, `journal_size_limit = 262144`: the log stays near 256 KiB.
public final class StateDatabase: @unchecked Sendable {
    /// The file name in the state directory.
    public static let fileName = "state.sqlite"

    public let path: String
    /// The schema version the file was at when opened (0 for a new file).
    public let openedAtVersion: Int
    private let connection: SQLiteConnection
    private let lock = Mutex<Void>(())

    /// A database that lives only as long as its object, in a temporary file SQLite removes at
    /// close (`leakwatch scan` without `--state`): nothing to keep, so no syncing, journal or
    /// foreign-key checks either.
    public static let temporary = ""

    /// Opens (creating when needed) and migrates the database at `path` (`StateDatabase.temporary`,
    /// or `:memory:`, for one that is not kept).
    public init(path: String, readOnly: Bool = false) throws(LeakwatchError) {
        self.path = path
        let kept = path != Self.temporary && path != ":memory:"
        let connection: SQLiteConnection
        do {
            connection = try SQLiteConnection(path: path, mode: readOnly ? .readOnly : .readWriteCreate)
            if !kept {
                try connection.execute("PRAGMA synchronous = OFF; PRAGMA journal_mode = OFF;")
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
        do {
            return try lock.withLock { _ in try body(connection) }
        } catch let error as LeakwatchError {
            throw error
        } catch let error as SQLiteError {
            throw Self.error(error, "state database")
        } catch {
            throw LeakwatchError(code: .io, message: "state database: \(error)", path: path)
        }
    }

    /// Runs `body` in one write transaction (`BEGIN IMMEDIATE ... COMMIT`, rolled back if it throws).
    /// On a full disk the write-ahead log is checkpointed and truncated (giving its space back)
    /// before the error is thrown, so that the caller's retry can succeed once there is room.
    public func write<T>(_ body: (SQLiteConnection) throws -> T) throws(LeakwatchError) -> T {
        try read { connection in
            do {
                return try connection.transaction { try body(connection) }
            } catch let error as SQLiteError where error.isDiskFull {
                try? connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                throw error
            }
        }
    }

    /// An SQLite error as a `LeakwatchError` naming the database (a full disk is `no-space`).
    static func error(_ error: SQLiteError, _ what: String) -> LeakwatchError {
        LeakwatchError(
            code: error.isDiskFull ? .noSpace : .io, message: "\(what): \(error.message) (SQLite \(error.code))",
            path: error.path, cause: error)
    }
}
