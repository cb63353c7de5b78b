import CSQLite

/// A prepared statement: the single owner of a `sqlite3_stmt`, finalized in `deinit`.
///
/// Belongs to its `SQLiteConnection` and is used only by whoever holds that connection.
public final class SQLiteStatement {
    let handle: OpaquePointer
    /// The SQL text, for error messages.
    public let sql: String
    private unowned let connection: SQLiteConnection

    init(connection: SQLiteConnection, sql: String) throws(SQLiteError) {
        var statement: OpaquePointer?
        let rc = sqlite3_prepare_v3(connection.handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
        guard rc == SQLITE_OK, let statement else {
            throw connection.error(sql: sql)
        }
        self.handle = statement
        self.sql = sql
        self.connection = connection
    }

    deinit {
        sqlite3_finalize(handle)
    }

    /// Resets the statement and binds `values` to its parameters `?1 ... ?N`.
    public func bind(_ values: [any SQLiteBindable]) throws(SQLiteError) {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
        for (offset, value) in values.enumerated() {
            let index = Int32(offset + 1)
            let rc: Int32
            switch value.sqliteValue {
            case .null: rc = sqlite3_bind_null(handle, index)
            case .integer(let number): rc = sqlite3_bind_int64(handle, index, number)
            case .real(let number): rc = sqlite3_bind_double(handle, index, number)
            case .text(let text): rc = sqlite3_bind_text(handle, index, text, -1, csqlite_transient())
            case .blob(let bytes):
                rc = bytes.withUnsafeBytes { raw in
                    sqlite3_bind_blob(handle, index, raw.baseAddress, Int32(raw.count), csqlite_transient())
                }
            }
            guard rc == SQLITE_OK else { throw connection.error(sql: sql) }
        }
    }

    /// Steps once: `true` when a row is ready to read, `false` when the statement is done.
    public func step() throws(SQLiteError) -> Bool {
        let rc = sqlite3_step(handle)
        switch rc {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default:
            let error = connection.error(sql: sql)
            sqlite3_reset(handle)
            throw error
        }
    }

    /// Binds, runs to completion, and resets: for statements that return no rows.
    public func run(_ values: any SQLiteBindable...) throws(SQLiteError) {
        try bind(values)
        while try step() {}
        sqlite3_reset(handle)
    }

    /// Binds and calls `row` for every result row, then resets.
    public func forEach(_ values: [any SQLiteBindable] = [], _ row: (SQLiteRow) throws(SQLiteError) -> Void)
        throws(SQLiteError)
    {
        try bind(values)
        defer { sqlite3_reset(handle) }
        while try step() { try row(SQLiteRow(statement: self)) }
    }

    /// Binds and maps every result row.
    public func map<T>(_ values: any SQLiteBindable..., transform: (SQLiteRow) throws(SQLiteError) -> T)
        throws(SQLiteError) -> [T]
    {
        var out: [T] = []
        try forEach(values) { row throws(SQLiteError) in out.append(try transform(row)) }
        return out
    }

    /// Binds and returns the first row mapped, or nil when there is none.
    public func first<T>(_ values: any SQLiteBindable..., transform: (SQLiteRow) throws(SQLiteError) -> T)
        throws(SQLiteError) -> T?
    {
        try bind(values)
        defer { sqlite3_reset(handle) }
        guard try step() else { return nil }
        return try transform(SQLiteRow(statement: self))
    }
}

/// The current row of a statement, read by 0-based column index.
public struct SQLiteRow {
    let statement: SQLiteStatement

    public func isNull(_ column: Int) -> Bool {
        sqlite3_column_type(statement.handle, Int32(column)) == SQLITE_NULL
    }

    public func int64(_ column: Int) -> Int64 {
        sqlite3_column_int64(statement.handle, Int32(column))
    }

    public func int(_ column: Int) -> Int {
        Int(int64(column))
    }

    /// An integer column, nil when NULL.
    public func optionalInt(_ column: Int) -> Int? {
        isNull(column) ? nil : int(column)
    }

    /// The 64 bits of an integer column as unsigned (see `UInt64.sqliteValue`).
    public func uint64(_ column: Int) -> UInt64 {
        UInt64(bitPattern: int64(column))
    }

    public func double(_ column: Int) -> Double {
        sqlite3_column_double(statement.handle, Int32(column))
    }

    /// A text column ("" when NULL).
    public func text(_ column: Int) -> String {
        guard let pointer = sqlite3_column_text(statement.handle, Int32(column)) else { return "" }
        let count = Int(sqlite3_column_bytes(statement.handle, Int32(column)))
        return String(decoding: UnsafeBufferPointer(start: pointer, count: count), as: UTF8.self)
    }

    /// A text column, nil when NULL.
    public func optionalText(_ column: Int) -> String? {
        isNull(column) ? nil : text(column)
    }

    public func blob(_ column: Int) -> [UInt8] {
        let count = Int(sqlite3_column_bytes(statement.handle, Int32(column)))
        guard count > 0, let pointer = sqlite3_column_blob(statement.handle, Int32(column)) else { return [] }
        return Array(UnsafeRawBufferPointer(start: pointer, count: count))
    }
}
