import Crypto
import Foundation

/// A device's Ed25519 key pair and the site id derived from its public key:
/// nobody can claim a site id without holding its private key, and nobody
/// can write a changeset in its name (protocol 2, docs/sync-protocol.md,
/// "Device keys").
public struct SiteIdentity: Sendable, Hashable {
    public let site: SiteID
    /// The private key: 64 lowercase hex digits (32 bytes), kept only in the
    /// owner-only store; it never leaves the device.
    public let secret: String
    /// The public key: 64 lowercase hex digits, sent at login.
    public let publicKey: String
    /// The private key's 32 bytes.
    let raw: Data
    /// The signing key made once: making it from its bytes derives the
    /// public key, half the cost of a signature.
    private let key: SigningKey

    /// swift-crypto's key type is not Sendable; it is immutable once made.
    private final class SigningKey: @unchecked Sendable {
        let key: Curve25519.Signing.PrivateKey
        init(_ key: Curve25519.Signing.PrivateKey) { self.key = key }
    }

    /// A fresh key pair from the system's random numbers.
    public static func make() -> SiteIdentity {
        SiteIdentity(secret: Hex.encode(Curve25519.Signing.PrivateKey().rawRepresentation))!
    }

    /// The identity of a private key; nil when it is not 64 lowercase hex digits.
    public init?(secret: String) {
        guard let raw = Hex.decode(secret, count: 32), let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: raw) else {
            return nil
        }
        self.raw = raw
        self.key = SigningKey(key)
        self.secret = secret
        self.publicKey = Hex.encode(key.publicKey.rawRepresentation)
        self.site = Self.derive(publicKey: publicKey)!
    }

    /// The X25519 key bundles are encrypted to (HPKE), derived from the
    /// private key: HKDF-SHA256(key, salt "recolha", info "recolha-hpke-v2").
    public var hpkePrivateKey: Curve25519.KeyAgreement.PrivateKey {
        let derived = HKDF<SHA256>.deriveKey(inputKeyMaterial: SymmetricKey(data: raw), salt: Data("recolha".utf8),
                                             info: Data("recolha-hpke-v2".utf8), outputByteCount: 32)
        return try! Curve25519.KeyAgreement.PrivateKey(rawRepresentation: derived.withUnsafeBytes { Data($0) })
    }

    /// The public half of `hpkePrivateKey`, in hex: sent at login, listed to
    /// devices that write bundles for this one.
    public var hpkeKey: String { Hex.encode(hpkePrivateKey.publicKey.rawRepresentation) }

    /// The first 8 bytes of SHA-256("recolha-site-v2:" + the 32 bytes of the
    /// public key), in hex; nil when `publicKey` is not 64 hex digits.
    public static func derive(publicKey: String) -> SiteID? {
        guard let raw = Hex.decode(publicKey, count: 32) else { return nil }
        let digest = SHA256.hash(data: Data("recolha-site-v2:".utf8) + raw)
        return SiteID(Hex.encode(Data(digest.prefix(8))))
    }

    /// An Ed25519 signature of `message`, in hex (128 digits).
    public func sign(_ message: Data) -> String {
        // Ed25519 signing fails only for a malformed key, which init refuses.
        Hex.encode(try! key.key.signature(for: message))
    }

    /// What a device signs at login: it holds the key of the site it claims,
    /// for this user, and bundles for it are encrypted to `hpkeKey`. Sent
    /// over the server's TLS with the password.
    public static func loginMessage(user: String, site: SiteID, hpkeKey: String) -> Data {
        Data("recolha-login-v2\u{0}\(user)\u{0}\(site.rawValue)\u{0}\(hpkeKey)".utf8)
    }

    public func loginProof(user: String) -> String { sign(Self.loginMessage(user: user, site: site, hpkeKey: hpkeKey)) }

    /// Whether `signature` (hex) is `publicKey`'s (hex) signature of `message`.
    public static func verify(signature: String, of message: Data, publicKey: String) -> Bool {
        guard let raw = Hex.decode(publicKey, count: 32), let sig = Hex.decode(signature, count: 64),
              let key = try? Curve25519.Signing.PublicKey(rawRepresentation: raw) else { return false }
        return key.isValidSignature(sig, for: message)
    }

    /// Whether a login for `user` proves `site` (and its `hpkeKey`): the key
    /// derives the site and the proof is its signature.
    public static func proves(site: SiteID, publicKey: String, proof: String, user: String, hpkeKey: String) -> Bool {
        derive(publicKey: publicKey) == site && Hex.decode(hpkeKey, count: 32) != nil
            && verify(signature: proof, of: loginMessage(user: user, site: site, hpkeKey: hpkeKey), publicKey: publicKey)
    }

    public static func == (a: SiteIdentity, b: SiteIdentity) -> Bool { a.secret == b.secret }
    public func hash(into h: inout Hasher) { h.combine(secret) }
}

/// Lowercase hex, the text form of keys and signatures on the wire.
public enum Hex {
    public static func encode<D: DataProtocol>(_ bytes: D) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for b in bytes { out.append(digits[Int(b >> 4)]); out.append(digits[Int(b & 15)]) }
        return String(decoding: out, as: UTF8.self)
    }

    /// The bytes of lowercase hex text of exactly `count` bytes; nil otherwise.
    public static func decode(_ text: String, count: Int) -> Data? {
        let u = Array(text.utf8)
        guard u.count == count * 2 else { return nil }
        var out = Data(capacity: count)
        var i = 0
        while i < u.count {
            guard let hi = nibble(u[i]), let lo = nibble(u[i + 1]) else { return nil }
            out.append(hi << 4 | lo)
            i += 2
        }
        return out
    }

    static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case 48...57: c - 48
        case 97...102: c - 87
        default: nil
        }
    }
}
