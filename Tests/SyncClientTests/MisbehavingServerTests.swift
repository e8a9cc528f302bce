import Foundation
import GRDB
import Gzip
import RecolhaTesting
import Store
import Sync
import Testing
@testable import SyncClient

/// Truncated bodies, garbage, 500s, stalls and a wrong protocol version never
/// corrupt a store and always end with a clear message.
@Suite struct MisbehavingServerTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var reply: @Sendable (Int, ScriptedServer.Request) -> ScriptedServer.Reply
        var says: String
        var refused: Bool = false
        var untrusted: Bool = false
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "truncated body", reply: { _, _ in
            .raw(Data("HTTP/1.1 200 OK\r\nContent-Length: 5000\r\nConnection: close\r\n\r\n{\"accepted\":[".utf8))
        }, says: "the connection broke"),
        Case(name: "garbage JSON", reply: { _, _ in ScriptedServer.http(200, "<html>captive portal</html>") },
             says: "could not be read"),
        Case(name: "always 500", reply: { _, _ in ScriptedServer.http(500, "{\"error\":\"internal\",\"message\":\"boom\"}") },
             says: "the server failed (HTTP 500: boom)"),
        Case(name: "stall", reply: { _, _ in .stall }, says: "timed out"),
        Case(name: "closes at once", reply: { _, _ in .close }, says: "the connection broke"),
        // The device words it from the server's protocol header, in its own language.
        Case(name: "wrong protocol version", reply: { _, _ in
            ScriptedServer.http(400, "{\"error\":\"protocol_mismatch\",\"message\":\"the server's own sentence\"}",
                                headers: ["Recolha-Protocol": String(WireProtocol.version + 1)])
        }, says: "and the server \(WireProtocol.version + 1): upgrade recolha on this device", refused: true),
        Case(name: "older server", reply: { _, _ in
            ScriptedServer.http(400, "{\"error\":\"protocol_mismatch\",\"message\":\"the server's own sentence\"}",
                                headers: ["Recolha-Protocol": String(WireProtocol.version - 1)])
        }, says: "upgrade the server (recolha-server)", refused: true),
        Case(name: "push answer that forgets changesets", reply: { _, _ in
            ScriptedServer.http(200, "{\"accepted\":[],\"duplicates\":[],\"rejected\":[],\"receipts\":[],\"server_time\":1}")
        }, says: "did not account for every changeset"),
        Case(name: "receipt signed by another key", reply: { _, r in answerAll(r, key: .make(), withReceipt: true) },
             says: "not signed by the server this device logged in to", untrusted: true),
        Case(name: "accepted without a receipt", reply: { _, r in answerAll(r, key: serverKey, withReceipt: false) },
             says: "gave no receipt", untrusted: true),
    ]

    /// The key the device learnt at login in these cases.
    static let serverKey = SiteIdentity.make()

    /// Answers a push: every changeset accepted, with or without a receipt
    /// signed by `key`.
    static func answerAll(_ r: ScriptedServer.Request, key: SiteIdentity, withReceipt: Bool) -> ScriptedServer.Reply {
        guard let raw = try? Gzip.decompress(r.body, limit: 1 << 26),
              let push = (try? PushRequest(protobuf: raw)) ?? (try? JSONDecoder().decode(PushRequest.self, from: raw))
        else { return ScriptedServer.http(200, "{}") }
        let receipts = withReceipt
            ? Dictionary(grouping: push.changesets, by: \.site).map { site, cs in
                Receipt(site: site, held: Receipt.ranges(of: cs.flatMap { Array($0.seq...$0.lastSeq) }), serverTime: 1).signed(by: key)
            } : []
        let answer = PushResponse(accepted: push.changesets.map(\.id), duplicates: [], rejected: [], receipts: receipts, serverTime: 1)
        return ScriptedServer.http(200, String(decoding: try! JSONEncoder().encode(answer), as: UTF8.self))
    }

    @Test(arguments: cases)
    func neverCorruptsTheStore(c: Case) throws {
        let dir = TempDir()
        let store = try Store(path: dir.file("s.sqlite"), create: true)
        try store.initialize(enumerator: "ana")
        try store.addForm(flagship)
        try store.save(SaveRequest(form: flagship, answers: exampleAnswers(), finalize: true))
        let server = ScriptedServer(c.reply)
        try store.saveLogin(server: server.url, user: "ana", role: "enumerator", token: String(repeating: "a", count: 81), cacert: nil,
                            site: try store.identity().current.site, serverKey: Self.serverKey.publicKey)
        let before = try store.status()
        let transport = try CurlTransport(baseURL: server.url, connectTimeout: 2, lowSpeedTime: 1,
                                          retry: RetryPolicy(attempts: 2, baseDelay: 0.01, maxDelay: 0.02))
        let engine = SyncEngine(store: store, transport: transport, token: "x")
        do {
            _ = try engine.run()
            Issue.record("sync should fail")
        } catch {
            #expect(error.description.contains(c.says), "\(error)")
            if c.untrusted { if case .untrusted = error {} else { Issue.record("expected untrusted: \(error)") } }
            else if c.refused { if case .refused = error {} else { Issue.record("expected refused: \(error)") } }
            else if case .unreachable = error {} else { Issue.record("expected unreachable: \(error)") }
        }
        #expect(try store.read { try String.fetchOne($0, sql: "PRAGMA integrity_check") } == "ok")
        #expect(try store.status() == before)
        #expect(try store.syncState()?.cursor == 0)
    }

    /// A server older than binary bodies answers bad_json to a protobuf
    /// push: the device sends that batch again, and the rest, as JSON.
    @Test func anOlderServerGetsThePushInJSON() throws {
        let dir = TempDir()
        let store = try Store(path: dir.file("s.sqlite"), create: true)
        try store.initialize(enumerator: "ana")
        try store.addForm(flagship)
        for _ in 0..<2 { try store.save(SaveRequest(form: flagship, answers: exampleAnswers(), finalize: true)) }
        let server = ScriptedServer { _, r in
            guard r.headers["content-type"] != WireEncoding.protobuf else {
                return ScriptedServer.http(400, "{\"error\":\"bad_json\",\"message\":\"the body is not a valid PushRequest message: malformed JSON\"}")
            }
            return Self.answerAll(r, key: Self.serverKey, withReceipt: true)
        }
        try store.saveLogin(server: server.url, user: "ana", role: "enumerator", token: String(repeating: "a", count: 81), cacert: nil,
                            site: try store.identity().current.site, serverKey: Self.serverKey.publicKey)
        let engine = SyncEngine(store: store, transport: try CurlTransport(baseURL: server.url, retry: .none), token: "x")
        var summary = SyncSummary()
        try engine.push(SyncOptions(pushBatch: 1), into: &summary)
        #expect(server.requests.map { $0.headers["content-type"] } == [WireEncoding.protobuf, WireEncoding.json, WireEncoding.json])
        #expect(try store.unsentCount() == 0)
        #expect(!engine.binaryBodies)
    }

    /// A binary pull page far larger than asked for is refused before it
    /// is decoded (tiny versions would grow it many times in memory).
    @Test func anOversizedBinaryPageIsRefusedUnread() throws {
        let dir = TempDir()
        let store = try Store(path: dir.file("s.sqlite"), create: true)
        try store.initialize(enumerator: "ana")
        // 10 MiB of unknown fields: without the cap it reads as an empty
        // page and the pull ends without an error.
        let body = String(repeating: "\u{3a}\u{0}", count: 5 << 20)
        let server = ScriptedServer { _, _ in
            .raw(Data(("HTTP/1.1 200 OK\r\nContent-Type: \(WireEncoding.protobuf)\r\nConnection: close\r\n"
                       + "Content-Length: \(body.utf8.count)\r\n\r\n" + body).utf8))
        }
        try store.saveLogin(server: server.url, user: "ana", role: "enumerator", token: String(repeating: "a", count: 81), cacert: nil,
                            site: try store.identity().current.site, serverKey: Self.serverKey.publicKey)
        let engine = SyncEngine(store: store, transport: try CurlTransport(baseURL: server.url, retry: .none), token: "x")
        var summary = SyncSummary()
        #expect { try engine.pull(SyncOptions(), into: &summary) } throws: { "\($0)".contains("could not be read") }
        #expect(try store.syncState()?.cursor == 0)
    }

    @Test func retriesServerErrorsHonouringRetryAfterButNeverA4xx() throws {
        let server = ScriptedServer { n, _ in
            n < 2 ? ScriptedServer.http(503, "{}", headers: ["Retry-After": "0"]) : ScriptedServer.http(200, "{\"ok\":true}")
        }
        let t = try CurlTransport(baseURL: server.url, retry: RetryPolicy(attempts: 5, baseDelay: 0.01))
        var waits: [Double] = []
        t.sleep = { waits.append($0) }
        let r = try t.send(HTTPRequest(method: "GET", path: "/v1/health"))
        #expect(r.status == 200 && server.requests.count == 3)
        #expect(waits == [0, 0])

        let notFound = ScriptedServer { _, _ in ScriptedServer.http(404, "{}") }
        let t2 = try CurlTransport(baseURL: notFound.url, retry: RetryPolicy(attempts: 5, baseDelay: 0.01))
        #expect(try t2.send(HTTPRequest(method: "GET", path: "/x")).status == 404)
        #expect(notFound.requests.count == 1)
    }

    @Test func sendsGzipAndTheProtocolVersion() throws {
        let server = ScriptedServer { _, _ in ScriptedServer.http(200, "{}") }
        let t = try CurlTransport(baseURL: server.url)
        let body = Data(String(repeating: "{\"field\":\"x\"}", count: 200).utf8)
        _ = try t.send(HTTPRequest(method: "POST", path: "/v1/push", headers: ["Recolha-Protocol": "1"], body: body))
        let got = try #require(server.requests.first)
        #expect(got.headers["content-encoding"] == "gzip")
        #expect(got.headers["recolha-protocol"] == "1")
        #expect(got.headers["accept-encoding"]?.contains("gzip") == true)
        #expect(try Gzip.decompress(got.body, limit: 1 << 20) == body)
    }

    @Test func aDeadPortIsUnreachableAndRetryable() throws {
        let t = try CurlTransport(baseURL: "http://127.0.0.1:1", retry: .none)
        #expect { try t.send(HTTPRequest(method: "GET", path: "/")) } throws: { e in
            (e as? TransportError)?.kind == .unreachable && (e as? TransportError)?.retryable == true
        }
        #expect(throws: TransportError.self) { try CurlTransport(baseURL: "ftp://x") }
    }
}

extension StoreStatus: @retroactive Equatable {}

/// A server's refusal is worded by the device from its code.
struct RefusalWordingTests {
    @Test func aProtocolMismatchIsSaidInTheDevicesLanguage() {
        let newer = SyncError.refused(status: 400, code: "protocol_mismatch@\(WireProtocol.version + 1)", message: "the server's own sentence")
        #expect(newer.message.text(.pt).contains("actualize o recolha neste dispositivo"))
        let older = SyncError.refused(status: 400, code: "protocol_mismatch@\(WireProtocol.version - 1)", message: "x")
        #expect(older.message.text(.pt).contains("actualize o servidor (recolha-server)"))
        #expect(SyncError.refused(status: 400, code: "protocol_mismatch", message: "as the server said").description.contains("as the server said"),
                "without the server's header, the server's own sentence")
        #expect(SyncError.refused(status: 401, code: "token_expired", message: "x").message.text(.pt).contains("a autorização deste dispositivo expirou"))
    }
}
