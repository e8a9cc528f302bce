import Foundation
import GRDB
import RecolhaTesting
import Testing

/// A device that never reaches the server joins through a supervisor's hub
/// with a one-time code; the supervisor's signed enrolment reaches the
/// server with the next sync, and the device's work is then accepted.
@Suite struct EnrolmentTests {
    @Test func aDeviceThatNeverReachedTheServerJoinsThroughTheHub() throws {
        let server = try TestServer()
        let sara = Device.loggedIn("sara", to: server)
        _ = try sara.sync()
        let hub = try TestHub(store: sara.store)
        defer { hub.stop() }
        // Bento's new tablet: initialised, never online.
        let bento = Device()
        #expect(bento.run(["init", "--enumerator", "bento"]).status == 0)
        let wrong = bento.run(["enrol", "--hub", hub.url, "--user", "bento", "--code", "000000"])
        #expect(wrong.status == 7 && wrong.stderr.contains("the enrolment code is wrong or expired"), "\(wrong.stderr)")
        let code = try #require(hub.code())
        let joined = bento.run(["enrol", "--hub", hub.url, "--user", "bento", "--code", code, "--device-name", "tablet-7"])
        #expect(joined.status == 0, "\(joined.stderr)")
        #expect(joined.stdout.contains("1 form received"))
        // The code was used: it does not enrol another device.
        let again = Device()
        #expect(again.run(["init", "--enumerator", "ana"]).status == 0)
        #expect(again.run(["enrol", "--hub", hub.url, "--user", "ana", "--code", code]).status == 7)

        #expect(bento.run(["capture", Device.form, "--answers", Example.machipanda, "--finalize"]).status == 0)
        let work = try bento.count("SELECT count(*) FROM versions WHERE acked = 0")
        // Set once: a device enrolled through the hub syncs there by itself.
        let handed = bento.run(["sync", "--json"])
        #expect(handed.status == 0, "\(handed.stderr)")
        #expect((try JSONSerialization.jsonObject(with: Data(handed.stdout.utf8)) as? [String: Any])?["handed"] as? Int == work)

        // The supervisor reaches the server: the enrolment first, then the work.
        hub.stop()
        let relayed = try sara.sync()
        #expect(relayed["sent"] as? Int == work, "\(relayed)")
        #expect((relayed["notices"] as? [String])?.contains { $0.contains("accepted the enrolment of bento's \"tablet-7\"") } == true)
        let db = try DatabaseQueue(path: server.data + "/server.sqlite")
        #expect(try db.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM versions WHERE author = 'bento'") } == work)
        #expect(try db.read { try String.fetchOne($0, sql: "SELECT name FROM devices WHERE user = 'bento'") } == "tablet-7")

        // The receipts go back at the next meeting.
        try hub.start()
        let back = try JSONSerialization.jsonObject(with: Data(bento.run(["sync", "--hub", hub.url, "--json"]).stdout.utf8)) as! [String: Any]
        #expect(back["confirmed"] as? Int == work)
    }

    /// The server refuses an enrolment for a disabled user and says so to
    /// the supervisor; the device hears it at its next exchange with the hub.
    @Test func aRefusedEnrolmentIsToldToBoth() throws {
        let server = try TestServer()
        let sara = Device.loggedIn("sara", to: server)
        _ = try sara.sync()
        _ = try TestServer.admin(["users", "disable", "bento", "--data", server.data])
        let hub = try TestHub(store: sara.store)
        defer { hub.stop() }
        let bento = Device()
        #expect(bento.run(["init", "--enumerator", "bento"]).status == 0)
        #expect(bento.run(["enrol", "--hub", hub.url, "--user", "bento", "--code", try #require(hub.code())]).status == 0)
        #expect(bento.run(["capture", Device.form, "--answers", Example.machipanda, "--finalize"]).status == 0)
        #expect(bento.run(["sync", "--hub", hub.url]).status == 0)
        hub.stop()
        let r = sara.run(["sync"])
        #expect(r.stdout.contains("refused the enrolment of bento's") && r.stdout.contains("disabled"), "\(r.stdout)")
        try hub.start()
        let told = bento.run(["sync", "--hub", hub.url])
        #expect(told.status == 7 && told.stderr.contains("the server refused this device's enrolment"), "\(told.stderr)")
    }
}
