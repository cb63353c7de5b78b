import CSQLite

/// An error reported by SQLite: its result code (extended), SQLite's message, the statement and
/// the database file concerned.
public struct SQLiteError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The extended result code (`sqlite3_extended_errcode`), e.g. 2067 for a UNIQUE violation.
    public var code: Int32
    /// SQLite's message (`sqlite3_errmsg`).
    public var message: String
    /// The statement that failed, when one did.
    public var sql: String?
    /// The database file.
    public var path: String

    public init(code: Int32, message: String, sql: String? = nil, path: String) {
        self.code = code
        self.message = message
        self.sql = sql
        self.path = path
    }

    /// The primary result code (`SQLITE_BUSY`, `SQLITE_FULL`, `SQLITE_CORRUPT`, ...).
    public var primaryCode: Int32 { code & 0xFF }

    /// Whether the disk (or the file system quota) is full.
    public var isDiskFull: Bool { primaryCode == SQLITE_FULL }

    public var description: String {
        var text = "\(path): \(message) (SQLite \(code))"
        if let sql { text += " in: \(sql.prefix(120))" }
        return text
    }
}
