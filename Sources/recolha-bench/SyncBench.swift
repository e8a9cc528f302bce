import Foundation
import Forms
import GRDB
import GRDBSQLite
import Gzip
import Store
import Sync
import SyncClient

/// Push and pull of `count` flagship surveys over loopback through the real
/// binaries, beside curl sending the same bytes and plain SQLite inserting
/// the same rows; then the time of a one-version sync with 1,000 and 100,000
/// records in the store.
struct SyncBench {
    var storeSizes = true
    let bin = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().path
    var recolha: String { bin + "/recolha" }
    var serverBinary: String { bin + "/recolha-server" }

    func must(_ r: ChildRun, _ what: String) throws -> ChildRun {
        guard r.status == 0 else { throw BenchError("\(what) failed (exit \(r.status)): \(r.stdout)") }
        return r
    }

    func device(_ name: String, user: String, url: String) throws -> String {
        let path = work + "/\(name).sqlite"
        _ = try must(runChild(recolha, ["init", "--enumerator", user, "--store", path]), "init")
        _ = try must(runChild(recolha, ["login", "--server", url, "--user", user, "--password-stdin", "--store", path],
                              input: "\(user)-bench-password\n"), "login")
        return path
    }

    /// `recolha-server serve` on the data folder, at a port the system picks.
    func serve(_ data: String) throws -> (server: Process, url: String, port: Int) {
        let server = Process()
        server.executableURL = URL(fileURLWithPath: serverBinary)
        server.arguments = ["serve", "--data", data, "--port", "0"]
        let out = Pipe()
        server.standardOutput = out
        server.standardError = FileHandle.nullDevice
        try server.run()
        var line = ""
        while !line.contains("listening on") { line += String(decoding: out.fileHandleForReading.availableData, as: UTF8.self) }
        // The line saying where it listens (a line naming the console may follow in the same read).
        let listening = line.split(separator: "\n").first { $0.contains("listening on") }!
        let url = String(listening.split(separator: " ").last!).trimmingCharacters(in: .whitespacesAndNewlines)
        return (server, url, Int(url.split(separator: ":").last!)!)
    }

    func run() throws {
        print("\n## Sync: \(count) flagship surveys over loopback (release binaries, gzip, push batches of \(SyncOptions().pushBatch) versions)")
        let data = work + "/server"
        _ = try must(runChild(serverBinary, ["init", "--data", data]), "server init")
        for (user, role) in [("ana", "enumerator"), ("sara", "supervisor"), ("bento", "enumerator")] {
            _ = try must(runChild(serverBinary, ["users", "add", user, "--role", role, "--password-stdin", "--data", data],
                                  input: "\(user)-bench-password\n"), "users add")
        }
        _ = try must(runChild(serverBinary, ["forms", "publish", root + "/schema/forms/health_facility_assessment.json", "--data", data]), "publish")
        let (server, url, port) = try serve(data)
        defer { server.terminate(); server.waitUntilExit() }

        // Device A captures `count` surveys offline.
        let a = try device("a", user: "ana", url: url)
        _ = try must(runChild(recolha, ["sync", "--store", a]), "first sync")
        let store = try Store(path: a)
        for n in 0..<count { try store.save(SaveRequest(form: form, answers: survey(n), finalize: true)) }
        let versions = try store.status().unsent
        let pending = try store.pendingChangesets(limit: versions, maxBytes: Int.max, includeDrafts: false)

        let push = try must(runChild(recolha, ["sync", "--store", a]), "push")
        let serverAfterPush = peakRSSMiB(pid: server.processIdentifier)
        let b = try device("b", user: "sara", url: url)
        let pull = try must(runChild(recolha, ["sync", "--store", b]), "pull")
        let serverPeak = peakRSSMiB(pid: server.processIdentifier)
        let pulled = try Store(path: b).status()
        guard pulled.records["finalized"] == count else { throw BenchError("the pulling device holds \(pulled.records) records") }

        // The limit of the transfer: curl sends the same gzip bodies, in one
        // process with keep-alive, to the same server (an unrouted path).
        let encoder = JSONEncoder()
        var config = ""
        var bytes = 0
        // The client's batches: changesets up to SyncOptions' pushBatch versions
        // (its byte budget is not reached by the flagship before that).
        let perBatch = SyncOptions().pushBatch
        var batches: [[Changeset]] = [[]]
        var inBatch = 0
        for c in pending {
            if inBatch + c.entries.count > perBatch && !batches[batches.count - 1].isEmpty { batches.append([]); inBatch = 0 }
            batches[batches.count - 1].append(c)
            inBatch += c.entries.count
        }
        for (i, batch) in batches.enumerated() {
            // The body the device sends: protobuf, or JSON for a batch too big for it.
            let request = PushRequest(changesets: batch)
            let body = try Gzip.compress(request.protobuf() ?? encoder.encode(request))
            bytes += body.count
            let file = work + "/batch\(i).gz"
            try body.write(to: URL(fileURLWithPath: file))
            config += "\(i == 0 ? "" : "next\n")url = \"http://127.0.0.1:\(port)/v1/bench-sink\"\nrequest = \"POST\"\ndata-binary = \"@\(file)\"\nheader = \"Content-Encoding: gzip\"\noutput = \"/dev/null\"\nsilent\n"
        }
        try config.write(toFile: work + "/curl.cfg", atomically: true, encoding: .utf8)
        let curl = try must(runChild("/usr/bin/curl", ["-K", work + "/curl.cfg"]), "curl")

        // The limit of the server's writes: plain SQLite writing the same
        // rows into the same tables as the server (each changeset's record,
        // versions and signature, with the server's indexes), one transaction
        // per push batch.
        let plain = try DatabaseQueue(path: work + "/plain-server.sqlite")
        try plain.write { db in
            try db.execute(sql: "PRAGMA journal_mode = WAL")
        }
        try plain.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
            try db.execute(sql: """
                CREATE TABLE records (id TEXT PRIMARY KEY, owner TEXT NOT NULL, form_id TEXT NOT NULL, created_at INTEGER NOT NULL);
                CREATE INDEX records_owner ON records (owner);
                CREATE TABLE versions (seq INTEGER PRIMARY KEY AUTOINCREMENT, site_id TEXT NOT NULL, site_seq INTEGER NOT NULL,
                record_id TEXT NOT NULL REFERENCES records (id), form_id TEXT NOT NULL, form_version TEXT NOT NULL, field TEXT NOT NULL, value TEXT,
                clock_ms INTEGER NOT NULL, clock_counter INTEGER NOT NULL, parents TEXT NOT NULL, author TEXT NOT NULL,
                pushed_by TEXT NOT NULL, received_at INTEGER NOT NULL, UNIQUE (site_id, site_seq));
                CREATE INDEX versions_record ON versions (record_id);
                CREATE TABLE changesets (site_id TEXT NOT NULL, seq INTEGER NOT NULL, count INTEGER NOT NULL, signature TEXT NOT NULL,
                carried_by TEXT NOT NULL, received_at INTEGER NOT NULL, PRIMARY KEY (site_id, seq)) WITHOUT ROWID;
                """)
        }
        let sqliteSeconds = try seconds {
            for batch in batches {
                try plain.write { db in
                    let record = try db.cachedStatement(sql: "INSERT OR IGNORE INTO records (id, owner, form_id, created_at) VALUES (?, ?, ?, ?)")
                    let stmt = try db.cachedStatement(sql: "INSERT INTO versions (site_id, site_seq, record_id, form_id, form_version, field, value, clock_ms, clock_counter, parents, author, pushed_by, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
                    let signature = try db.cachedStatement(sql: "INSERT INTO changesets (site_id, seq, count, signature, carried_by, received_at) VALUES (?, ?, ?, ?, ?, ?)")
                    for c in batch {
                        try record.execute(arguments: [c.record, c.author, c.form, 0])
                        for v in c.versions {
                            try stmt.execute(arguments: [v.id.site.rawValue, v.id.seq, v.record, v.form, v.formVersion, v.field, v.value,
                                                         v.clock.ms, v.clock.counter, v.parents.map(\.description).joined(separator: " "), v.author, "ana", 0])
                        }
                        try signature.execute(arguments: [c.site.rawValue, c.seq, c.entries.count, c.signature, "device", 0])
                    }
                }
            }
        }

        // The limit of the pull's writes: plain SQLite inserting the rows the
        // pulling device holds afterwards into a store of the same schema,
        // a pull page's versions per transaction. The pull's
        // transfer is left out of its limit: curl moves the push's bytes in
        // a few hundredths of a second, and the pull's are of that size.
        let (pulledRows, pulledColumns) = storeRows(b)
        let pullLimit = plainInsert(pulledRows, columns: pulledColumns, into: work + "/plain-pull.sqlite", versionsPerTransaction: pullPage)

        func f(_ x: Double, _ d: Int = 0) -> String { String(format: "%.\(d)f", x) }
        let n = Double(versions)
        print("versions: \(versions) in \(pending.count) changesets (\(f(Double(bytes) / 1_048_576, 1)) MiB gzip on the wire for the push)")
        print("")
        print("| work | seconds | versions/s | peak RSS |")
        print("|---|---:|---:|---:|")
        print("| `recolha sync` push (client) | \(f(push.seconds, 2)) | \(f(n / push.seconds)) | client \(f(push.peakRSSMiB, 1)) MiB |")
        print("| `recolha sync` pull (client, a second device) | \(f(pull.seconds, 2)) | \(f(n / pull.seconds)) | client \(f(pull.peakRSSMiB, 1)) MiB |")
        print("| server during push / after pull | | | \(f(serverAfterPush, 1)) / \(f(serverPeak, 1)) MiB |")
        print("| curl sending the same gzip bodies (one process, keep-alive) | \(f(curl.seconds, 2)) | \(f(n / curl.seconds)) | \(f(curl.peakRSSMiB, 1)) MiB |")
        print("| plain SQLite writing the same rows into the server's tables, one transaction per batch | \(f(sqliteSeconds, 2)) | \(f(n / sqliteSeconds)) | |")
        print("| plain SQLite writing the pulled rows into a device's tables, \(pullPage) versions per transaction | \(f(pullLimit, 2)) | \(f(n / pullLimit)) | |")
        print("")
        print("push costs \(f(push.seconds / (curl.seconds + sqliteSeconds), 2))x curl's transfer plus plain SQLite's inserts of the same work")
        print("pull costs \(f(pull.seconds / pullLimit, 2))x plain SQLite's inserts of the same rows on the device (issue 13's target for both: 2x)")

        if storeSizes { try storeSizeBench(url: url) }
    }

    /// A sync that moves one version must not grow with the store.
    func storeSizeBench(url: String) throws {
        print("\n## Sync of one version vs records in the store (median of 5, `recolha sync --include-drafts` wall time)")
        print("")
        print("| records in the store | versions in the store | seconds per sync |")
        print("|---:|---:|---:|")
        var exports: [String] = []
        var commands: [String: [Double]] = [:]  // command -> median seconds at 1,000 and at 100,000 records
        let commandOrder = ["list", "status", "show", "edit --set"]
        for records in [1_000, 100_000] {
            let path = try device("size\(records)", user: "bento", url: url)
            _ = try must(runChild(recolha, ["sync", "--store", path]), "first sync")
            let store = try Store(path: path)
            let seedSite = "00000000000000\(records == 1_000 ? "01" : "02")"
            let answers = [("_status", "\"draft\"")] + survey(0).values.filter { !$0.key.contains("[") }.map { ($0.key, $0.value.json) }
            try store.write { db in
                let rec = try db.makeStatement(sql: "INSERT INTO records (id, form_id, form_version, status, deleted, answers, conflicts, author, device, created_at, updated_at) VALUES (?, 'health_facility_assessment', ?, 'draft', 0, ?, 0, 'bento', ?, 0, 0)")
                // The filler records hold their ten answers, so an export has rows to write.
                let filled = "{" + answers.prefix(10).filter { !$0.0.hasPrefix("_") }
                    .map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") + "}"
                let ver = try db.makeStatement(sql: "INSERT INTO versions (site_id, seq, record_id, form_id, form_version, field, value, clock_ms, clock_counter, parents, author, acked) VALUES (?, ?, ?, 'health_facility_assessment', ?, ?, ?, 1, 0, '', 'bento', 1)")
                var seq: Int64 = 0
                for _ in 0..<(records - 1) {
                    let id = UUID().uuidString.lowercased()
                    try rec.execute(arguments: [id, form.version, filled, seedSite])
                    for (field, value) in answers.prefix(10) {
                        seq += 1
                        try ver.execute(arguments: [seedSite, seq, id, form.version, field, value])
                    }
                }
            }
            // The record edited: a whole survey; the others are filler drafts.
            let target = try store.save(SaveRequest(form: form, answers: survey(1))).record
            _ = try must(runChild(recolha, ["sync", "--store", path, "--include-drafts"]), "sync of the target")
            var times: [Double] = []
            for i in 0..<5 {
                var a = try store.record(target).answers
                a["isolation_beds"] = .integer(200 + i)
                try store.save(SaveRequest(record: target, form: form, answers: a, touched: ["isolation_beds"]))
                let run = try must(runChild(recolha, ["sync", "--store", path, "--json", "--include-drafts"]), "sync")
                guard run.stdout.contains("\"sent\" : 1") || run.stdout.contains("\"sent\": 1") else { throw BenchError("expected one version sent: \(run.stdout)") }
                times.append(run.seconds)
            }
            let median = times.sorted()[2]
            // What a person runs on a big store, each the median of 5 runs.
            for (n, name) in commandOrder.enumerated() {
                var runs: [Double] = []
                for i in 0..<5 {
                    let args: [String]
                    switch n {
                    case 0: args = ["list"]
                    case 1: args = ["status"]
                    case 2: args = ["show", target]
                    default: args = ["edit", target, "--set", "isolation_beds=\(300 + i)"]
                    }
                    runs.append(try must(runChild(recolha, args + ["--store", path]), name).seconds)
                }
                commands[name, default: []].append(runs.sorted()[2])
            }
            let versionCount = try store.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM versions") ?? 0 }
            print("| \(records) | \(versionCount) | \(String(format: "%.3f", median)) |")
            exports.append(try exportBench(path: path, records: records))
        }
        print("\n## What a person runs, by records in the store (median of 5 runs of the release binary; limit 2x)")
        print("")
        print("| command | 1,000 records | 100,000 records | ratio |")
        print("|---|---:|---:|---:|")
        for name in commandOrder {
            let t = commands[name] ?? [0, 0]
            print("| `recolha \(name)` | \(String(format: "%.3f", t[0])) s | \(String(format: "%.3f", t[1])) s | \(String(format: "%.2f", t[1] / t[0]))x |")
        }
        print("\n## `recolha export` vs records in the store (CSV, drafts included; streamed a page of 500 records at a time)")
        print("")
        print("| records | export seconds | export peak RSS | plain SQLite reading the same rows (seconds) |")
        print("|---:|---:|---:|---:|")
        exports.forEach { print($0) }
    }

    /// One CSV export of the whole store, beside plain SQLite reading the
    /// same rows: memory must stay flat as the store grows.
    func exportBench(path: String, records: Int) throws -> String {
        let out = work + "/export-\(records).csv"
        let run = try must(runChild(recolha, ["export", "--store", path, "--form", "health_facility_assessment", "--include-drafts",
                                              "--out", out]), "export")
        // CSV rows end in CRLF, one Character in Swift: count the bytes.
        let lines = try Data(contentsOf: URL(fileURLWithPath: out)).filter { $0 == 0x0A }.count
        guard lines >= records else { throw BenchError("export wrote \(lines) lines for \(records) records: \(run.stdout)") }
        var db: OpaquePointer?
        sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, nil)
        var stmt: OpaquePointer?
        sqlite3_prepare_v2(db, "SELECT id, status, created_at, answers FROM records ORDER BY created_at, id", -1, &stmt, nil)
        var bytes = 0
        let plain = seconds {
            while sqlite3_step(stmt) == SQLITE_ROW {
                for i in 0..<4 { bytes += Int(sqlite3_column_bytes(stmt, Int32(i))) }
            }
        }
        sqlite3_finalize(stmt); sqlite3_close(db)
        precondition(bytes > 0)
        return "| \(records) | \(String(format: "%.2f", run.seconds)) | \(String(format: "%.1f", run.peakRSSMiB)) MiB | \(String(format: "%.2f", plain)) |"
    }
}
