import Foundation
import Gzip
import RecolhaTesting
import Sync
import Testing
import XLSForm
@testable import Forms
@testable import SyncServer

extension FuzzTests {
    /// Binary push bodies (proto/recolha_sync.proto) through the same path:
    /// swift-protobuf's reader, the per-changeset caps, the signature check
    /// and the version rules.
    @Test func binaryPushBodies() throws {
        let push = try JSONDecoder().decode(PushRequest.self, from: Data(Self.pushSeed()))
        let seed = Array(try #require(try push.protobuf()))
        let decoded = try Body.push(from: Data(seed), gzip: false, protobuf: true)
        #expect(SyncService.signatureProblem(decoded.changesets[0], device: Self.pushDevice, user: Self.pushUser) == nil, "the seed verifies")
        try fuzz("binary-push", seeds: [seed, Array(try Gzip.compress(Data(seed)))]) { input in
            for gzip in [false, true] {
                do {
                    Self.judge(try Body.push(from: Data(input), gzip: gzip, protobuf: true))
                } catch let e as ServerError {
                    #expect(e.status == .badRequest)
                    clear(e)
                }
            }
        }
    }
}
