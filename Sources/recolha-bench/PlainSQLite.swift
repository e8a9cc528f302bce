import Foundation
import GRDBSQLite
import Store

/// Every record row of a store (all its columns) with its version rows, in
/// the order the records were made: what plain SQLite inserts as a limit.
/// - Parameter ids: only these records (all when nil).
func storeRows(_ storePath: String, ids: [String]? = nil) -> (records: [([String?], [[String?]])], columns: Int32) {
    typealias Row = [String?]
    var records: [(Row, [Row])] = []
    var db: OpaquePointer?
    sqlite3_open(storePath, &db)
    var rs: OpaquePointer?, vs: OpaquePointer?
    // Every column the store has (its schema grows: review states, counters).
    if let ids {
        sqlite3_prepare_v2(db, "SELECT * FROM records WHERE id IN (SELECT value FROM json_each(?)) ORDER BY created_at", -1, &rs, nil)
        let list = String(data: try! JSONSerialization.data(withJSONObject: ids), encoding: .utf8)!
        sqlite3_bind_text(rs, 1, list, -1, unsafeBitCast(-1, to: sqlite3_destructor_type.self))
    } else {
        sqlite3_prepare_v2(db, "SELECT * FROM records ORDER BY created_at", -1, &rs, nil)
    }
    let recordColumns = sqlite3_column_count(rs)
    sqlite3_prepare_v2(db, "SELECT site_id, seq, record_id, form_id, form_version, field, value, clock_ms, clock_counter, parents, author FROM versions WHERE record_id = ?", -1, &vs, nil)
    func row(_ s: OpaquePointer?, _ n: Int32) -> Row {
        (0..<n).map { i in sqlite3_column_text(s, i).map { String(cString: $0) } }
    }
    while sqlite3_step(rs) == SQLITE_ROW {
        let r = row(rs, recordColumns)
        sqlite3_bind_text(vs, 1, r[0], -1, unsafeBitCast(-1, to: sqlite3_destructor_type.self))
        var versions: [Row] = []
        while sqlite3_step(vs) == SQLITE_ROW { versions.append(row(vs, 11)) }
        sqlite3_reset(vs)
        records.append((r, versions))
    }
    sqlite3_finalize(rs); sqlite3_finalize(vs); sqlite3_close(db)
    return (records, recordColumns)
}

/// A store with Recolha's schema and pragmas written by plain sqlite3
/// prepared statements: the limit of the same work.
final class PlainStore {
    private var db: OpaquePointer?
    private var insertRecord: OpaquePointer?, insertVersion: OpaquePointer?
    private var failures = 0

    init(path: String) {
        sqlite3_open(path, &db)
        let schema = try! String(contentsOfFile: root + "/schema/store.sql", encoding: .utf8)
        sqlite3_exec(db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;", nil, nil, nil)
        sqlite3_exec(db, schema, nil, nil, nil)
        // The store's own page cache, so both sides read and write alike.
        sqlite3_exec(db, Store.cachePragma, nil, nil, nil)
        sqlite3_exec(db, "INSERT INTO forms SELECT * FROM (SELECT 'health_facility_assessment', '\(form.version)', 't', '{}', 0)", nil, nil, nil)
        sqlite3_prepare_v2(db, "INSERT INTO versions (site_id, seq, record_id, form_id, form_version, field, value, clock_ms, clock_counter, parents, author) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", -1, &insertVersion, nil)
    }

    deinit {
        sqlite3_finalize(insertRecord); sqlite3_finalize(insertVersion); sqlite3_close(db)
        precondition(failures == 0, "plain inserts failed")
    }

    /// Inserts `records` (each row and its versions), one transaction per
    /// record (`versionsPerTransaction` 0, with the device counters a save
    /// updates) or per that many versions. Returns the seconds it took.
    func insert(_ records: [([String?], [[String?]])], columns recordColumns: Int32, versionsPerTransaction: Int) -> Double {
        if insertRecord == nil {
            let marks = Array(repeating: "?", count: Int(recordColumns)).joined(separator: ", ")
            guard sqlite3_prepare_v2(db, "INSERT INTO records VALUES (\(marks))", -1, &insertRecord, nil) == SQLITE_OK else {
                fatalError("plain insert: \(String(cString: sqlite3_errmsg(db)))")
            }
        }
        let plain = db
        func bind(_ s: OpaquePointer?, _ row: [String?]) {
            for (i, v) in row.enumerated() {
                if let v { sqlite3_bind_text(s, Int32(i + 1), v, -1, unsafeBitCast(-1, to: sqlite3_destructor_type.self)) }
                else { sqlite3_bind_null(s, Int32(i + 1)) }
            }
        }
        func step(_ s: OpaquePointer?) {
            if sqlite3_step(s) != SQLITE_DONE {
                if failures == 0 { FileHandle.standardError.write(Data("plain insert: \(String(cString: sqlite3_errmsg(plain)))\n".utf8)) }
                failures += 1
            }
            sqlite3_reset(s)
        }
        let insertRecord = insertRecord, insertVersion = insertVersion
        return seconds {
            var inTransaction = 0
            for (r, versions) in records {
                if versionsPerTransaction == 0 || inTransaction == 0 { sqlite3_exec(plain, "BEGIN IMMEDIATE", nil, nil, nil) }
                bind(insertRecord, r)
                step(insertRecord)
                for v in versions {
                    bind(insertVersion, v)
                    step(insertVersion)
                }
                inTransaction += versions.count
                if versionsPerTransaction == 0 {
                    sqlite3_exec(plain, "UPDATE forms SET added_at = added_at + 1", nil, nil, nil)
                    sqlite3_exec(plain, "COMMIT", nil, nil, nil)
                } else if inTransaction >= versionsPerTransaction {
                    sqlite3_exec(plain, "COMMIT", nil, nil, nil)
                    inTransaction = 0
                }
            }
            if versionsPerTransaction > 0 && inTransaction > 0 { sqlite3_exec(plain, "COMMIT", nil, nil, nil) }
        }
    }
}

/// `records` into a new plain store at `plainPath`; the seconds it took.
func plainInsert(_ records: [([String?], [[String?]])], columns recordColumns: Int32, into plainPath: String,
                 versionsPerTransaction: Int) -> Double {
    PlainStore(path: plainPath).insert(records, columns: recordColumns, versionsPerTransaction: versionsPerTransaction)
}
