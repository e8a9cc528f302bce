import Foundation
import RecolhaTesting
import Sync
import Testing

@Suite struct SiteIdentityTests {
    /// The vectors of sync-fixtures/signatures were computed by another
    /// Ed25519 implementation: ours derives the same key, site and bytes.
    @Test func theLoginVectorHolds() throws {
        let v = try #require(Fixtures.signatures.first { $0["name"] as? String == "login-proof" })
        let id = try #require(SiteIdentity(secret: v["secret"] as! String))
        #expect(id.publicKey == v["public_key"] as? String)
        #expect(id.site.rawValue == v["site_id"] as? String)
        #expect(id.hpkeKey == v["hpke_key"] as? String)
        let message = SiteIdentity.loginMessage(user: v["user"] as! String, site: id.site, hpkeKey: id.hpkeKey)
        #expect(Hex.encode(message) == v["message_hex"] as? String)
        #expect(SiteIdentity.verify(signature: v["signature"] as! String, of: message, publicKey: id.publicKey))
        // Ed25519 signatures are deterministic (RFC 8032): ours is the same.
        #expect(id.loginProof(user: v["user"] as! String) == v["signature"] as? String)
        #expect(SiteIdentity.proves(site: id.site, publicKey: id.publicKey, proof: v["signature"] as! String, user: "sara", hpkeKey: id.hpkeKey))
        #expect(!SiteIdentity.proves(site: id.site, publicKey: id.publicKey, proof: v["signature"] as! String, user: "ana", hpkeKey: id.hpkeKey))
    }

    @Test func aSiteCannotBeClaimedWithAnotherKey() {
        let a = SiteIdentity.make(), b = SiteIdentity.make()
        #expect(a.site != b.site)
        #expect(!SiteIdentity.proves(site: a.site, publicKey: b.publicKey, proof: b.loginProof(user: "ana"), user: "ana", hpkeKey: b.hpkeKey))
        #expect(!SiteIdentity.proves(site: a.site, publicKey: a.publicKey, proof: b.loginProof(user: "ana"), user: "ana", hpkeKey: a.hpkeKey))
        #expect(SiteIdentity.proves(site: a.site, publicKey: a.publicKey, proof: a.loginProof(user: "ana"), user: "ana", hpkeKey: a.hpkeKey))
        // Another bundle key than the one signed: refused.
        #expect(!SiteIdentity.proves(site: a.site, publicKey: a.publicKey, proof: a.loginProof(user: "ana"), user: "ana", hpkeKey: b.hpkeKey))
    }

    @Test func malformedKeysAndSignaturesAreRefusedNotTrapped() {
        #expect(SiteIdentity(secret: "xyz") == nil)
        #expect(SiteIdentity(secret: String(repeating: "A", count: 64)) == nil)
        #expect(SiteIdentity.derive(publicKey: "00") == nil)
        #expect(!SiteIdentity.verify(signature: "zz", of: Data(), publicKey: String(repeating: "0", count: 64)))
        #expect(!SiteIdentity.verify(signature: String(repeating: "0", count: 128), of: Data(), publicKey: "nothex"))
    }
}
