import Crypto
import Foundation

/// A device's secret and the site id derived from it: nobody can claim a
/// site id without holding its secret, so an enumerator cannot log in as a
/// supervisor's site. (Protocol 2 replaces the secret with an Ed25519 key;
/// the rule that a site id is derived, never chosen, stays.)
public struct SiteIdentity: Sendable, Hashable {
    public let site: SiteID
    /// 64 lowercase hex digits; kept in the owner-only store, sent only at
    /// login and at a change of identity, over the server's TLS.
    public let secret: String

    /// A fresh identity from the system's random numbers.
    public static func make() -> SiteIdentity {
        var g = SystemRandomNumberGenerator()
        let bytes = (0..<4).map { _ in UInt64.random(in: .min ... .max, using: &g) }
        let secret = bytes.map { w in let h = String(w, radix: 16); return String(repeating: "0", count: 16 - h.count) + h }.joined()
        return SiteIdentity(secret: secret)!
    }

    /// The identity of a secret; nil when it is not 64 lowercase hex digits.
    public init?(secret: String) {
        guard secret.utf8.count == 64, secret.utf8.allSatisfy({ (48...57).contains($0) || (97...102).contains($0) }) else { return nil }
        self.secret = secret
        self.site = Self.derive(secret)
    }

    /// The first 8 bytes of SHA-256("recolha-site:" + secret), in hex.
    public static func derive(_ secret: String) -> SiteID {
        let digest = SHA256.hash(data: Data(("recolha-site:" + secret).utf8))
        return SiteID(digest.prefix(8).map { String(format: "%02x", $0) }.joined())!
    }

    /// Whether `secret` is the secret of `site`.
    public static func proves(_ secret: String, site: SiteID) -> Bool {
        SiteIdentity(secret: secret)?.site == site
    }
}
