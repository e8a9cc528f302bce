import Words
import Foundation

/// Failed logins per user and address: after `freeFailures` within the
/// window, each further attempt must wait, doubling up to `maxDelay`.
/// Kept in memory per instance (several PostgreSQL instances each keep their
/// own count; a restart forgets, which only ever helps the honest user).
final class LoginThrottle: @unchecked Sendable {
    struct Entry { var failures: Int; var last: Int64; var blockedUntil: Int64 }
    private var entries: [String: Entry] = [:]
    private let lock = NSLock()
    let freeFailures: Int
    let windowMs: Int64
    let baseDelayMs: Int64
    let maxDelayMs: Int64
    /// Bound on remembered keys, so a flood of names cannot grow memory.
    let maxEntries = 100_000

    init(freeFailures: Int = 5, windowMs: Int64 = 15 * 60_000, baseDelayMs: Int64 = 30_000, maxDelayMs: Int64 = 15 * 60_000) {
        self.freeFailures = freeFailures; self.windowMs = windowMs; self.baseDelayMs = baseDelayMs; self.maxDelayMs = maxDelayMs
    }

    static func key(user: String, address: String) -> String { user.lowercased() + "\u{1}" + address }

    /// Seconds to wait before this user may try again from this address, or nil.
    func wait(_ key: String, now: Int64) -> Int? {
        lock.withLock {
            guard let e = entries[key], e.blockedUntil > now else { return nil }
            return Int((e.blockedUntil - now + 999) / 1000)
        }
    }

    func failed(_ key: String, now: Int64) {
        lock.withLock {
            var e = entries[key] ?? Entry(failures: 0, last: now, blockedUntil: 0)
            if now - e.last > windowMs { e.failures = 0 }
            e.failures += 1
            e.last = now
            if e.failures >= freeFailures {
                let doublings = min(e.failures - freeFailures, 10)
                e.blockedUntil = now + min(baseDelayMs << doublings, maxDelayMs)
            }
            if entries.count >= maxEntries { entries = entries.filter { now - $0.value.last <= windowMs } }
            entries[key] = e
        }
    }

    func succeeded(_ key: String) {
        _ = lock.withLock { entries.removeValue(forKey: key) }
    }
}
