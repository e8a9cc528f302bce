import Words
import Foundation
import Forms
import RecolhaTesting
import Store
import Sync
@testable import SyncClient

let flagship = try! Form.load(json: Package.data(Package.flagship))

func exampleAnswers(_ file: String = "examples/ressano_garcia.json", tweak: Int = 0) -> Answers {
    guard case .object(var o) = try! JSONValue.parse(Package.data(file)) else { fatalError() }
    o["isolation_beds"] = .number(Double(tweak % 20))
    o["facility_name"] = .string("Facility \(tweak)")
    return Answers.read(o, form: flagship) { RepeatKey.make(ms: Int64(tweak), index: $0) }.0
}

/// A device in this process: a real store file, real libcurl to a real server.
final class ClientDevice {
    let dir = TempDir()
    let store: Store
    let server: String
    var token = ""
    /// Push and pull in protobuf (else JSON, as a person or an older device would).
    var binary = true

    init(enumerator: String, server: TestServer, login user: String? = nil, binary: Bool = true) throws {
        self.binary = binary
        store = try Store(path: dir.file("store.sqlite"), create: true)
        try store.initialize(enumerator: enumerator)
        self.server = server.url
        let who = user ?? enumerator
        let answer = try Login.run(transport: try CurlTransport(baseURL: server.url), user: who,
                                   password: TestServer.password(who), deviceName: "test",
                                   identity: try store.identity().current)
        token = answer.token
        try store.saveLogin(server: server.url, user: who, role: answer.role, token: token, cacert: nil,
                            site: try store.identity().current.site, serverKey: answer.serverKey)
        try store.adoptUser(answer.user)  // as `recolha login` does: the server's name is the author
    }

    func engine(_ transport: (any Transport)? = nil, attempts: Int = 3) throws -> SyncEngine {
        let t = try transport ?? CurlTransport(baseURL: server, retry: RetryPolicy(attempts: attempts, baseDelay: 0.01, maxDelay: 0.05))
        let engine = SyncEngine(store: store, transport: t, token: token)
        engine.binaryBodies = binary
        return engine
    }

    @discardableResult
    func sync(_ options: SyncOptions = SyncOptions(includeDrafts: true), transport: (any Transport)? = nil) throws -> SyncSummary {
        try engine(transport).run(options)
    }

    /// Each record's merged state: answers, status, deleted and conflicts.
    func state() throws -> [String: String] {
        var out: [String: String] = [:]
        for r in try store.records(includeDeleted: true) {
            let rec = try store.record(r.id)
            let answers = rec.answers.values.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value.json)" }.joined(separator: ";")
            out[r.id] = "\(rec.status)|\(rec.deleted)|\(rec.conflicts)|\(answers)"
        }
        return out
    }

    /// What the real `recolha` prints about the shared data: listings,
    /// conflicts, every record, exports; command -> output.
    func printed() throws -> [String: String] {
        var commands: [[String]] = [["list", "--deleted"], ["list", "--deleted", "--json"], ["conflicts"], ["conflicts", "--json"]]
        for r in try store.records(includeDeleted: true) { commands += [["show", r.id], ["show", r.id, "--json"]] }
        let dir = TempDir()
        var out: [String: String] = [:]
        for args in commands {
            let r = CLI.run(args + ["--store", store.path])
            out[args.joined(separator: " ")] = "\(r.status)\n\(r.stdout)\(r.stderr)"
        }
        for format in ["csv", "json"] {
            let file = dir.file("export." + format)
            let r = CLI.run(["export", "--form", "health_facility_assessment", "--format", format, "--include-drafts",
                             "--out", file, "--store", store.path])
            var text = "\(r.status)\n\(r.stderr)"
            for name in (try FileManager.default.contentsOfDirectory(atPath: dir.path)).sorted() {
                text += "\n== \(name)\n" + ((try? String(contentsOfFile: dir.file(name), encoding: .utf8)) ?? "")
            }
            out["export --format " + format] = text
        }
        return out
    }

    func versionIDs() throws -> Set<VersionID> {
        var ids: Set<VersionID> = []
        for r in try store.records(includeDeleted: true) { ids.formUnion(try store.versions(record: r.id).map(\.id)) }
        return ids
    }
}

/// Wraps the real transport and misbehaves on purpose, with a seeded die:
/// drops a request before it leaves, loses an answer after the server acted
/// on it, or delivers a request twice.
final class FaultyTransport: Transport {
    let inner: CurlTransport
    var rng: SeededRandom
    var faultOneIn: Int
    private(set) var faults = 0

    init(_ inner: CurlTransport, seed: UInt64, faultOneIn: Int = 8) {
        self.inner = inner
        self.rng = SeededRandom(seed: seed)
        self.faultOneIn = faultOneIn
    }

    func send(_ request: HTTPRequest) throws(TransportError) -> HTTPResponse {
        let roll = Int.random(in: 0..<(faultOneIn * 3), using: &rng)
        if roll == 0 {
            faults += 1
            throw TransportError(kind: .interrupted, .verbatim("test: request dropped"), retryable: false)
        }
        let response = try inner.send(request)
        if roll == 1 {
            faults += 1
            throw TransportError(kind: .interrupted, .verbatim("test: answer lost"), retryable: false)
        }
        if roll == 2 {
            faults += 1
            return try inner.send(request)  // delivered twice
        }
        return response
    }
}

/// Passes requests through, failing the Nth one of a path at a chosen moment.
final class CuttingTransport: Transport {
    enum Moment { case beforeSending, afterSending }
    let inner: CurlTransport
    let path: String
    let nth: Int
    let moment: Moment
    private var seen = 0

    init(_ inner: CurlTransport, path: String, nth: Int, moment: Moment) {
        self.inner = inner; self.path = path; self.nth = nth; self.moment = moment
    }

    func send(_ request: HTTPRequest) throws(TransportError) -> HTTPResponse {
        if request.path == path { seen += 1 }
        let cut = request.path == path && seen == nth
        if cut && moment == .beforeSending { throw TransportError(kind: .interrupted, .verbatim("cut before sending"), retryable: false) }
        let response = try inner.send(request)
        if cut { throw TransportError(kind: .interrupted, .verbatim("cut after sending"), retryable: false) }
        return response
    }
}
