import CSQLite

/// A connection to an SQLite database: the single owner of a `sqlite3` handle, closed in
/// `deinit` after its cached statements are finalized.
///
/// Not `Sendable`: one owner uses it at a time (the state database keeps it behind a `Mutex`).
/// So SQLite is opened in multi-thread mode (`SQLITE_OPEN_NOMUTEX`): it does not lock the
/// connection again on every call.
public final class SQLiteConnection {
    /// How to open the file.
    public enum Mode: Sendable {
        /// Read and write, creating the file when it does not exist.
        case readWriteCreate
        /// Read and write an existing file.
        case readWrite
        /// Read only.
        case readOnly
    }

    let handle: OpaquePointer
    /// The database file (`:memory:` for an in-memory database).
    public let path: String
    private var cache: [String: SQLiteStatement] = [:]
    /// The multi-row statements of `insert(_:row:_:)`, found without writing their SQL out again.
    private var multiRowCache: [MultiRowKey: SQLiteStatement] = [:]

    private struct MultiRowKey: Hashable {
        var head: String
        var row: String
        var rows: Int
    }

    /// Opens `path` with `sqlite3_open_v2`, with extended result codes on.
    public init(path: String, mode: Mode = .readWriteCreate) throws(SQLiteError) {
        _ = Self.processConfigured
        var flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW
        switch mode {
        case .readWriteCreate: flags |= SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE
        case .readWrite: flags |= SQLITE_OPEN_READWRITE
        case .readOnly: flags |= SQLITE_OPEN_READONLY
        }
        var db: OpaquePointer?
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(rc))
            if let db { sqlite3_close_v2(db) }
            throw SQLiteError(code: rc, message: message, path: path)
        }
        sqlite3_extended_result_codes(db, 1)
        self.handle = db
        self.path = path
    }

    /// Process-wide settings, made once before the first connection opens (SQLite takes them
    /// only before it is initialized): no statistics on its own memory use, whose global mutex
    /// every allocation would otherwise take.
    private static let processConfigured: Void = { _ = csqlite_disable_memory_statistics() }()

    deinit {
        cache.removeAll()  // finalize every statement before closing
        multiRowCache.removeAll()
        sqlite3_close_v2(handle)
    }

    /// The error SQLite holds for this connection now.
    func error(sql: String?) -> SQLiteError {
        SQLiteError(
            code: sqlite3_extended_errcode(handle), message: String(cString: sqlite3_errmsg(handle)), sql: sql,
            path: path)
    }

    /// Runs one or more statements that return no rows (`sqlite3_exec`).
    public func execute(_ sql: String) throws(SQLiteError) {
        var message: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(handle, sql, nil, nil, &message)
        guard rc == SQLITE_OK else {
            let text = message.map { String(cString: $0) } ?? String(cString: sqlite3_errstr(rc))
            sqlite3_free(message)
            throw SQLiteError(code: sqlite3_extended_errcode(handle), message: text, sql: sql, path: path)
        }
    }

    /// A prepared statement for `sql`, compiled once and reused (reset before each use).
    public func statement(_ sql: String) throws(SQLiteError) -> SQLiteStatement {
        if let cached = cache[sql] { return cached }
        let statement = try SQLiteStatement(connection: self, sql: sql)
        cache[sql] = statement
        return statement
    }

    /// Runs `sql` with `values` (no rows returned).
    public func run(_ sql: String, _ values: any SQLiteBindable...) throws(SQLiteError) {
        let statement = try statement(sql)
        try statement.bind(values)
        while try statement.step() {}
        try statement.bind([])
    }

    /// The most rows one `insert(_:row:_:)` statement takes.
    public static let rowsPerInsert = 32

    /// Inserts `rows` with a few multi-row statements rather than one statement each (32 rows,
    /// then 16, 8, ... for the rest), in order: `head` is the statement up to its rows
    /// (`INSERT INTO t(a, b, c) VALUES`), `row` one row, with an anonymous `?` for each of its
    /// values (`(?, ?, 'x')`). Each element of `rows` is one row's values.
    public func insert(_ head: String, row: String, _ rows: [[any SQLiteBindable]]) throws(SQLiteError) {
        var start = 0
        var values: [any SQLiteBindable] = []
        while start < rows.count {
            var size = Self.rowsPerInsert
            while size > rows.count - start { size /= 2 }
            let key = MultiRowKey(head: head, row: row, rows: size)
            let statement: SQLiteStatement
            if let cached = multiRowCache[key] {
                statement = cached
            } else {
                statement = try self.statement(head + " " + repeatElement(row, count: size).joined(separator: ", "))
                multiRowCache[key] = statement
            }
            values.removeAll(keepingCapacity: true)
            for one in rows[start..<(start + size)] { values.append(contentsOf: one) }
            try statement.bind(values)
            while try statement.step() {}
            try statement.bind([])
            start += size
        }
    }

    /// The value of a single-value query, as text (nil when there is no row or it is NULL).
    public func scalarText(_ sql: String, _ values: any SQLiteBindable...) throws(SQLiteError) -> String? {
        let statement = try statement(sql)
        try statement.bind(values)
        defer { try? statement.bind([]) }
        guard try statement.step() else { return nil }
        return SQLiteRow(statement: statement).optionalText(0)
    }

    /// The value of a single-value query, as an integer (nil when there is no row or it is NULL).
    public func scalarInt(_ sql: String, _ values: any SQLiteBindable...) throws(SQLiteError) -> Int? {
        let statement = try statement(sql)
        try statement.bind(values)
        defer { try? statement.bind([]) }
        guard try statement.step() else { return nil }
        return SQLiteRow(statement: statement).optionalInt(0)
    }

    /// Runs `body` in a transaction (`BEGIN IMMEDIATE`, so the write lock is taken at once):
    /// committed when it returns, rolled back when it throws.
    public func transaction<T>(_ body: () throws -> T) throws -> T {
        try enclosing(body, begin: "BEGIN IMMEDIATE", end: "COMMIT", undo: "ROLLBACK")
    }

    /// Runs `body` in a savepoint, within the transaction that is open: released (kept, to be
    /// committed with that transaction) when it returns, rolled back to where it began when it
    /// throws.
    public func savepoint<T>(_ body: () throws -> T) throws -> T {
        try enclosing(body, begin: "SAVEPOINT body", end: "RELEASE body", undo: "ROLLBACK TO body; RELEASE body")
    }

    private func enclosing<T>(_ body: () throws -> T, begin: String, end: String, undo: String) throws -> T {
        try execute(begin)
        do {
            let value = try body()
            try execute(end)
            return value
        } catch {
            try? execute(undo)
            throw error
        }
    }

    /// The rowid of the last row inserted on this connection.
    public var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }

    /// Rows changed by the last statement.
    public var changes: Int { Int(sqlite3_changes(handle)) }

    /// Rows changed by every statement since the connection opened.
    public var totalChanges: Int { Int(sqlite3_total_changes64(handle)) }

    /// Whether the connection is inside a transaction.
    public var isInTransaction: Bool { sqlite3_get_autocommit(handle) == 0 }

    /// The SQLite library version, e.g. `3.40.1`.
    public static var libraryVersion: String { String(cString: sqlite3_libversion()) }
}
