import Foundation
import RecolhaTesting
import Sync
import SyncClient
import Testing

/// The golden exchanges of sync-fixtures/exchanges, against the real server.
@Suite(.serialized) struct ExchangeTests {
    static let server = try! TestServer()

    @Test(arguments: Fixtures.exchanges)
    func theServerAnswersAsRecorded(x: Fixtures.Exchange) throws {
        let t = try CurlTransport(baseURL: Self.server.url, retry: .none)
        t.compressRequests = false
        let identity = SiteIdentity.make()
        var site = identity.site
        var vars: [String: String] = [
            "$RECORD": UUID().uuidString.lowercased(), "$NOW": String(ServerNow.ms()),
            "$FUTURE": String(ServerNow.ms() + 86_400_000),
        ]
        if let user = x.user {
            let login = try Login.run(transport: t, user: user, password: TestServer.password(user), deviceName: "fixture", identity: identity)
            vars["$TOKEN"] = login.token
        } else {
            site = SiteID("0123456789abcdef")!
        }
        vars["$SITE"] = site.rawValue
        for (i, step) in x.steps.enumerated() {
            let request = Fixtures.fill(step["request"]!, vars) as! [String: Any]
            var body: Data?
            if let raw = request["raw"] as? String { body = Data(raw.utf8) }
            if let size = request["raw_size"] as? Int { body = Data(repeating: 0x20, count: size) }
            if let json = request["body"] { body = try JSONSerialization.data(withJSONObject: Fixtures.sign(json, with: identity)) }
            let response = try t.send(HTTPRequest(method: request["method"] as! String, path: request["path"] as! String,
                                                  headers: request["headers"] as? [String: String] ?? [:], body: body))
            let expected = Fixtures.fill(step["response"]!, vars) as! [String: Any]
            #expect(response.status == expected["status"] as! Int, "\(x.name) step \(i + 1)")
            #expect(response.headers["recolha-server-time"] != nil, "every response carries server time")
            let actual = try? JSONSerialization.jsonObject(with: response.body)
            let m = Fixtures.mismatch(expected["body"]!, actual)
            #expect(m == nil, "\(x.name) step \(i + 1): \(m ?? "")")
        }
    }
}

enum ServerNow {
    static func ms() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }
}
