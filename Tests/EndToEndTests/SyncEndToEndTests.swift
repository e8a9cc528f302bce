import Foundation
import GRDB
import RecolhaTesting
import Testing

extension Device {
    /// A device set up for `user` and logged in to `server` (forms come by sync).
    static func loggedIn(_ user: String, to server: TestServer) -> Device {
        let d = Device()
        precondition(d.run(["init", "--enumerator", user]).status == 0)
        let r = d.run(["login", "--server", server.url, "--user", user, "--password-stdin"], stdin: TestServer.password(user) + "\n")
        precondition(r.status == 0, r.stderr)
        return d
    }

    func sync(_ extra: [String] = []) throws -> [String: Any] {
        let r = run(["sync", "--json"] + extra)
        guard r.status == 0 else { throw CLIFailure(result: r) }
        return try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
    }

    /// Every record as `show --json` prints it, by id.
    func records() throws -> [String: NSDictionary] {
        let list = try json(["list", "--deleted"]) as! [[String: Any]]
        var out: [String: NSDictionary] = [:]
        for item in list {
            let id = item["id"] as! String
            out[id] = try json(["show", id]) as? NSDictionary
        }
        return out
    }

    func versionIDs() throws -> Set<String> {
        try DatabaseQueue(path: store).read { db in
            Set(try String.fetchAll(db, sql: "SELECT site_id || '-' || seq FROM versions"))
        }
    }
}

/// Where the end-to-end sync tests run: one instance on SQLite, or two
/// stateless instances on one PostgreSQL with devices spread across them.
enum Engine: String, CaseIterable, Sendable { case sqlite, postgres
    /// Both engines, always: a PostgreSQL case that cannot run says
    /// "skipped" with its reason (in `Servers.init`), never vanishes.
    static var available: [Engine] { allCases }
}

struct Servers {
    let engine: Engine
    let a: TestServer
    let b: TestServer
    let url: String?

    init(_ engine: Engine, publish: [String] = [Package.flagship]) throws {
        self.engine = engine
        if engine == .postgres && !TestPostgres.available {
            try Test.cancel("skipped: the PostgreSQL case needs the throwaway cluster `make test` starts (RECOLHA_TEST_POSTGRES_URL)")
        }
        if engine == .postgres {
            let url = try TestPostgres.freshDatabase()
            self.url = url
            a = try TestServer(publish: publish, postgres: url)
            b = try TestServer(postgres: url, setUp: false)
        } else {
            url = nil
            a = try TestServer(publish: publish)
            b = a
        }
    }

    /// A query's single number on the server's database.
    func count(_ sql: String) throws -> Int {
        if let url {
            let r = CLI.run([url, "-tAc", sql], binary: ProcessInfo.processInfo.environment["RECOLHA_TEST_PG_BIN"]! + "/psql")
            return Int(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
        }
        return try DatabaseQueue(path: a.data + "/server.sqlite").read { try Int.fetchOne($0, sql: sql)! }
    }

    func versionIDs() throws -> Set<String> {
        if let url {
            let r = CLI.run([url, "-tAc", "SELECT site_id || '-' || site_seq FROM versions"],
                            binary: ProcessInfo.processInfo.environment["RECOLHA_TEST_PG_BIN"]! + "/psql")
            return Set(r.stdout.split(separator: "\n").map(String.init))
        }
        return try DatabaseQueue(path: a.data + "/server.sqlite").read {
            Set(try String.fetchAll($0, sql: "SELECT site_id || '-' || site_seq FROM versions"))
        }
    }

    var log: String { a.log + (a === b ? "" : b.log) }
}

@Suite(.serialized) struct SyncEndToEndTests {
    @Test(arguments: Engine.available)
    func enumeratorsAndASupervisorConvergeAndResolveAConflict(engine: Engine) throws {
        let servers = try Servers(engine)
        let ana = Device.loggedIn("ana", to: servers.a)
        let bento = Device.loggedIn("bento", to: servers.b)
        let sara = Device.loggedIn("sara", to: servers.b)
        for d in [ana, bento, sara] { _ = try d.sync() }  // forms arrive
        #expect(ana.run(["capture", Device.form, "--answers", Example.ressano, "--finalize"]).status == 0)
        #expect(bento.run(["capture", Device.form, "--answers", Example.machipanda, "--finalize"]).status == 0)
        #expect(bento.run(["capture", Device.form, "--answers", Example.ressano]).status == 0)  // a draft stays home
        let sentByAna = try ana.sync()
        #expect((sentByAna["sent"] as? Int ?? 0) > 40)
        let bentoSync = try bento.sync()
        #expect((bentoSync["received"] as? Int) == 0)  // enumerators see only their own records
        let saraSync = try sara.sync()
        #expect((saraSync["received"] as? Int ?? 0) == (sentByAna["sent"] as! Int) + (bentoSync["sent"] as! Int))
        #expect(try sara.records().count == 2)

        // Ana and Sara change the same answer offline.
        let id = try #require(try ana.records().keys.first)
        #expect(ana.run(["edit", id, "--set", "isolation_beds=7"]).status == 0)
        #expect(sara.run(["edit", id, "--set", "isolation_beds=9"]).status == 0)
        _ = try ana.sync()
        let seen = try sara.sync()
        #expect(seen["conflicts"] as? Int == 1)
        let listed = sara.run(["conflicts"])
        #expect(listed.stdout.contains("isolation_beds") && listed.stdout.contains("by ana") && listed.stdout.contains("by sara"))
        let conflicts = try #require(try sara.json(["conflicts"]) as? [[String: Any]])
        let values = Set(((conflicts.first?["values"] as? [[String: Any]]) ?? []).compactMap { $0["value"] as? Int })
        #expect(values == [7, 9])  // nothing anyone typed is lost
        #expect(sara.run(["conflicts", "resolve", id, "isolation_beds", "--value", "8"]).status == 0)
        _ = try sara.sync()
        _ = try ana.sync()
        _ = try bento.sync()
        #expect(ana.run(["conflicts"]).stdout.contains("No conflicts"))
        let anaView = try ana.records()[id]!, saraView = try sara.records()[id]!
        #expect(anaView == saraView)
        #expect(anaView["isolation_beds"] as? Int == 8)
        // Every version anyone holds is on the server, once.
        let union = try ana.versionIDs().union(bento.versionIDs()).union(sara.versionIDs())
        let onServer = (try servers.count("SELECT count(*) FROM versions"), try servers.versionIDs())
        let draftVersions = try bento.count("SELECT count(*) FROM versions v JOIN records r ON r.id = v.record_id WHERE r.status = 'draft'")
        #expect(onServer.0 == onServer.1.count)
        #expect(onServer.1 == union.subtracting(try bento.versionIDs().subtracting(onServer.1)))
        #expect(union.count - onServer.1.count == draftVersions)
        #expect(!servers.log.contains("Ressano"))  // no answer values in the server's log
    }

    @Test(arguments: Engine.available)
    func draftsTravelOnlyWhenAsked(engine: Engine) throws {
        let servers = try Servers(engine)
        let ana = Device.loggedIn("ana", to: servers.b)
        _ = try ana.sync()
        #expect(ana.run(["capture", Device.form, "--answers", Example.machipanda]).status == 0)
        #expect(try ana.sync()["sent"] as? Int == 0)
        #expect((try ana.sync(["--include-drafts"])["sent"] as? Int ?? 0) > 30)
    }

    @Test func failuresHaveTheirOwnExitCodes() throws {
        let server = try TestServer()
        let ana = Device.loggedIn("ana", to: server)
        _ = try ana.sync()
        // A wrong password.
        let wrong = ana.run(["login", "--server", server.url, "--user", "ana", "--password-stdin"], stdin: "nope\n")
        #expect(wrong.status == 7 && wrong.stderr.contains("wrong user name or password"))
        // A revoked token.
        let devices = try TestServer.admin(["devices", "list", "--data", server.data]).stdout
        let deviceID = try #require(devices.split(separator: " ").first.map(String.init))
        try TestServer.admin(["devices", "revoke", deviceID, "--data", server.data])
        let revoked = ana.run(["sync"])
        #expect(revoked.status == 7 && revoked.stderr.contains("revoked"))
        // Nothing to reach.
        let bento = Device.loggedIn("bento", to: server)
        server.stop()
        let down = bento.run(["sync"], env: ["RECOLHA_RETRY_ATTEMPTS": "1"])
        #expect(down.status == 6, "\(down.stderr)")
        #expect(down.stderr.contains("cannot reach the server") && down.stderr.contains("nothing was lost"))
        // Not logged in.
        let fresh = Device()
        _ = fresh.run(["init", "--enumerator", "x"])
        #expect(fresh.run(["sync"]).status == 7)
    }

    @Test(arguments: Engine.available)
    func aClockFarAheadIsRejectedButKeptOnTheDevice(engine: Engine) throws {
        let servers = try Servers(engine)
        let ana = Device.loggedIn("ana", to: servers.b)
        _ = try ana.sync()
        #expect(ana.run(["capture", Device.form, "--answers", Example.ressano, "--finalize"]).status == 0)
        _ = try ana.sync()
        let record = try #require(try DatabaseQueue(path: ana.store).read { try String.fetchOne($0, sql: "SELECT id FROM records") })
        #expect(ana.run(["edit", record, "--set", "isolation_beds=7"]).status == 0)
        // As if the tablet's clock had been set to next year for that edit:
        // the change and its signature are written again (the store signs
        // what it holds unsigned when it opens).
        try DatabaseQueue(path: ana.store).write { db in
            try db.execute(sql: "UPDATE versions SET clock_ms = clock_ms + 365 * 86400000 WHERE acked = 0")
            try db.execute(sql: "DELETE FROM changesets WHERE acked = 0")
            try db.execute(sql: "UPDATE versions SET signed = 0 WHERE acked = 0")
        }
        let r = ana.run(["sync"])
        #expect(r.status == 8, "\(r.stderr)")
        #expect(r.stdout.contains("minutes ahead of the server's"))
        let status = ana.run(["status"]).stdout
        #expect(status.contains("Rejected by the server (kept here): 1") && status.contains("isolation_beds"))
        #expect(try servers.count("SELECT count(*) FROM versions WHERE field = 'isolation_beds'") == 1, "the first, not the edit")
    }

    /// A stored answer changed behind the store's back (a tool, a disk
    /// editor, a relay that rewrote it) no longer matches its signature:
    /// the server refuses that changeset, names it and the device, and
    /// stores nothing of it; the device keeps it, listed.
    @Test(arguments: Engine.available)
    func aChangesetAlteredAfterItWasSignedIsRefusedAndNamed(engine: Engine) throws {
        let servers = try Servers(engine)
        let ana = Device.loggedIn("ana", to: servers.b)
        _ = try ana.sync()
        #expect(ana.run(["capture", Device.form, "--answers", Example.ressano, "--finalize"]).status == 0)
        try DatabaseQueue(path: ana.store).write { db in
            try db.execute(sql: "UPDATE versions SET value = '4242424' WHERE field = 'isolation_beds'")
        }
        let r = ana.run(["sync"])
        #expect(r.status == 8, "\(r.stderr)")
        #expect(r.stdout.contains("does not match the signature of site") && r.stdout.contains("of ana"), "\(r.stdout)")
        #expect(!r.stdout.contains("4242424"), "no answer value in the message")
        #expect(try servers.count("SELECT count(*) FROM versions") == 0)
        #expect(ana.run(["status"]).stdout.contains("Rejected by the server (kept here)"))
    }

    @Test func theStoreStaysOwnerOnlyWithTheTokenInIt() throws {
        let server = try TestServer()
        let ana = Device.loggedIn("ana", to: server)
        let mode = try FileManager.default.attributesOfItem(atPath: ana.store)[.posixPermissions] as! Int
        #expect(mode & 0o077 == 0)
        // The server keeps only a hash of the token.
        let token = try DatabaseQueue(path: ana.store).read { try String.fetchOne($0, sql: "SELECT token FROM sync_state")! }
        let stored = try DatabaseQueue(path: server.data + "/server.sqlite").read { try String.fetchAll($0, sql: "SELECT token_hash FROM devices") }
        #expect(!stored.contains { token.contains($0) })
    }
}
