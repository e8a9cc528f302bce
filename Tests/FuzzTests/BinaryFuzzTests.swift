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
        let form = Self.flagship
        let forms = [form.id + "\u{1}" + form.version: form]
        let push = try JSONDecoder().decode(PushRequest.self, from: Data(Self.pushSeed()))
        let seed = Array(try #require(try push.protobuf()))
        let id = Self.pushIdentity
        let device = DeviceRecord(id: "d", user: "ana", name: "t", site: id.site, tokenHash: "", createdAt: 0, expiresAt: 0, lastSeenAt: nil,
                                  revoked: false, publicKey: id.publicKey)
        let user = UserRecord(name: "ana", role: .enumerator, passwordHash: "", createdAt: 0)
        let decoded = try Body.push(from: Data(seed), gzip: false, protobuf: true)
        #expect(SyncService.signatureProblem(decoded.changesets[0], device: device, user: user) == nil, "the seed verifies")
        try fuzz("binary-push", seeds: [seed, Array(try Gzip.compress(Data(seed)))]) { input in
            for gzip in [false, true] {
                do {
                    let request = try Body.push(from: Data(input), gzip: gzip, protobuf: true)
                    for c in request.changesets {
                        _ = c.signedBytes
                        guard SyncService.signatureProblem(c, device: device, user: user) == nil else { continue }
                        for v in c.versions {
                            _ = VersionRules.check(v, owner: nil, device: device, user: user, forms: forms, now: 1_700_000_000_000)
                        }
                    }
                } catch let e as ServerError {
                    #expect(e.status == .badRequest)
                    clear(e)
                }
            }
        }
    }
}
