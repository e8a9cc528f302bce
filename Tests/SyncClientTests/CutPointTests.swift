import Foundation
import GRDB
import RecolhaTesting
import Store
import Sync
import Testing
@testable import SyncClient

/// A sync stopped at each step and resumed ends exactly like one
/// uninterrupted sync: every version on the server once, all acknowledged,
/// and a second device that pulls sees the same records.
@Suite(.serialized) struct CutPointTests {
    enum Cut: String, CaseIterable {
        case afterLocalCommit, beforeRequestLeaves, afterRequestSent, afterServerCommitBeforeAnswer, afterAnswerBeforeLocalCommit, pullAnswerBeforeLocalCommit
    }

    @Test(arguments: Cut.allCases)
    func stoppedAndResumed(cut: Cut) throws {
        let server = try TestServer(env: cut == .afterServerCommitBeforeAnswer ? ["RECOLHA_SERVER_FAULT": "drop-after-commit:2"] : [:])
        let a = try ClientDevice(enumerator: "sara", server: server)
        let b = try ClientDevice(enumerator: "admin", server: server)
        try a.sync(); try b.sync()
        for i in 0..<4 { try b.store.save(SaveRequest(form: flagship, answers: exampleAnswers(tweak: 50 + i), finalize: true)) }
        try b.sync()
        for i in 0..<6 { try a.store.save(SaveRequest(form: flagship, answers: exampleAnswers(tweak: i), finalize: true)) }
        let options = SyncOptions(pushBatch: 60, pullLimit: 50)
        let curl = try CurlTransport(baseURL: server.url, retry: .none)

        let interrupted: SyncEngine
        switch cut {
        case .afterLocalCommit:
            interrupted = try a.engine(curl)
            var pushes = 0
            interrupted.beforeCommit = { phase in
                if phase == "push" { pushes += 1; if pushes == 2 { throw CancellationError() } }
            }
        case .beforeRequestLeaves:
            interrupted = try a.engine(CuttingTransport(curl, path: "/v1/push", nth: 2, moment: .beforeSending))
        case .afterRequestSent:
            interrupted = try a.engine(CuttingTransport(curl, path: "/v1/push", nth: 2, moment: .afterSending))
        case .afterServerCommitBeforeAnswer:
            interrupted = try a.engine(curl)
        case .afterAnswerBeforeLocalCommit:
            interrupted = try a.engine(curl)
            interrupted.beforeCommit = { phase in if phase == "push" { throw CancellationError() } }
        case .pullAnswerBeforeLocalCommit:
            interrupted = try a.engine(curl)
            var pulls = 0
            interrupted.beforeCommit = { phase in
                if phase == "pull" { pulls += 1; if pulls == 2 { throw CancellationError() } }
            }
        }
        #expect(throws: SyncError.self) { try interrupted.run(options) }
        #expect(try a.store.read { try String.fetchOne($0, sql: "PRAGMA integrity_check") } == "ok")

        // Resume with a plain sync, then let b catch up.
        try a.engine().run(options)
        try b.sync()
        try a.sync()
        #expect(try a.store.status().unsent == 0)
        let onServer = try ServerDB(server).count("SELECT count(*) FROM versions")
        #expect(onServer == (try a.versionIDs()).count)
        #expect(try ServerDB(server).count("SELECT count(DISTINCT site_id || site_seq) FROM versions") == onServer)
        #expect(try a.state() == b.state())
        #expect(try a.state().count == 10)
    }

    @Test func killedClientProcessesAndARestartedServerStillConverge() throws {
        let server = try TestServer()
        let a = try ClientDevice(enumerator: "sara", server: server)
        try a.sync()
        // Round 1 acknowledges one push batch (5,000 versions); round 2 needs two more.
        var i = 0
        while try a.store.status().unsent <= 2 * SyncOptions().pushBatch + 500 {
            try a.store.save(SaveRequest(form: flagship, answers: exampleAnswers(tweak: i), finalize: true))
            i += 1
        }
        // Each sync process is killed at a fault point of the engine
        // (RECOLHA_FAULT_KILL, debug builds), not after a sleep.
        let points = ["sync-before-push-ack:1", "sync-after-push-ack:1", "sync-before-push-ack:2",
                      "sync-before-pull-apply:1", "sync-after-pull-apply:1", "sync-before-pull-apply:1"]
        for (round, point) in points.enumerated() {
            let r = CLI.run(["sync", "--store", a.store.path], env: ["RECOLHA_FAULT_KILL": point])
            #expect(r.signaled && r.status == SIGKILL, "round \(round): sync never reached \(point): \(r.stderr)")
            #expect(try a.store.read { try String.fetchOne($0, sql: "PRAGMA integrity_check") } == "ok")
            if round == 3 { server.stop(hard: true); try server.start() }  // the server restarts mid-way
        }
        let token = try a.store.syncState()!.token
        try a.store.saveLogin(server: server.url, user: "sara", role: "supervisor", token: token, cacert: nil,
                                site: try a.store.identity().current.site, serverKey: try a.store.syncState()!.serverKey!)
        let resumed = SyncEngine(store: a.store, transport: try CurlTransport(baseURL: server.url), token: token)
        _ = try resumed.run()
        #expect(try a.store.status().unsent == 0)
        #expect(try ServerDB(server).count("SELECT count(*) FROM versions") == (try a.versionIDs()).count)
        #expect(try a.store.read { try String.fetchOne($0, sql: "PRAGMA integrity_check") } == "ok")
    }
}
