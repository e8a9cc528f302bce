import Words
import Crypto
import Foundation
import HummingbirdBcrypt

/// Passwords (bcrypt, a slow salted hash) and device tokens (random, stored
/// as SHA-256, compared in constant time).
public enum Credentials {
    /// bcrypt cost: 2^10 rounds, about 60 ms here; raise it as machines grow.
    static let cost: UInt8 = 10

    public static func hashPassword(_ password: String) -> String { Bcrypt.hash(password, cost: cost) }

    public static func verify(_ password: String, hash: String) -> Bool { Bcrypt.verify(password, hash: hash) }

    /// A hash no password is known to match, verified for unknown users so
    /// that a wrong name costs the same time as a wrong password.
    static let decoyHash = hashPassword(randomHex(16))

    /// A new token `DEVICEID.SECRET`: the id finds the device, the secret
    /// (256 random bits) proves it.
    public static func newToken() -> (deviceID: String, token: String, secretHash: String) {
        let id = randomHex(8)
        let secret = randomHex(32)
        return (id, id + "." + secret, sha256(secret))
    }

    /// Splits a token into its device id and the hash of its secret.
    public static func parse(_ token: String) -> (deviceID: String, secretHash: String)? {
        let parts = token.split(separator: ".", maxSplits: 1)
        guard parts.count == 2, parts[0].count == 16, parts[1].count == 64 else { return nil }
        return (String(parts[0]), sha256(String(parts[1])))
    }

    public static func sha256(_ text: String) -> String {
        SHA256.hash(data: Data(text.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// Equal strings in time that depends only on their length.
    public static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var diff: UInt8 = 0
        for i in 0..<x.count { diff |= x[i] ^ y[i] }
        return diff == 0
    }

    static func randomHex(_ bytes: Int) -> String {
        var g = SystemRandomNumberGenerator()
        return (0..<bytes).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &g)) }.joined()
    }
}
