import Forms
import GRDB
import Sync

/// A field whose versions disagree, with every value kept.
public struct FieldConflict: Sendable, Hashable {
    public var record: String
    public var formID: String
    public var field: String
    /// The competing heads in canonical order (`RecordState.conflictVersions`):
    /// the shown one first, then newest first.
    public var heads: [Version]
}

extension Store {
    /// Every conflicting field of every record, oldest record first.
    public func conflicts() throws(StoreError) -> [FieldConflict] {
        try read { db in
            let records = try Row.fetchAll(db, sql: "SELECT id, form_id FROM records WHERE conflicts > 0 ORDER BY created_at, id")
            var out: [FieldConflict] = []
            for row in records {
                let id: String = row[0]
                let state = RecordState(record: id, versions: try Self.versions(db, record: id))
                for field in state.conflicts {
                    out.append(FieldConflict(record: id, formID: row[1], field: field, heads: state.conflictVersions(of: field)))
                }
            }
            return out
        }
    }

    /// Writes a resolution: a version of `field` whose parents are all its
    /// heads, holding `value` (canonical JSON, nil to clear). For `_deleted`,
    /// "true" confirms the delete and "false" restores the record; both name
    /// every head of the record.
    /// - Throws: `.unknownRecord`, or `.invalid` when the field is not in conflict.
    public func resolve(record id: String, field: String, value: String?) throws(StoreError) {
        let at = now()
        try write { db in
            let device = try requireDevice(db)
            guard let row = try Row.fetchOne(db, sql: "SELECT form_id, form_version, created_at, author, device FROM records WHERE id = ?",
                                             arguments: [id])
            else { throw StoreError.unknownRecord(id: id) }
            let previous = try Self.versions(db, record: id)
            let state = RecordState(record: id, versions: previous)
            guard state.conflicts.contains(field) else {
                throw StoreError.invalid([AnswerProblem(field: field, reason: Message(.answerNotInConflict, ["record": .text(id)]))], finalizing: false)
            }
            var minter = VersionMinter(device: device, now: at)
            for v in previous { minter.clock.observe(v.clock, now: at) }
            let (vid, clock) = minter.next()
            let parents = field == MetaField.deleted ? state.parentsForDelete() : state.parents(of: field)
            let resolution = Version(id: vid, record: id, form: row[0], formVersion: row[1], field: field, value: value,
                                     clock: clock, parents: parents, author: device.enumerator)
            try Self.upsertRecord(db, record: id, versions: previous + [resolution])
            try Self.insertSigned(db, [resolution])
            try minter.persist(db)
        }
    }
}
