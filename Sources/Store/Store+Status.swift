import Words
import GRDB

/// What `recolha status` shows.
public struct StoreStatus: Sendable, Hashable {
    public var path: String
    public var device: DeviceInfo?
    /// Records by status, deleted ones left out.
    public var records: [String: Int]
    public var deleted: Int
    public var conflicts: Int
    /// Versions written here or received that the server has not acknowledged.
    public var unsent: Int
    public var forms: Int
    /// Records by review state (finalized ones; deleted left out).
    public var reviews: [String: Int] = [:]
}

extension Store {
    public func status() throws(StoreError) -> StoreStatus {
        try read { db in
            var byStatus: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT status, count(*) FROM records WHERE deleted = 0 GROUP BY status") {
                byStatus[row[0]] = row[1]
            }
            var reviews: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT review_state, count(*) FROM records WHERE deleted = 0 AND review_state IS NOT NULL GROUP BY review_state") {
                reviews[row[0]] = row[1]
            }
            let device = try Self.device(db)
            return StoreStatus(
                path: path, device: device, records: byStatus,
                deleted: try Int.fetchOne(db, sql: "SELECT count(*) FROM records WHERE deleted = 1") ?? 0,
                conflicts: try Int.fetchOne(db, sql: "SELECT count(*) FROM records WHERE conflicts > 0") ?? 0,
                unsent: try Int.fetchOne(db, sql: "SELECT count(*) FROM versions WHERE acked = 0 AND site_id = ?",
                                         arguments: [device?.site.rawValue ?? ""]) ?? 0,
                forms: try Int.fetchOne(db, sql: "SELECT count(*) FROM forms") ?? 0, reviews: reviews)
        }
    }
}
