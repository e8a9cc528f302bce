import Words
import Foundation
import GRDB
import Sync

/// Devices a supervisor's device enrolled through its hub, on their way to
/// the server (docs/sync-protocol.md, "Enrolment").
extension Store {
    /// Keeps an enrolment to carry to the server (again: the same site replaces it).
    public func addEnrolment(_ e: Enrolment) throws(StoreError) {
        try write { db in
            let body = String(decoding: try JSONEncoder().encode(e), as: UTF8.self)
            try db.execute(sql: """
                INSERT INTO enrolments (site_id, body, status) VALUES (?, ?, 'pending')
                ON CONFLICT (site_id) DO UPDATE SET body = excluded.body, status = 'pending', reason = NULL
                """, arguments: [e.site.rawValue, body])
        }
    }

    /// Enrolments with what the server said of them: pending, accepted or refused (with the reason).
    public func enrolments() throws(StoreError) -> [(enrolment: Enrolment, status: String, reason: String?)] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT body, status, reason FROM enrolments ORDER BY site_id").compactMap { row in
                guard let e = try? JSONDecoder().decode(Enrolment.self, from: Data((row[0] as String).utf8)) else { return nil }
                return (e, row[1], row[2])
            }
        }
    }

    public func recordEnrolmentResults(_ results: [EnrolmentResult]) throws(StoreError) {
        try write { db in
            for r in results {
                try db.execute(sql: "UPDATE enrolments SET status = ?, reason = ? WHERE site_id = ?",
                               arguments: [r.accepted ? "accepted" : "refused", r.reason, r.site.rawValue])
            }
        }
    }
}
