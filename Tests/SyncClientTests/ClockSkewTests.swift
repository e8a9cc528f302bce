import Foundation
import GRDB
import RecolhaTesting
import Store
import Testing
@testable import SyncClient

@Suite(.serialized) struct ClockSkewTests {
    /// The server's time tells the device its skew; status and sync say so plainly.
    @Test func aDeviceClockTenMinutesAheadIsReported() throws {
        let server = try TestServer()
        let d = try ClientDevice(enumerator: "sara", server: server)
        let tenMinutes: Int64 = 10 * 60_000
        let engine = SyncEngine(store: d.store, transport: try CurlTransport(baseURL: server.url), token: d.token,
                                now: { Store.wallClock() + tenMinutes })
        let summary = try engine.run()
        #expect(abs(summary.skewMs - tenMinutes) < 5_000, "\(summary.skewMs)")
        #expect(abs((try d.store.syncState()?.skewMs ?? 0) - tenMinutes) < 5_000)
        let status = CLI.run(["status", "--store", d.store.path])
        #expect(status.stdout.contains("Clock: this device's clock is 10 minutes ahead of the server's: set the date and time"), "\(status.stdout)")
    }
}
