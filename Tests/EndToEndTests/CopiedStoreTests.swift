import Foundation
import GRDB
import RecolhaTesting
import Testing

extension Device {
    /// A second device made by copying this one's store file mid-life (and
    /// its WAL, as a file manager copies whatever is in the folder).
    func copy() throws -> Device {
        let other = Device()
        for suffix in ["", "-wal"] where FileManager.default.fileExists(atPath: store + suffix) {
            try FileManager.default.copyItem(atPath: store + suffix, toPath: other.store + suffix)
        }
        return other
    }

    func answer(_ id: String, _ field: String) throws -> Any? {
        (try json(["show", id]) as? [String: Any])?[field]
    }
}

/// A store file copied to a second laptop, the ordinary way to "move" a
/// device: both copies keep working, and every answer typed on either
/// reaches the server, whether the copy notices by itself or the server
/// tells it.
@Suite(.serialized) struct CopiedStoreTests {
    func workOnBothCopies(serverNotices: Bool) throws {
        let server = try TestServer()
        defer { server.stop() }
        let ana = Device.loggedIn("ana", to: server)
        _ = try ana.sync()
        #expect(ana.run(["capture", Device.form, "--answers", Example.ressano, "--finalize"]).status == 0)
        _ = try ana.sync()
        let shared = try #require(try ana.records().keys.first)
        // Unsent work at the moment of the copy: a draft record.
        #expect(ana.run(["capture", Device.form, "--answers", Example.machipanda]).status == 0)

        let copy = try ana.copy()
        if serverNotices {
            // A cloned disk keeps the file's identity: the copy cannot tell.
            try DatabaseQueue(path: copy.store).write { db in
                var st = stat()
                stat(copy.store, &st)
                try db.execute(sql: "UPDATE device SET file_identity = ?", arguments: ["\(st.st_dev):\(st.st_ino)"])
            }
        }
        // Both laptops work on: the same record and new ones.
        #expect(ana.run(["edit", shared, "--set", "isolation_beds=3"]).status == 0)
        #expect(ana.run(["capture", Device.form, "--answers", Example.ressano, "--finalize"]).status == 0)
        let opened = copy.run(["edit", shared, "--set", "border_distance_km=41"])
        #expect(opened.status == 0, "\(opened.stderr)")
        #expect(opened.stderr.contains("copy of another device") == !serverNotices, "\(opened.stderr)")
        #expect(copy.run(["capture", Device.form, "--answers", Example.machipanda, "--finalize"]).status == 0)

        _ = try ana.sync(["--include-drafts"])
        let copySync = try copy.sync(["--include-drafts"])
        #expect((copySync["rejected"] as? [Any])?.isEmpty == true, "\(copySync)")
        if serverNotices {
            #expect(((copySync["notices"] as? [String]) ?? []).contains { $0.contains("copy of another device") }, "\(copySync)")
        }
        _ = try copy.sync()  // nothing left: a retry is a no-op
        #expect(try copy.count("SELECT count(*) FROM versions WHERE acked = 0") == 0)
        #expect(try ana.count("SELECT count(*) FROM versions WHERE acked = 0") == 0)

        // A supervisor sees everything typed on either laptop.
        let sara = Device.loggedIn("sara", to: server)
        _ = try sara.sync()
        let seen = try sara.records()
        let local = try ana.records().merging(try copy.records()) { a, _ in a }
        #expect(Set(seen.keys) == Set(local.keys) && seen.count == 4, "\(seen.keys) vs \(local.keys)")
        #expect(try sara.answer(shared, "isolation_beds") as? Int == 3)
        #expect((try sara.answer(shared, "border_distance_km") as? NSNumber)?.doubleValue == 41)
        // Two sites on the server, each version once.
        let sites = try DatabaseQueue(path: server.data + "/server.sqlite").read {
            try Int.fetchOne($0, sql: "SELECT count(DISTINCT site_id) FROM versions")!
        }
        #expect(sites == 2)
    }

    @Test func aCopyNoticesItselfAndBothCopiesWorkReachesTheServer() throws { try workOnBothCopies(serverNotices: false) }
    @Test func theServerTellsACopyThatCannotTellAndNothingIsLost() throws { try workOnBothCopies(serverNotices: true) }

    /// A store copied to another user's laptop: the login is refused for the
    /// old site, and the copy takes its own identity.
    @Test func aCopyLoggedInByAnotherUserGetsItsOwnSite() throws {
        let server = try TestServer()
        defer { server.stop() }
        let sara = Device.loggedIn("sara", to: server)
        let copy = try sara.copy()
        try DatabaseQueue(path: copy.store).write { db in
            var st = stat()
            stat(copy.store, &st)
            try db.execute(sql: "UPDATE device SET file_identity = ?", arguments: ["\(st.st_dev):\(st.st_ino)"])
        }
        let r = copy.run(["login", "--server", server.url, "--user", "ana", "--password-stdin"], stdin: TestServer.password("ana") + "\n")
        #expect(r.status == 0 && r.stderr.contains("copy of another user's device"), "\(r.stderr)")
        #expect(r.stderr.contains("now writes as ana"), "\(r.stderr)")
        let sites = try [sara, copy].map { d in try DatabaseQueue(path: d.store).read { try String.fetchOne($0, sql: "SELECT site_id FROM device")! } }
        #expect(sites[0] != sites[1])
    }
}
