// `make load`: simulated devices push flagship surveys at once against one
// server instance on SQLite, then against two instances on one PostgreSQL
// with one of them killed (kill -9) half way; at the end every version pushed
// must be on the server exactly once. Two modes, each on both setups:
// - replay: every device's surveys are saved and signed before the clock
//   starts, and the devices only send those pushes (one survey each) as fast
//   as the server answers, so the devices' own work does not hide the
//   server's;
// - devices: each device saves a survey and runs a full sync in a loop, and
//   at the end must agree with a supervisor's view.
// Prints versions/s, push latency and memory.
import Foundation
import Forms
import Store
import Sync
import SyncClient
import Gzip

let env = ProcessInfo.processInfo.environment
let devicesCount = Int(env["RECOLHA_LOAD_DEVICES"] ?? "") ?? 200
let seconds = Double(env["RECOLHA_LOAD_SECONDS"] ?? "") ?? 30
/// Versions per second the replaying devices offer together (each device
/// sends its next push at its own fixed pace); 0 sends every push as soon
/// as the last is answered, which measures what the server can take.
let rates = (env["RECOLHA_LOAD_RATE"] ?? "20000,0").split(separator: ",").compactMap { Double($0) }
/// Surveys each device prepares for the replay mode.
let prepared = Int(env["RECOLHA_LOAD_PREPARED"] ?? "") ?? Int(seconds * 35_000 / 48 / Double(devicesCount)) + 5
let setups = (env["RECOLHA_LOAD_SETUP"] ?? "sqlite,postgres").split(separator: ",").map(String.init)
let modes = (env["RECOLHA_LOAD_MODE"] ?? "replay,devices").split(separator: ",").map(String.init)
let bin = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().path
let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
let work = FileManager.default.temporaryDirectory.path + "/recolha-load-\(getpid())"
try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(atPath: work) }
let form = try Form.load(json: Data(contentsOf: URL(fileURLWithPath: root + "/schema/forms/health_facility_assessment.json")))
guard case .object(let base) = try JSONValue.parse(Data(contentsOf: URL(fileURLWithPath: root + "/examples/ressano_garcia.json"))) else { fatalError() }

@Sendable func survey(_ n: Int) -> Answers {
    var o = base
    o["facility_name"] = .string("Centro de Saúde \(n)")
    o["isolation_beds"] = .number(Double(n % 17))
    return Answers.read(o, form: form) { RepeatKey.make(ms: Int64(n), index: $0) }.0
}

@discardableResult
func run(_ path: String, _ args: [String], input: String = "") -> (Int32, String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: path)
    p.arguments = args
    let i = Pipe(), o = Pipe()
    p.standardInput = i; p.standardOutput = o; p.standardError = o
    try! p.run()
    i.fileHandleForWriting.write(Data(input.utf8)); try? i.fileHandleForWriting.close()
    let out = o.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: out, as: UTF8.self))
}

func peakMiB(_ pid: Int32) -> Double {
    guard let t = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
          let l = t.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
          let kb = Double(l.split(separator: " ").dropFirst().first ?? "") else { return 0 }
    return kb / 1024
}

final class Instance {
    let process = Process()
    var url = ""
    var peak = 0.0
    init(_ storage: [String]) throws {
        process.executableURL = URL(fileURLWithPath: bin + "/recolha-server")
        process.arguments = ["serve", "--port", "0"] + storage
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        var text = ""
        while !text.contains("listening on") { text += String(decoding: out.fileHandleForReading.availableData, as: UTF8.self) }
        // The line saying where it listens (a line naming the console may follow in the same read).
        let listening = text.split(separator: "\n").first { $0.contains("listening on") }!
        url = String(listening.split(separator: " ").last!).trimmingCharacters(in: .whitespacesAndNewlines)
    }
    func sample() { if process.isRunning { peak = max(peak, peakMiB(process.processIdentifier)) } }
    func kill9() { sample(); kill(process.processIdentifier, SIGKILL); process.waitUntilExit() }
    func stop() { sample(); if process.isRunning { process.terminate(); process.waitUntilExit() } }
}

/// Times every push request.
final class TimedTransport: Transport {
    let inner: CurlTransport
    var pushMs: [Double] = []
    init(_ inner: CurlTransport) { self.inner = inner }
    func send(_ r: HTTPRequest) throws(TransportError) -> HTTPResponse {
        let t0 = DispatchTime.now().uptimeNanoseconds
        let response = try inner.send(r)
        if r.path == "/v1/push" { pushMs.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6) }
        return response
    }
}

final class SimDevice: @unchecked Sendable {
    let n: Int
    let store: Store
    var urls: [String]
    var token = ""
    var pushMs: [Double] = []
    var failovers = 0
    /// Pushes the server answered with 5xx or 429 (sent again).
    var retried = 0
    init(_ n: Int, urls: [String], dir: String) throws {
        self.n = n
        self.urls = urls
        store = try Store(path: dir + "/device\(n).sqlite", create: true)
        try store.initialize(enumerator: "e\(n % 20)")
    }
    func login() throws {
        let user = "e\(n % 20)"
        let answer = try Login.run(transport: try CurlTransport(baseURL: urls[0]), user: user, password: "load-password-\(user)",
                                   deviceName: "sim\(n)", identity: try store.identity().current)
        token = answer.token
        try store.saveLogin(server: urls[0], user: user, role: answer.role, token: token, cacert: nil, site: try store.identity().current.site,
                            serverKey: answer.serverKey)
    }
    /// Syncs through the first instance that answers.
    func sync() throws -> SyncSummary {
        while true {
            let t = TimedTransport(try CurlTransport(baseURL: urls[0], connectTimeout: 3, retry: RetryPolicy(attempts: 3, baseDelay: 0.05, maxDelay: 0.5)))
            do {
                let s = try SyncEngine(store: store, transport: t, token: token).run()
                pushMs += t.pushMs
                return s
            } catch {
                pushMs += t.pushMs
                guard case .unreachable = error, urls.count > 1 else { throw error }
                urls.append(urls.removeFirst())  // fail over to the other instance
                failovers += 1
            }
        }
    }
}

func percentile(_ xs: [Double], _ p: Double) -> Double {
    guard !xs.isEmpty else { return 0 }
    let s = xs.sorted()
    return s[min(s.count - 1, Int(Double(s.count - 1) * p))]
}

/// One prepared push: a survey's signed changeset, encoded and gzipped once.
struct PreparedPush {
    let body: Data
    let binary: Bool
    let versions: [VersionID]
}

extension SimDevice {
    /// Saves `count` surveys and encodes each one's changeset as the push
    /// body a sync would send; nothing is sent.
    func prepare(_ count: Int, form: Form, survey: (Int) -> Answers) throws -> [PreparedPush] {
        for k in 0..<count { _ = try store.save(SaveRequest(form: form, answers: survey(n * 100_000 + k), finalize: true)) }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return try store.pendingChangesets(limit: .max, maxBytes: .max, includeDrafts: false).map { c in
            // The body a device sends: protobuf (JSON for a changeset too big for it).
            let request = PushRequest(changesets: [c])
            return PreparedPush(body: try Gzip.compress(request.protobuf() ?? encoder.encode(request)), binary: try request.protobuf() != nil,
                                versions: c.versions.map(\.id))
        }
    }

    /// Sends prepared pushes in order until the deadline, failing over to
    /// the other instance when one stops answering. Returns the versions the
    /// server acknowledged.
    /// Latency counts from when a push was due, so a server that falls
    /// behind the pace shows it (no coordinated omission).
    func replay(_ pushes: [PreparedPush], start: Date, every interval: Double, until deadline: Date) -> (versions: [VersionID], pushes: Int) {
        var done: [VersionID] = []
        var transport: CurlTransport?
        var k = 0
        // Devices start spread over one interval.
        let phase = interval * Double(n % devicesCount) / Double(devicesCount)
        while k < pushes.count && Date() < deadline {
            let due = start.addingTimeInterval(phase + interval * Double(k))
            if interval > 0 {
                let wait = due.timeIntervalSinceNow
                if wait > 0 { Thread.sleep(forTimeInterval: wait) }
                if Date() >= deadline { break }
            }
            do {
                if transport == nil {
                    transport = try CurlTransport(baseURL: urls[0], connectTimeout: 3, retry: RetryPolicy(attempts: 1))
                    transport!.compressRequests = false
                }
                let headers = [WireProtocol.protocolHeader: String(WireProtocol.version), "Authorization": "Bearer " + token,
                               "Content-Type": pushes[k].binary ? WireEncoding.protobuf : WireEncoding.json,
                               "Content-Encoding": "gzip", "Accept": "application/json",
                               WireProtocol.clientTimeHeader: String(Store.wallClock())]
                let t0 = interval > 0 ? due : Date()
                let r = try transport!.send(HTTPRequest(method: "POST", path: "/v1/push", headers: headers, body: pushes[k].body))
                pushMs.append(Date().timeIntervalSince(t0) * 1000)
                guard r.status == 200 else {
                    if r.status >= 500 || r.status == 429 { retried += 1; Thread.sleep(forTimeInterval: 0.05); continue }
                    fatalError("push refused: HTTP \(r.status) \(String(decoding: r.body, as: UTF8.self))")
                }
                done += pushes[k].versions
                k += 1
            } catch {
                // The instance went away: the same push again through the other one.
                transport = nil
                if urls.count > 1 { urls.append(urls.removeFirst()); failovers += 1 } else { Thread.sleep(forTimeInterval: 0.05) }
            }
        }
        return (done, k)
    }
}

func scenario(_ name: String, mode: String, rate: Double = 0, storage: [String], instances: Int, killOne: Bool) throws {
    let what = mode == "devices" ? "full devices (save and sync)"
        : rate > 0 ? "devices replaying prepared pushes, offering \(Int(rate)) versions/s" : "devices replaying prepared pushes as fast as answered"
    print("\n## \(name), \(what): \(devicesCount) devices, \(Int(seconds)) s")
    _ = run(bin + "/recolha-server", ["init"] + storage)
    for u in 0..<20 { run(bin + "/recolha-server", ["users", "add", "e\(u)", "--role", "enumerator", "--password-stdin"] + storage, input: "load-password-e\(u)\n") }
    run(bin + "/recolha-server", ["users", "add", "boss", "--role", "supervisor", "--password-stdin"] + storage, input: "load-password-boss\n")
    run(bin + "/recolha-server", ["forms", "publish", root + "/schema/forms/health_facility_assessment.json"] + storage)
    let servers = try (0..<instances).map { _ in try Instance(storage) }
    let dir = work + "/" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    let devices = try (0..<devicesCount).map { n in try SimDevice(n, urls: (0..<instances).map { servers[(n + $0) % instances].url }, dir: dir) }
    let group = DispatchGroup()
    let queue = DispatchQueue(label: "load", attributes: .concurrent)
    for d in devices { group.enter(); queue.async { try? d.login(); _ = try? d.sync(); group.leave() } }
    group.wait()
    var pushes: [[PreparedPush]] = Array(repeating: [], count: devices.count)
    if mode == "replay" {
        let t0 = Date()
        let lock = NSLock()
        DispatchQueue.concurrentPerform(iterations: devices.count) { i in
            let p = try! devices[i].prepare(prepared, form: form, survey: survey)
            lock.withLock { pushes[i] = p }
        }
        print("prepared \(devices.count * prepared) signed surveys (\(pushes.joined().reduce(0) { $0 + $1.versions.count }) versions) in \(String(format: "%.1f", Date().timeIntervalSince(t0))) s, before the clock starts")
    }
    let ready = pushes
    let start = Date()
    let deadline = start.addingTimeInterval(seconds)
    let sampler = Thread {
        var killed = false
        while Date() < deadline {
            servers.forEach { $0.sample() }
            if killOne && !killed && Date() > start.addingTimeInterval(seconds / 2) { servers[0].kill9(); killed = true }
            Thread.sleep(forTimeInterval: 0.2)
        }
    }
    sampler.start()
    // RECOLHA_LOAD_PROFILE=FILE: `perf record` on the first instance over the measured time.
    if let file = env["RECOLHA_LOAD_PROFILE"] {
        let perf = Process()
        perf.executableURL = URL(fileURLWithPath: "/usr/bin/perf")
        perf.arguments = ["record", "-F", "499", "-g", "-p", String(servers[0].process.processIdentifier), "-o", file, "--", "sleep", String(Int(seconds * (killOne ? 0.45 : 0.9)))]
        perf.standardOutput = FileHandle.nullDevice; perf.standardError = FileHandle.nullDevice
        try perf.run()
    }
    /// What each device had acknowledged, filled by its own thread.
    final class Sent: @unchecked Sendable {
        let lock = NSLock()
        var byDevice: [(versions: [VersionID], pushes: Int)]
        init(_ n: Int) { byDevice = Array(repeating: ([], 0), count: n) }
    }
    let acknowledged = Sent(devices.count)
    for (i, d) in devices.enumerated() {
        group.enter()
        Thread {
            if mode == "replay" {
                let perPush = Double(ready[i].first?.versions.count ?? 48)
                let done = d.replay(ready[i], start: start, every: rate > 0 ? Double(devicesCount) * perPush / rate : 0, until: deadline)
                acknowledged.lock.withLock { acknowledged.byDevice[i] = done }
            } else {
                var k = 0
                while Date() < deadline {
                    k += 1
                    _ = try? d.store.save(SaveRequest(form: form, answers: survey(d.n * 1000 + k), finalize: true))
                    _ = try? d.sync()
                }
            }
            group.leave()
        }.start()
    }
    group.wait()
    // Paced, the rate is over the time pushes were offered (a server that
    // keeps up accepts what is offered); otherwise until the last answer.
    let sent = acknowledged.byDevice
    let elapsed = mode == "replay" && rate > 0 ? seconds : Date().timeIntervalSince(start)
    while sampler.isExecuting { Thread.sleep(forTimeInterval: 0.05) }
    if mode == "devices" {
        // Everyone finishes (through a live instance).
        for _ in 0..<2 { for d in devices { group.enter(); queue.async { _ = try? d.sync(); group.leave() }; }; group.wait() }
    }
    // A supervisor pulls everything.
    let boss = try SimDevice(9_999, urls: servers.filter { $0.process.isRunning }.map(\.url), dir: dir)
    let bossLogin = try Login.run(transport: try CurlTransport(baseURL: boss.urls[0]), user: "boss", password: "load-password-boss",
                                  deviceName: "boss", identity: try boss.store.identity().current)
    boss.token = bossLogin.token
    try boss.store.saveLogin(server: boss.urls[0], user: "boss", role: "supervisor", token: boss.token, cacert: nil,
                             site: try boss.store.identity().current.site, serverKey: bossLogin.serverKey)
    _ = try boss.sync()
    var bossIDs = Set<VersionID>()
    for r in try boss.store.records() { bossIDs.formUnion(try boss.store.versions(record: r.id).map(\.id)) }

    var pushed = 0, unsent = 0, agree = true
    var ownIDs = Set<VersionID>()
    if mode == "replay" {
        for s in sent { ownIDs.formUnion(s.versions) }
        pushed = ownIDs.count
    } else {
        for d in devices {
            unsent += try d.store.unsentCount()
            let site = try d.store.device()!.site
            for r in try d.store.records() {
                let mine = try d.store.versions(record: r.id).filter { $0.id.site == site }
                pushed += mine.count
                ownIDs.formUnion(mine.map(\.id))
                let a = try d.store.record(r.id), b = try boss.store.record(r.id)
                if a.answers != b.answers || a.status != b.status || a.conflicts != b.conflicts { agree = false }
            }
        }
    }
    let pushMs = devices.flatMap(\.pushMs)
    servers.forEach { $0.stop() }
    func f(_ x: Double, _ d: Int = 1) -> String { String(format: "%.\(d)f", x) }
    print("| versions pushed | versions/s | pushes | p50 push ms | p99 push ms | server peak RSS | failovers | answered 5xx/429 |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    print("| \(pushed) | \(f(Double(pushed) / elapsed, 0)) | \(pushMs.count) | \(f(percentile(pushMs, 0.5))) | \(f(percentile(pushMs, 0.99))) | \(servers.map { f($0.peak) + " MiB" }.joined(separator: " + ")) | \(devices.reduce(0) { $0 + $1.failovers }) | \(devices.reduce(0) { $0 + $1.retried }) |")
    if mode == "replay" {
        let left = pushes.enumerated().reduce(0) { $0 + $1.element.count - sent[$1.offset].pushes }
        print("checks: every acknowledged version on the server exactly once: \(bossIDs == ownIDs ? "yes" : "NO") (\(bossIDs.count) held by the supervisor, \(ownIDs.count) acknowledged); prepared surveys not sent before the end: \(left)\(killOne ? "; instance 1 was killed with kill -9 half way" : "")")
        if bossIDs != ownIDs { throw LoadFailure() }
    } else {
        print("checks: unsent after the end \(unsent); every device's versions on the server exactly once: \(bossIDs == ownIDs ? "yes" : "NO") (\(bossIDs.count) held by the supervisor, \(ownIDs.count) pushed); every device agrees with the supervisor: \(agree ? "yes" : "NO")\(killOne ? "; instance 1 was killed with kill -9 half way" : "")")
        if unsent != 0 || bossIDs != ownIDs || !agree { throw LoadFailure() }
    }
}

struct LoadFailure: Error {}

CurlTransport.initialize()
print("Recolha load test (\(ProcessInfo.processInfo.activeProcessorCount) cores): RECOLHA_LOAD_DEVICES=\(devicesCount) RECOLHA_LOAD_SECONDS=\(Int(seconds)) RECOLHA_LOAD_MODE=\(modes.joined(separator: ",")) RECOLHA_LOAD_RATE=\(rates.map { String(Int($0)) }.joined(separator: ",")) RECOLHA_LOAD_PREPARED=\(prepared)")
let pg = env["RECOLHA_TEST_PG_BIN"].flatMap { b in env["RECOLHA_TEST_PG_PORT"].map { (b, $0) } }
let runs: [(String, Double)] = modes.flatMap { mode -> [(String, Double)] in mode == "replay" ? rates.map { (mode, $0) } : [(mode, 0)] }
for (i, (mode, rate)) in runs.enumerated() {
    if setups.contains("sqlite") {
        try scenario("One instance on SQLite", mode: mode, rate: rate, storage: ["--data", work + "/sqlite-\(i)"], instances: 1, killOne: false)
    }
    guard setups.contains("postgres") else { continue }
    if let (pgBin, port) = pg {
        _ = run(pgBin + "/createdb", ["-h", "127.0.0.1", "-p", port, "-U", "recolha", "load\(i)"])
        try scenario("Two instances on one PostgreSQL, one killed half way", mode: mode, rate: rate,
                     storage: ["--postgres", "postgres://recolha@127.0.0.1:\(port)/load\(i)"], instances: Int(env["RECOLHA_LOAD_PG_INSTANCES"] ?? "") ?? 2, killOne: env["RECOLHA_LOAD_KILL"] != "0")
    } else {
        print("\n(no PostgreSQL: run through `make load`, which starts one)")
    }
}
