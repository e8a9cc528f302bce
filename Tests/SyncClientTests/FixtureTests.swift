import Foundation
import Forms
import RecolhaTesting
import Store
import Sync
import Testing
@testable import SyncClient

@Suite struct ClientFixtureTests {
    /// Merge scenarios applied to a real store, in every delivery order.
    @Test(arguments: Fixtures.merges)
    func mergeScenariosInARealStore(m: Fixtures.Merge) throws {
        let all = try JSONDecoder().decode([WireVersion].self, from: JSONSerialization.data(withJSONObject: m.versions)).map(\.version)
        let byID = Dictionary(all.map { ($0.id.description, $0) }, uniquingKeysWith: { a, _ in a })
        for order in m.deliveries {
            let dir = TempDir()
            let store = try Store(path: dir.file("s.sqlite"), create: true)
            try store.initialize(enumerator: "x")
            try store.addForm(flagship)
            for (i, id) in order.enumerated() {
                try store.applyPulled([SequencedVersion(seq: Int64(i + 1), version: byID[id]!)], nextCursor: Int64(i + 1), serverTime: 10_000)
            }
            let r = try store.record(m.record)
            #expect(r.answers.values.mapValues(\.json) == m.values, "\(m.name) \(order)")
            #expect(r.status == m.status && r.deleted == m.deleted && r.conflicts == m.conflicts)
            #expect(try store.versions(record: m.record).count == all.count)
        }
    }

    /// Every error answer of the golden exchanges, served to the real client:
    /// it stops with the server's own message and the right kind.
    @Test(arguments: Fixtures.exchanges.filter { x in x.steps.contains { (($0["response"] as! [String: Any])["status"] as! Int) >= 400 } })
    func theClientReadsEveryErrorAnswer(x: Fixtures.Exchange) throws {
        for step in x.steps {
            let response = step["response"] as! [String: Any]
            let status = response["status"] as! Int
            guard status >= 400 else { continue }
            // The client acts on site_reused (it moves its work to a new
            // site and sends again): CopiedStoreTests proves that end to end.
            if x.name == "push-reused-id" { continue }
            let body = try JSONSerialization.data(withJSONObject: response["body"]!)
            let text = String(decoding: body, as: UTF8.self)
            let server = ScriptedServer { _, _ in ScriptedServer.http(status, text) }
            let t = try CurlTransport(baseURL: server.url, retry: .none)
            let message = (response["body"] as! [String: Any])["message"] as! String
            let dir = TempDir()
            let store = try Store(path: dir.file("s.sqlite"), create: true)
            try store.initialize(enumerator: "ana")
            do {
                if (step["request"] as! [String: Any])["path"] as? String == "/v1/login" {
                    _ = try Login.run(transport: t, user: "sara", password: "x", deviceName: "d", identity: SiteIdentity.make())
                } else {
                    _ = try SyncEngine(store: store, transport: t, token: "t").run()
                }
                Issue.record("\(x.name): the client should stop")
            } catch {
                guard case .refused(let got, let code, let said, _) = error else { Issue.record("\(x.name): \(error)"); continue }
                #expect(got == status)
                #expect(code == (response["body"] as! [String: Any])["error"] as? String)
                #expect(message.hasPrefix("$CONTAINS:") ? said.contains(message.dropFirst(10)) : said == message, "\(x.name)")
            }
            #expect(try store.syncState() == nil && store.status().unsent == 0)
        }
    }
}
