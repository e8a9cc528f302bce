import Foundation
import GRDB
import RecolhaTesting
import Testing

/// A supervisor's laptop serves the team on a local network: enumerators
/// hand their work to it with `recolha sync --hub URL`, it relays the work
/// with its next `recolha sync`, and the server's receipts go back to the
/// enumerators at their next exchange with the hub.
@Suite struct HubTests {
    func versionsOnServer(_ server: TestServer) throws -> Int {
        try DatabaseQueue(path: server.data + "/server.sqlite").read { try Int.fetchOne($0, sql: "SELECT count(*) FROM versions")! }
    }

    func json(_ r: CLI.Result) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
    }

    @Test func twoEnumeratorsHandTheirWorkToTheHubAndGetTheirReceiptsBack() throws {
        let server = try TestServer()
        let (sara, ana) = try BundleTests.team(server)
        let bento = Device.loggedIn("bento", to: server)
        _ = try bento.sync()
        _ = try sara.sync()  // the hub learns bento's device
        #expect(ana.run(["capture", Device.form, "--answers", Example.ressano, "--finalize"]).status == 0)
        #expect(bento.run(["capture", Device.form, "--answers", Example.machipanda, "--finalize"]).status == 0)
        let anaWork = try ana.count("SELECT count(*) FROM versions WHERE acked = 0")
        let bentoWork = try bento.count("SELECT count(*) FROM versions WHERE acked = 0")

        let hub = try TestHub(store: sara.store)
        defer { hub.stop() }
        let a = ana.run(["sync", "--hub", hub.url, "--json"])
        #expect(a.status == 0, "\(a.stderr)")
        #expect(try json(a)["handed"] as? Int == anaWork)
        #expect(try json(a)["confirmed"] as? Int == 0)
        #expect(bento.run(["sync", "--hub", hub.url]).status == 0)
        #expect(ana.run(["status"]).stdout.contains("handed to a relay in \(hub.url) (sara)"))
        // Handing over twice changes nothing.
        #expect(try json(ana.run(["sync", "--hub", hub.url, "--json"]))["already_on_hub"] as? Int == 1)

        // The supervisor drives to a connection.
        hub.stop()
        let relayed = try sara.sync()
        #expect(relayed["sent"] as? Int == anaWork + bentoWork)
        #expect(try versionsOnServer(server) == anaWork + bentoWork)

        // The next meeting: receipts travel back through the hub.
        try hub.start()
        let back = try json(ana.run(["sync", "--hub", hub.url, "--json"]))
        #expect(back["confirmed"] as? Int == anaWork)
        #expect(try json(bento.run(["sync", "--hub", hub.url, "--json"]))["confirmed"] as? Int == bentoWork)
        #expect((try ana.json(["status"]) as! [String: Any])["unsent_versions"] as? Int == 0)
        // A direct sync afterwards doubles nothing.
        let direct = try ana.sync()
        #expect(direct["sent"] as? Int == 0)
        #expect(try versionsOnServer(server) == anaWork + bentoWork)
    }

    /// Killed after it stored a device's work but before it answered: the
    /// device keeps its work (nothing was confirmed) and the next exchange
    /// with the restarted hub stores nothing twice.
    @Test func aHubKilledMidExchangeLosesAndDoublesNothing() throws {
        let server = try TestServer()
        let (sara, ana) = try BundleTests.team(server)
        #expect(ana.run(["capture", Device.form, "--answers", Example.ressano, "--finalize"]).status == 0)
        let hub = try TestHub(store: sara.store, env: ["RECOLHA_FAULT_KILL": "hub-after-import"])
        defer { hub.stop() }
        let cut = ana.run(["sync", "--hub", hub.url], env: ["RECOLHA_RETRY_ATTEMPTS": "1"])
        #expect(cut.status == 6, "\(cut.stderr)")
        #expect(try sara.count("SELECT count(*) FROM changesets WHERE carried_by IS NOT NULL") == 1, "stored before it died")
        hub.stop()
        try hub.start()
        let second = ana.run(["sync", "--hub", hub.url, "--json"])
        #expect(second.status == 0, "\(second.stderr) \(hub.log)")
        let again = try json(second)
        #expect(again["stored"] as? Int == 0 && again["already_on_hub"] as? Int == 1)
        #expect(try sara.count("SELECT count(*) FROM changesets WHERE carried_by IS NOT NULL") == 1)
        _ = try sara.sync()
        #expect(try versionsOnServer(server) == (try ana.count("SELECT count(*) FROM versions")))
    }

    @Test func onlyASupervisorsDeviceServesAndGarbageIsRefused() throws {
        let server = try TestServer()
        let (sara, ana) = try BundleTests.team(server)
        let r = ana.run(["hub", "--host", "127.0.0.1", "--port", "0"])
        #expect(r.status == 3 && r.stderr.contains("only a supervisor's or admin's device"))
        let hub = try TestHub(store: sara.store)
        defer { hub.stop() }
        let garbage = CLI.run(["-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST", "-H", "Recolha-Protocol: 2",
                               "--data-binary", "not a bundle", hub.url + "/v1/hub/exchange"], binary: "/usr/bin/curl")
        #expect(garbage.stdout == "400")
        #expect(hub.isRunning)
        // A device that never synced cannot seal a bundle: it says so, nothing is sent.
        let fresh = Device.ready("ana")
        let r2 = fresh.run(["sync", "--hub", hub.url])
        #expect(r2.status == 3 && r2.stderr.contains("does not know who may read its bundles"), "\(r2.stderr)")
    }
}
