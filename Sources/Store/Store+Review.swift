import Forms
import GRDB
import Sync

extension Store {
    /// Writes a supervisor's verdict on a finalized record: one signed
    /// `_review` version whose parents are the heads this device holds, so a
    /// verdict made elsewhere at the same time stays beside it as a conflict.
    /// Field comments must name questions of the record's form.
    /// - Throws: `.reviewRefused` (an enumerator's device, a draft, a deleted
    ///   record, a bad comment), `.unknownRecord`.
    public func review(record id: String, _ review: Review) throws(StoreError) {
        let at = now()
        if let problem = review.problem { throw .reviewRefused(problem) }
        guard review.state != .corrected else {
            throw .reviewRefused(Message(.reviewCorrectedByFinalizing))
        }
        let role = try syncState()?.role
        guard role == "supervisor" || role == "admin" else {
            throw .reviewRefused(Message(.reviewOnlySupervisors, ["role": role.map { .text($0) } ?? .message(Message(.reviewNobody))]))
        }
        let held: (String, String)? = try read { db in
            try Row.fetchOne(db, sql: "SELECT form_id, form_version FROM records WHERE id = ?", arguments: [id]).map { ($0[0], $0[1]) }
        }
        guard let held else { throw .unknownRecord(id: id) }
        let form = try self.form(id: held.0, version: held.1)
        for name in (review.fields?.keys ?? [:].keys).sorted() where form.questions[FormRules.name(of: name)] == nil {
            throw .reviewRefused(Message(.reviewNotAQuestion, ["name": .text(name), "form": .text(form.id), "record": .text(String(id.prefix(8)))]))
        }
        try write { db in
            let device = try requireDevice(db)
            guard let row = try Row.fetchOne(db, sql: "SELECT form_id, form_version, deleted FROM records WHERE id = ?", arguments: [id])
            else { throw StoreError.unknownRecord(id: id) }
            if (row[2] as Int) != 0 { throw StoreError.recordDeleted(id: id) }
            let previous = try Self.versions(db, record: id)
            let state = RecordState(record: id, versions: previous)
            guard state.status == RecordStatus.finalized else {
                throw StoreError.reviewRefused(Message(.reviewDraft, ["record": .text(id)]))
            }
            var minter = VersionMinter(device: device, now: at)
            for v in previous { minter.clock.observe(v.clock, now: at) }
            let (vid, clock) = minter.next()
            let version = Version(id: vid, record: id, form: row[0], formVersion: row[1], field: MetaField.review,
                                  value: review.json, clock: clock, parents: state.parents(of: MetaField.review),
                                  author: device.enumerator)
            try Self.upsertRecord(db, record: id, versions: previous + [version])
            try Self.insertSigned(db, [version])
            try minter.persist(db)
        }
    }

    /// Records returned to this device's user, with the review that
    /// returned them, oldest first.
    public func returnedRecords() throws(StoreError) -> [RecordSummary] {
        try records(reviewState: .hasIssues)
    }
}
