import Foundation
import GRDB
import RecolhaTesting
import Testing

/// The end-to-end sync story on two stateless instances sharing one
/// PostgreSQL: devices sync through either, a token made on one works on the
/// other, and an instance killed with kill -9 loses nothing it acknowledged.
@Suite(.serialized, .enabled(if: TestPostgres.available, "needs the PostgreSQL cluster `make test` starts"))
struct PostgresEndToEndTests {
    func pointAt(_ d: Device, _ server: TestServer) throws {
        try DatabaseQueue(path: d.store).write { db in
            try db.execute(sql: "UPDATE sync_state SET server = ?", arguments: [server.url])
        }
    }

    @Test func devicesSyncThroughEitherInstanceAndSurviveAKill() throws {
        let url = try TestPostgres.freshDatabase()
        let a = try TestServer(postgres: url)
        let b = try TestServer(postgres: url, setUp: false)
        let ana = Device.loggedIn("ana", to: a)
        let sara = Device.loggedIn("sara", to: b)
        _ = try ana.sync(); _ = try sara.sync()
        #expect(ana.run(["capture", Device.form, "--answers", Example.ressano, "--finalize"]).status == 0)
        #expect((try ana.sync()["sent"] as? Int ?? 0) > 40)
        #expect((try sara.sync()["received"] as? Int ?? 0) > 40)
        let id = try #require(try ana.records().keys.first)
        #expect(ana.run(["edit", id, "--set", "isolation_beds=7"]).status == 0)
        #expect(sara.run(["edit", id, "--set", "isolation_beds=9"]).status == 0)
        _ = try ana.sync()
        #expect(try sara.sync()["conflicts"] as? Int == 1)
        #expect(sara.run(["conflicts", "resolve", id, "isolation_beds", "--keep", try conflictVersion(sara, value: 7)]).status == 0)
        _ = try sara.sync()
        // Ana's token, made through instance A, works on instance B.
        try pointAt(ana, b)
        _ = try ana.sync()
        #expect(try ana.records()[id] == sara.records()[id])
        #expect(try ana.records()[id]?["isolation_beds"] as? Int == 7)

        // Kill A with kill -9 while Ana's sync runs through it, at the worst
        // moment: A has committed her push and not answered (a fault point,
        // not a sleep). She finishes through B.
        try pointAt(ana, a)
        for i in 0..<15 { _ = ana.run(["edit", id, "--set", "non_national_share=\(i)"]) }
        #expect(ana.run(["capture", Device.form, "--answers", Example.machipanda, "--finalize"]).status == 0)
        a.stop()
        try a.start(env: ["RECOLHA_SERVER_FAULT": "stall-after-commit:1"])
        let p = Process()
        p.executableURL = URL(fileURLWithPath: CLI.binary())
        p.arguments = ["sync", "--store", ana.store]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        let deadline = Date().addingTimeInterval(60)
        while !a.log.contains("fault: stalled after commit") && Date() < deadline { usleep(20_000) }
        #expect(a.log.contains("fault: stalled after commit"), "instance A never reached the fault point")
        a.stop(hard: true)
        p.waitUntilExit()
        try pointAt(ana, b)
        _ = try ana.sync()
        _ = try sara.sync()
        let onServer = try countVersions(url)
        let held = try ana.versionIDs().union(sara.versionIDs())
        #expect(onServer.total == onServer.distinct)  // nothing twice
        #expect(onServer.distinct == held.count)      // nothing lost
        let status = try #require(try ana.json(["status"]) as? [String: Any])
        #expect(status["unsent_versions"] as? Int == 0)
        let anaRecords = try ana.records()
        #expect(anaRecords == (try sara.records()).filter { anaRecords.keys.contains($0.key) })
    }

    func conflictVersion(_ d: Device, value: Int) throws -> String {
        let list = try #require(try d.json(["conflicts"]) as? [[String: Any]])
        let values = try #require(list.first?["values"] as? [[String: Any]])
        return try #require(values.first { $0["value"] as? Int == value }?["version"] as? String)
    }

    func countVersions(_ url: String) throws -> (total: Int, distinct: Int) {
        let env = ProcessInfo.processInfo.environment
        let r = CLI.run([url, "-tAc", "SELECT count(*) || ' ' || count(DISTINCT (site_id, site_seq)) FROM versions"],
                        binary: env["RECOLHA_TEST_PG_BIN"]! + "/psql")
        let parts = r.stdout.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: " ").compactMap { Int($0) }
        return (parts.first ?? -1, parts.last ?? -2)
    }
}

@Suite(.serialized, .enabled(if: TestPostgres.available, "needs the PostgreSQL cluster `make test` starts"))
struct DeploymentMoveTests {
    @Test func aDistrictServerMovesFromSQLiteToPostgresWithoutLosingAVersion() throws {
        let sqlite = try TestServer()
        let ana = Device.loggedIn("ana", to: sqlite)
        _ = try ana.sync()
        // Ressano Garcia with a photo of its entrance (2.5 MB: three pieces), so the move must carry files too.
        let photo = Data((0..<2_500_000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) })
        try photo.write(to: URL(fileURLWithPath: ana.dir.file("entrance.jpg")))
        var answers = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: Example.ressano))) as! [String: Any]
        answers["entrance_photo"] = "entrance.jpg"
        try JSONSerialization.data(withJSONObject: answers).write(to: URL(fileURLWithPath: ana.dir.file("ressano.json")))
        #expect(ana.run(["capture", Device.form, "--answers", ana.dir.file("ressano.json"), "--finalize"]).status == 0)
        #expect(ana.run(["capture", Device.form, "--answers", Example.machipanda, "--finalize"]).status == 0)
        #expect(try ana.sync()["files_sent"] as? Int == 1)
        let sara = Device.loggedIn("sara", to: sqlite)
        _ = try sara.sync()
        sqlite.stop()

        let file = sqlite.dir.file("district.jsonl")
        let exported = try TestServer.admin(["export", "--out", file] + sqlite.storageArgs)
        #expect(exported.stdout.contains("Exported 89 versions"), "\(exported.stdout)")
        let mode = try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as! Int
        #expect(mode & 0o077 == 0)
        let url = try TestPostgres.freshDatabase()
        #expect(try TestServer.admin(["import", file, "--postgres", url]).stdout.contains("Imported 89 versions"))
        let again = CLI.run(["import", file, "--postgres", url], binary: CLI.binary("recolha-server"))
        #expect(again.status == 3 && again.stderr.contains("empty database"))

        let pg = try TestServer(postgres: url, setUp: false)
        // Same tokens, same cursors: the devices just point at the new server.
        for d in [ana, sara] {
            try DatabaseQueue(path: d.store).write { try $0.execute(sql: "UPDATE sync_state SET server = ?", arguments: [pg.url]) }
        }
        let id = try #require(try ana.records().keys.sorted().first)
        #expect(ana.run(["edit", id, "--set", "isolation_beds=3"]).status == 0)
        #expect(try ana.sync()["sent"] as? Int == 1)
        let pulled = try sara.sync()
        #expect(pulled["received"] as? Int == 1)  // only the new edit: the cursor stayed true
        #expect(try sara.records()[id] == ana.records()[id])
        // A supervisor's new laptop fetches the photo from the new server, byte for byte.
        let laptop = Device.loggedIn("sara", to: pg)
        let fetched = try laptop.sync()
        #expect(fetched["files_received"] as? Int == 1, "\(fetched)")
        let withPhoto = try ana.records().keys.sorted().compactMap { key in (try? ana.json(["show", key]) as? [String: Any])?["entrance_photo"] }
        let hash = try #require((withPhoto.first as? [String: Any])?["sha256"] as? String)
        #expect(try Data(contentsOf: URL(fileURLWithPath: laptop.store + "-media/" + hash)) == photo)
    }
}
