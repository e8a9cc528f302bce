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
    let (records, recordColumns) = storeRows(storePath)
    let versionCount = records.reduce(0) { $0 + $1.1.count }

    let plainSeconds = plainInsert(records, columns: recordColumns, into: work + "/plain.sqlite", versionsPerTransaction: 0)

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

    // A second device applying what a pull brings: the same versions in
    // pages of 2,000 (the pull's page), with their changesets' signatures and
    // the writer's key, beside plain SQLite inserting the same rows in
    // transactions of the same size.
    var pages: [[SequencedVersion]] = [], heads: [[ChangesetHead]] = []
    var seq: Int64 = 0
    for c in sets {
        if pages.isEmpty || pages[pages.count - 1].count >= 2000 { pages.append([]); heads.append([]) }
        for v in c.versions { seq += 1; pages[pages.count - 1].append(SequencedVersion(seq: seq, version: v)) }
        heads[heads.count - 1].append(ChangesetHead(site: c.site, seq: c.seq, count: Int64(c.entries.count), signature: c.signature))
    }
    let other = try Store(path: work + "/pulled.sqlite", create: true)
    try other.initialize(enumerator: "supervisor")
    try other.addForm(form)
    let keys = [identity.site.rawValue: identity.publicKey]
    var applied = 0
    let applySeconds = try seconds {
        for (page, h) in zip(pages, heads) {
            applied += try other.applyPulled(page, nextCursor: page.last!.seq, serverTime: Store.wallClock(), changesets: h, keys: keys)
        }
    }
    precondition(applied == versionCount, "every pulled version applied")
    let plainPageSeconds = plainInsert(records, columns: recordColumns, into: work + "/plain-pages.sqlite", versionsPerTransaction: 2000)
    print("")
    print("| work | versions/s | seconds |")
    print("|---|---:|---:|")
    print("| recolha applying pulled pages of 2,000 versions (records merged, signatures and key kept) | \(f(Double(applied) / applySeconds)) | \(f(applySeconds, 2)) |")
    print("| plain SQLite inserting the same rows, 2,000 versions per transaction | \(f(Double(versionCount) / plainPageSeconds)) | \(f(plainPageSeconds, 2)) |")
    print("applying costs \(f(applySeconds / plainPageSeconds, 2))x the plain insert; issue 13's target: at least 100000 versions/s")
}

/// Plain sqlite3 prepared statements inserting `records` (each row and its
/// versions) into a new store with the store's schema and pragmas, one
/// transaction per record (`versionsPerTransaction` 0) or per that many
/// versions. Returns the seconds it took.
/// Every record row of a store (all its columns) with its version rows, in
/// the order the records were made: what plain SQLite inserts as a limit.
func storeRows(_ storePath: String) -> (records: [([String?], [[String?]])], columns: Int32) {
    typealias Row = [String?]
    var records: [(Row, [Row])] = []
    var db: OpaquePointer?
    sqlite3_open(storePath, &db)
    var rs: OpaquePointer?, vs: OpaquePointer?
    // Every column the store has (its schema grows: review states, counters).
    sqlite3_prepare_v2(db, "SELECT * FROM records ORDER BY created_at", -1, &rs, nil)
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

func plainInsert(_ records: [([String?], [[String?]])], columns recordColumns: Int32, into plainPath: String,
                 versionsPerTransaction: Int) -> Double {
    var plain: OpaquePointer?
    sqlite3_open(plainPath, &plain)
    let schema = try! String(contentsOfFile: root + "/schema/store.sql", encoding: .utf8)
    sqlite3_exec(plain, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;", nil, nil, nil)
    sqlite3_exec(plain, schema, nil, nil, nil)
    sqlite3_exec(plain, "INSERT INTO forms SELECT * FROM (SELECT 'health_facility_assessment', '\(form.version)', 't', '{}', 0)", nil, nil, nil)
    var insertRecord: OpaquePointer?, insertVersion: OpaquePointer?
    let marks = Array(repeating: "?", count: Int(recordColumns)).joined(separator: ", ")
    guard sqlite3_prepare_v2(plain, "INSERT INTO records VALUES (\(marks))", -1, &insertRecord, nil) == SQLITE_OK else {
        fatalError("plain insert: \(String(cString: sqlite3_errmsg(plain)))")
    }
    sqlite3_prepare_v2(plain, "INSERT INTO versions (site_id, seq, record_id, form_id, form_version, field, value, clock_ms, clock_counter, parents, author) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", -1, &insertVersion, nil)
    func bind(_ s: OpaquePointer?, _ row: [String?]) {
        for (i, v) in row.enumerated() {
            if let v { sqlite3_bind_text(s, Int32(i + 1), v, -1, unsafeBitCast(-1, to: sqlite3_destructor_type.self)) }
            else { sqlite3_bind_null(s, Int32(i + 1)) }
        }
    }
    var failures = 0
    func step(_ s: OpaquePointer?) {
        if sqlite3_step(s) != SQLITE_DONE {
            if failures == 0 { FileHandle.standardError.write(Data("plain insert: \(String(cString: sqlite3_errmsg(plain)))\n".utf8)) }
            failures += 1
        }
        sqlite3_reset(s)
    }
    let t = seconds {
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
                // The device counters, as a save updates them.
                sqlite3_exec(plain, "UPDATE forms SET added_at = added_at + 1", nil, nil, nil)
                sqlite3_exec(plain, "COMMIT", nil, nil, nil)
            } else if inTransaction >= versionsPerTransaction {
                sqlite3_exec(plain, "COMMIT", nil, nil, nil)
                inTransaction = 0
            }
        }
        if versionsPerTransaction > 0 && inTransaction > 0 { sqlite3_exec(plain, "COMMIT", nil, nil, nil) }
    }
    sqlite3_finalize(insertRecord); sqlite3_finalize(insertVersion); sqlite3_close(plain)
    precondition(failures == 0, "plain inserts failed")
    return t
}
