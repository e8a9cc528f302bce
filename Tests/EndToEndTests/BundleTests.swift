import Foundation
import GRDB
import Gzip
import RecolhaTesting
import Store
import Sync
import Testing

/// Sync on a USB stick: an enumerator's work reaches the server through a
/// supervisor's device, the server's receipts come back, and nothing is
/// lost, doubled, readable by others or alterable on the way.
@Suite struct BundleTests {
    /// sara (supervisor) and ana (enumerator) have each logged in once and
    /// synced since the other did, so each knows who may read its bundles.
    static func team(_ server: TestServer) throws -> (sara: Device, ana: Device) {
        let sara = Device.loggedIn("sara", to: server)
        _ = try sara.sync()
        let ana = Device.loggedIn("ana", to: server)
        _ = try ana.sync()
        _ = try sara.sync()  // sara's device learns ana's
        return (sara, ana)
    }

    func versionsOnServer(_ server: TestServer) throws -> Int {
        try DatabaseQueue(path: server.data + "/server.sqlite").read { try Int.fetchOne($0, sql: "SELECT count(*) FROM versions")! }
    }

    @Test func workTravelsOnAStickAndReceiptsComeBack() throws {
        let server = try TestServer()
        let (sara, ana) = try Self.team(server)
        // Offline: two surveys, then a bundle for the supervisor.
        #expect(ana.run(["capture", Device.form, "--answers", Example.ressano, "--finalize"]).status == 0)
        #expect(ana.run(["capture", Device.form, "--answers", Example.machipanda, "--finalize"]).status == 0)
        let stick = TempDir()
        let out = ana.run(["bundle", "export", "--out", stick.file("ana.bundle")])
        #expect(out.status == 0, "\(out.stderr)")
        #expect(out.stdout.contains("Readable only by: the server, sara ("), "\(out.stdout)")
        let mode = try FileManager.default.attributesOfItem(atPath: stick.file("ana.bundle"))[.posixPermissions] as! Int
        #expect(mode & 0o077 == 0, "the bundle file is owner-only")
        let unsent = try ana.count("SELECT count(*) FROM versions WHERE acked = 0")
        #expect(ana.run(["status"]).stdout.contains("handed to a relay in ana.bundle"))
        // Nothing readable on the stick.
        let bytes = try Data(contentsOf: URL(fileURLWithPath: stick.file("ana.bundle")))
        #expect(bytes.range(of: Data("Ressano".utf8)) == nil && bytes.range(of: Data("ressano".utf8)) == nil)

        // The supervisor imports it (twice: the second changes nothing) and syncs.
        let first = sara.run(["bundle", "import", stick.file("ana.bundle"), "--json"])
        #expect(first.status == 0, "\(first.stderr)")
        #expect((try JSONSerialization.jsonObject(with: Data(first.stdout.utf8)) as! [String: Any])["stored"] as? Int == 2)
        let again = sara.run(["bundle", "import", stick.file("ana.bundle"), "--json"])
        #expect((try JSONSerialization.jsonObject(with: Data(again.stdout.utf8)) as! [String: Any])["already"] as? Int == 2)
        let relayed = try sara.sync()
        #expect(relayed["sent"] as? Int == unsent)
        #expect(try versionsOnServer(server) == unsent)
        // The server knows who carried it, and that the records are ana's.
        let db = try DatabaseQueue(path: server.data + "/server.sqlite")
        let carriers = try db.read { try String.fetchAll($0, sql: "SELECT DISTINCT d.user FROM changesets c JOIN devices d ON d.id = c.carried_by") }
        #expect(carriers == ["sara"])
        #expect(try db.read { try String.fetchAll($0, sql: "SELECT DISTINCT owner FROM records") } == ["ana"])
        #expect(sara.run(["status"]).stdout.contains("Carried for ana: 0 changes waiting for the server, \(unsent) confirmed"))
        let devices = try TestServer.admin(["devices", "list", "--data", server.data]).stdout
        let anaLine = try #require(devices.split(separator: "\n").first { $0.contains("  ana  ") })
        #expect(anaLine.contains("last relayed arrival") && anaLine.contains("through sara's"), "\(devices)")

        // The receipts go back on the stick; ana's work is confirmed without a connection.
        #expect(sara.run(["bundle", "export", "--for", "ana", "--out", stick.file("for-ana.bundle")]).status == 0)
        let back = ana.run(["bundle", "import", stick.file("for-ana.bundle"), "--json"])
        #expect(back.status == 0, "\(back.stderr)")
        #expect((try JSONSerialization.jsonObject(with: Data(back.stdout.utf8)) as! [String: Any])["confirmed"] as? Int == unsent)
        let status = try ana.json(["status"]) as! [String: Any]
        #expect(status["unsent_versions"] as? Int == 0 && status["confirmed_by_server"] as? Int == unsent)
        // A direct sync afterwards sends nothing again.
        let direct = try ana.sync()
        #expect(direct["sent"] as? Int == 0 && direct["already_on_server"] as? Int == 0)
        #expect(try versionsOnServer(server) == unsent)
    }

    /// Work that left a device but never reached the supervisor shows as a
    /// gap in that device's numbers (here: a draft, which bundles hold back).
    @Test func aGapInADevicesNumbersIsShown() throws {
        let server = try TestServer()
        let (sara, ana) = try Self.team(server)
        #expect(ana.run(["capture", Device.form, "--answers", Example.ressano]).status == 0)  // a draft
        let draft = try ana.count("SELECT count(*) FROM versions WHERE acked = 0")
        #expect(ana.run(["capture", Device.form, "--answers", Example.machipanda, "--finalize"]).status == 0)
        let stick = TempDir()
        #expect(ana.run(["bundle", "export", "--out", stick.file("a.bundle")]).status == 0)
        #expect(sara.run(["bundle", "import", stick.file("a.bundle")]).status == 0)
        let status = sara.run(["status"]).stdout
        #expect(status.contains("gap: \(draft) earlier changes of ana's device never reached this device"), "\(status)")
        let carried = (try sara.json(["status"]) as! [String: Any])["carried_for"] as! [[String: Any]]
        #expect(carried.first?["missing"] as? Int == draft)
    }

    /// The same changesets by two paths (the stick and a direct sync) are stored once.
    @Test func workThatAlsoSyncedDirectlyIsNotDoubled() throws {
        let server = try TestServer()
        let (sara, ana) = try Self.team(server)
        #expect(ana.run(["capture", Device.form, "--answers", Example.ressano, "--finalize"]).status == 0)
        let stick = TempDir()
        #expect(ana.run(["bundle", "export", "--out", stick.file("a.bundle")]).status == 0)
        let direct = try ana.sync()
        let n = direct["sent"] as! Int
        #expect(n > 0)
        #expect(sara.run(["bundle", "import", stick.file("a.bundle")]).status == 0)
        let relayed = try sara.sync()
        #expect(relayed["sent"] as? Int == 0 && relayed["already_on_server"] as? Int == n)
        #expect(try versionsOnServer(server) == n)
    }

    @Test func aDamagedBundleIsRefusedWholeAndAnotherDevicesBundleIsUnreadable() throws {
        let server = try TestServer()
        let (sara, ana) = try Self.team(server)
        #expect(ana.run(["capture", Device.form, "--answers", Example.ressano, "--finalize"]).status == 0)
        let stick = TempDir()
        #expect(ana.run(["bundle", "export", "--out", stick.file("a.bundle")]).status == 0)
        var bytes = try Data(contentsOf: URL(fileURLWithPath: stick.file("a.bundle")))
        // Flip one letter of the encrypted payload (base64 stays base64). JSON
        // may write base64's "/" as "\/", so a letter is sought: flipping the
        // backslash made a file that is not JSON, a different refusal.
        var at = try #require(bytes.range(of: Data("\"payload\":\"".utf8))).upperBound + 100
        while !(UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(bytes[at]) { at += 1 }
        bytes[at] = bytes[at] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        try bytes.write(to: URL(fileURLWithPath: stick.file("damaged.bundle")))
        let r = sara.run(["bundle", "import", stick.file("damaged.bundle")])
        #expect(r.status == 3 && r.stderr.contains("damaged or was altered"), "\(r.stderr)")
        #expect(try sara.count("SELECT count(*) FROM changesets WHERE carried_by IS NOT NULL") == 0)
        // Not a bundle at all.
        try Data("hello".utf8).write(to: URL(fileURLWithPath: stick.file("junk.bundle")))
        #expect(sara.run(["bundle", "import", stick.file("junk.bundle")]).stderr.contains("not a Recolha bundle"))
        // Another enumerator's device cannot read ana's bundle.
        let bento = Device.loggedIn("bento", to: server)
        let other = bento.run(["bundle", "import", stick.file("a.bundle")])
        #expect(other.status == 3 && other.stderr.contains("was not written for this device"), "\(other.stderr)")
    }

    /// Someone who can open a bundle (a dishonest relay) and changes a
    /// changeset inside it: that changeset is refused, named; the rest imports.
    @Test func anAlteredChangesetInsideABundleIsRefusedAndTheRestImports() throws {
        let server = try TestServer()
        let (sara, ana) = try Self.team(server)
        #expect(ana.run(["capture", Device.form, "--answers", Example.ressano, "--finalize"]).status == 0)
        #expect(ana.run(["capture", Device.form, "--answers", Example.machipanda, "--finalize"]).status == 0)
        let stick = TempDir()
        #expect(ana.run(["bundle", "export", "--out", stick.file("a.bundle")]).status == 0)
        let saraKey = try Store(path: sara.store).identity().current
        let file = try Data(contentsOf: URL(fileURLWithPath: stick.file("a.bundle")))
        var content = try JSONDecoder().decode(BundleContent.self, from: Gzip.decompress(BundleEnvelope.open(file, with: saraKey), limit: 1 << 26))
        #expect(content.changesets.count == 2)
        content.changesets[0].entries[0].value = "\"forged\""
        let resealed = try BundleEnvelope.seal(try Gzip.compress(JSONEncoder().encode(content)), to: [saraKey.hpkeKey])
        try resealed.write(to: URL(fileURLWithPath: stick.file("forged.bundle")))
        let r = sara.run(["bundle", "import", stick.file("forged.bundle"), "--json"])
        #expect(r.status == 3)
        let result = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
        #expect(result["stored"] as? Int == 1)
        let refused = result["refused"] as! [String]
        #expect(refused.count == 1 && refused[0].contains("changeset \(content.changesets[0].id)") && refused[0].contains("by ana")
                && refused[0].contains("does not match its signature"))
        #expect(!refused[0].contains("forged"), "no answer value in the message")
    }
}
