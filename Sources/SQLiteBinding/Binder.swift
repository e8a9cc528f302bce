import Foundation
import GRDB
import GRDBSQLite

/// Runs a cached GRDB statement with its values bound one by one, straight
/// to SQLite: for the loops that write a row per version (the server's push,
/// the device's pull and save), where building GRDB's `StatementArguments`
/// (an array of boxed values per row) cost more than SQLite's own insert
/// (found profiling issue 13). The statement must be used only this way.
public struct Binder {
    let statement: SQLiteStatement
    var index: Int32 = 0
    var failure: Int32 = SQLITE_OK

    /// SQLite copies each value before the call returns.
    static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    public mutating func text(_ value: String) {
        index += 1
        var value = value
        let rc = value.withUTF8 { b in
            // An empty buffer may have no address: bind the empty text itself.
            b.count == 0 ? sqlite3_bind_text(statement, index, "", 0, Self.transient)
                         : sqlite3_bind_text(statement, index, b.baseAddress, Int32(b.count), Self.transient)
        }
        note(rc)
    }

    public mutating func text(_ value: String?) {
        if let value { text(value) } else { null() }
    }

    public mutating func int(_ value: Int64) {
        index += 1
        note(sqlite3_bind_int64(statement, index, value))
    }

    public mutating func int(_ value: Int) { int(Int64(value)) }

    public mutating func null() {
        index += 1
        note(sqlite3_bind_null(statement, index))
    }

    mutating func note(_ rc: Int32) {
        if rc != SQLITE_OK && failure == SQLITE_OK { failure = rc }
    }
}

extension Statement {
    /// Binds every parameter with `bind`, in order, and runs the statement
    /// to its end (an insert or update: rows it would return are an error).
    /// - Throws: `DatabaseError` with SQLite's code and message, never the values.
    public func run(_ db: Database, _ bind: (inout Binder) -> Void) throws {
        let s = sqliteStatement
        sqlite3_reset(s)
        var binder = Binder(statement: s)
        bind(&binder)
        guard binder.failure == SQLITE_OK else {
            throw DatabaseError(resultCode: ResultCode(rawValue: binder.failure), message: String(cString: sqlite3_errmsg(db.sqliteConnection)), sql: sql)
        }
        guard binder.index == sqlite3_bind_parameter_count(s) else {
            throw DatabaseError(message: "\(binder.index) values bound for \(sqlite3_bind_parameter_count(s)) parameters", sql: sql)
        }
        let rc = sqlite3_step(s)
        sqlite3_reset(s)
        guard rc == SQLITE_DONE else {
            throw DatabaseError(resultCode: ResultCode(rawValue: rc), message: String(cString: sqlite3_errmsg(db.sqliteConnection)), sql: sql)
        }
    }
}

extension Database {
    /// Rows per INSERT statement: one statement's own start and end (its
    /// constraint checks, its reset) cost about as much as a row's insert.
    public static let rowsPerInsert = 32

    /// Inserts `count` rows through `INSERT ... VALUES (...), (...)`, up to
    /// `rowsPerInsert` rows per statement, in order (rowids follow it);
    /// `bind` binds row `i`'s values, every column in `head`'s order.
    /// - Parameter head: `INSERT INTO table (column, ...)`, from code, never from input.
    public func insertRows(_ head: String, columns: Int, count: Int, bind: (inout Binder, Int) -> Void) throws {
        var start = 0
        while start < count {
            let end = min(start + Self.rowsPerInsert, count)
            try cachedStatement(sql: InsertSQL.text(head, columns: columns, rows: end - start)).run(self) { b in
                for i in start..<end { bind(&b, i) }
            }
            start = end
        }
    }
}

/// The text of each multi-row insert, made once per process.
private enum InsertSQL {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var made: [String: String] = [:]

    static func text(_ head: String, columns: Int, rows: Int) -> String {
        let key = "\(rows) \(head)"
        if let sql = lock.withLock({ made[key] }) { return sql }
        let row = "(" + Array(repeating: "?", count: columns).joined(separator: ", ") + ")"
        let sql = head + " VALUES " + Array(repeating: row, count: rows).joined(separator: ", ")
        lock.withLock { made[key] = sql }
        return sql
    }
}
