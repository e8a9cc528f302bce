import Foundation
import GRDB
import RecolhaTesting
import SQLiteBinding
import Testing

/// Multi-row inserts write every row once, in order, whatever the count
/// against the rows per statement, and refuse what SQLite refuses.
@Suite struct InsertRowsTests {
    @Test(arguments: [0, 1, Database.rowsPerInsert - 1, Database.rowsPerInsert, Database.rowsPerInsert + 1, 3 * Database.rowsPerInsert + 7])
    func everyRowOnceInOrder(count: Int) throws {
        let db = try DatabaseQueue()
        try db.write { db in
            try db.execute(sql: "CREATE TABLE t (n INTEGER PRIMARY KEY, label TEXT NOT NULL, note TEXT)")
            try db.insertRows("INSERT INTO t (label, note)", columns: 2, count: count) { b, i in
                b.text("row \(i)")
                if i % 3 == 0 { b.null() } else { b.text("é\(i)") }
            }
            let rows = try Row.fetchAll(db, sql: "SELECT n, label, note FROM t ORDER BY n")
            #expect(rows.count == count)
            for (i, r) in rows.enumerated() {
                #expect(r[0] as Int == i + 1 && r[1] as String == "row \(i)")
                #expect(r[2] as String? == (i % 3 == 0 ? nil : "é\(i)"))
            }
        }
    }

    @Test func aRefusedRowThrowsWithoutItsValues() throws {
        let db = try DatabaseQueue()
        try db.write { db in
            try db.execute(sql: "CREATE TABLE t (label TEXT NOT NULL)")
            let error = #expect(throws: DatabaseError.self) {
                try db.insertRows("INSERT INTO t (label)", columns: 1, count: 40) { b, i in
                    if i == 35 { b.null() } else { b.text("secret \(i)") }
                }
            }
            #expect(error?.resultCode == .SQLITE_CONSTRAINT)
            #expect(!(error?.description.contains("secret") ?? true))
        }
    }
}
