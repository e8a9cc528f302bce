import Foundation
import Forms
import GRDBSQLite
import Store
import Sync

func storeBench() throws {
    print("\n## Store: saving surveys\nRecolha store benchmark: \(count) finalized flagship surveys, one transaction each (WAL, synchronous=FULL)")
    print("machine: \(ProcessInfo.processInfo.activeProcessorCount) cores, \(ProcessInfo.processInfo.operatingSystemVersionString)")

    let inputs = (0..<count).map(survey)
    let storePath = work + "/store.sqlite"
    let store = try Store(path: storePath, create: true)
    try store.initialize(enumerator: "bench")
    try store.addForm(form)

    let saveSeconds = try seconds {
        for a in inputs {
            try store.save(SaveRequest(form: form, answers: a, finalize: true))
        }
    }
    let storeRSS = peakRSSMiB()

    // The same rows, read back, inserted with plain sqlite3 prepared statements
    // into a store with the same schema and pragmas: the limit of this work.
    typealias Row = [String?]
    var records: [(Row, [Row])] = []
    var recordColumns: Int32 = 0
    do {
        var db: OpaquePointer?
        sqlite3_open(storePath, &db)
        var rs: OpaquePointer?, vs: OpaquePointer?
        // Every column the store has (its schema grows: review states, counters).
        sqlite3_prepare_v2(db, "SELECT * FROM records ORDER BY created_at", -1, &rs, nil)
        recordColumns = sqlite3_column_count(rs)
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
    }
    let versionCount = records.reduce(0) { $0 + $1.1.count }

    let plainPath = work + "/plain.sqlite"
    var plain: OpaquePointer?
    sqlite3_open(plainPath, &plain)
    let schema = try String(contentsOfFile: root + "/schema/store.sql", encoding: .utf8)
    sqlite3_exec(plain, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;", nil, nil, nil)
    sqlite3_exec(plain, schema, nil, nil, nil)
    sqlite3_exec(plain, "INSERT INTO forms SELECT * FROM (SELECT 'health_facility_assessment', '\(form.version)', 't', '{}', 0)", nil, nil, nil)
    var insertRecord: OpaquePointer?, insertVersion: OpaquePointer?
    let marks = Array(repeating: "?", count: Int(recordColumns)).joined(separator: ", ")
    guard sqlite3_prepare_v2(plain, "INSERT INTO records VALUES (\(marks))", -1, &insertRecord, nil) == SQLITE_OK else {
        fatalError("plain insert: \(String(cString: sqlite3_errmsg(plain)))")
    }
    sqlite3_prepare_v2(plain, "INSERT INTO versions (site_id, seq, record_id, form_id, form_version, field, value, clock_ms, clock_counter, parents, author) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", -1, &insertVersion, nil)
    func bind(_ s: OpaquePointer?, _ row: Row) {
        for (i, v) in row.enumerated() {
            if let v { sqlite3_bind_text(s, Int32(i + 1), v, -1, unsafeBitCast(-1, to: sqlite3_destructor_type.self)) }
            else { sqlite3_bind_null(s, Int32(i + 1)) }
        }
    }
    var failures = 0
    let plainSeconds = seconds {
        for (r, versions) in records {
            sqlite3_exec(plain, "BEGIN IMMEDIATE", nil, nil, nil)
            bind(insertRecord, r)
            if sqlite3_step(insertRecord) != SQLITE_DONE {
                if failures == 0 { FileHandle.standardError.write(Data("plain insert: \(String(cString: sqlite3_errmsg(plain)))\n".utf8)) }
                failures += 1
            }
            sqlite3_reset(insertRecord)
            for v in versions {
                bind(insertVersion, v)
                if sqlite3_step(insertVersion) != SQLITE_DONE {
                    if failures == 0 { FileHandle.standardError.write(Data("plain insert: \(String(cString: sqlite3_errmsg(plain)))\n".utf8)) }
                    failures += 1
                }
                sqlite3_reset(insertVersion)
            }
            // The device counters, as a save updates them.
            sqlite3_exec(plain, "UPDATE forms SET added_at = added_at + 1", nil, nil, nil)
            sqlite3_exec(plain, "COMMIT", nil, nil, nil)
        }
    }
    sqlite3_finalize(insertRecord); sqlite3_finalize(insertVersion); sqlite3_close(plain)
    precondition(failures == 0, "plain inserts failed")

    let saveRate = Double(count) / saveSeconds
    let plainRate = Double(count) / plainSeconds
    func f(_ x: Double, _ d: Int = 0) -> String { String(format: "%.\(d)f", x) }
    print("")
    print("| work | surveys/s | versions/s | ms per survey |")
    print("|---|---:|---:|---:|")
    print("| recolha save (validate, calculate, diff, versions, record, counters) | \(f(saveRate)) | \(f(Double(versionCount) / saveSeconds)) | \(f(1000 / saveRate, 3)) |")
    print("| plain SQLite, same rows, one transaction per survey | \(f(plainRate)) | \(f(Double(versionCount) / plainSeconds)) | \(f(1000 / plainRate, 3)) |")
    print("")
    print("versions per survey: \(f(Double(versionCount) / Double(count), 1)); save costs \(f(plainRate / saveRate, 2))x the plain insert (issue 13's target: 1.5x)")
    print("peak RSS after saving: \(f(storeRSS, 1)) MiB")

    // Signing and verifying, beside the save they are part of.
    let sets = try store.pendingChangesets(limit: .max, maxBytes: .max, includeDrafts: true)
    let identity = try store.identity().current
    let encodeSeconds = seconds { for c in sets { _ = c.signedBytes } }
    let signSeconds = seconds { for c in sets { _ = c.signed(by: identity) } }
    var bad = 0
    let verifySeconds = seconds { for c in sets where !c.verify(publicKey: identity.publicKey) { bad += 1 } }
    precondition(bad == 0 && sets.count == count, "every saved survey is one changeset that verifies")
    print("")
    print("| work per survey (\(f(Double(versionCount) / Double(count), 1)) versions) | ms | share of a save |")
    print("|---|---:|---:|")
    let perSave = saveSeconds / Double(count) * 1000
    for (name, t) in [("canonical encoding", encodeSeconds), ("encoding + Ed25519 signature (the save's signing step)", signSeconds),
                      ("encoding + Ed25519 verification (the server's check)", verifySeconds)] {
        let ms = t / Double(count) * 1000
        print("| \(name) | \(f(ms, 3)) | \(f(ms / perSave * 100, 1))% |")
    }
    print("a save unsigned would cost about \(f(perSave - signSeconds / Double(count) * 1000, 3)) ms; signed it costs \(f(perSave, 3)) ms")

}
