import Crypto
import Foundation
import Synchronization
import SyncServer

/// Signed-in console users, in this instance's memory. A session id is
/// minted at sign-in (never one the browser brought: no fixation), lives 8
/// hours from its last use, and carries the CSRF token every form that
/// changes something must return.
public final class ConsoleSessions: Sendable {
    public struct Session: Sendable {
        public var user: String
        public var role: Role
        public var csrf: String
        var expiresAt: Int64
    }

    static let idleLifetimeMs: Int64 = 8 * 3_600_000
    private let sessions = Mutex<[String: Session]>([:])

    public init() {}

    /// 32 random bytes, hex.
    static func token() -> String {
        var g = SystemRandomNumberGenerator()
        return (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &g)) }.joined()
    }

    /// A new session for `user`; any session id the browser had is dropped.
    func start(user: UserRecord, replacing old: String?, now: Int64) -> String {
        let id = Self.token()
        sessions.withLock { all in
            if let old { all[old] = nil }
            all = all.filter { $0.value.expiresAt > now }
            all[id] = Session(user: user.name, role: user.role, csrf: Self.token(), expiresAt: now + Self.idleLifetimeMs)
        }
        return id
    }

    /// The live session behind `id`, its idle expiry moved on.
    func session(_ id: String?, now: Int64) -> Session? {
        guard let id, id.count == 64 else { return nil }
        return sessions.withLock { all in
            guard var s = all[id] else { return nil }
            guard s.expiresAt > now else { all[id] = nil; return nil }
            s.expiresAt = now + Self.idleLifetimeMs
            all[id] = s
            return s
        }
    }

    func end(_ id: String?) {
        guard let id else { return }
        _ = sessions.withLock { $0.removeValue(forKey: id) }
    }

    /// Equal tokens, compared in time that depends only on their length.
    static func same(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count, !x.isEmpty else { return false }
        return zip(x, y).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }
}
