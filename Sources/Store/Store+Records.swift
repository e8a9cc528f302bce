import Foundation
import Forms
import GRDB
import SQLiteBinding
import Sync

extension Store {
    /// Validates and saves a record's answers in one transaction: the
    /// versions of every changed field, the materialized record and the
    /// device counters. Nothing is written when any answer has a problem.
    /// - Throws: `StoreError.invalid` listing every problem; `.unknownRecord`,
    ///   `.recordDeleted`, `.diskFull`, ...
    @discardableResult
    public func save(_ request: SaveRequest) throws(StoreError) -> SaveResult {
        let at = now()
        let result = try write { db in
            let device = try requireDevice(db)
            let id = request.record ?? UUID().uuidString.lowercased()
            var previous: [Version] = []
            var owner = device.enumerator
            if let existing = request.record {
                guard let row = try Row.fetchOne(
                    db, sql: "SELECT form_id, deleted, author FROM records WHERE id = ?", arguments: [existing])
                else { throw StoreError.unknownRecord(id: existing) }
                if (row[0] as String) != request.form.id {
                    throw StoreError.formMismatch(record: existing, form: row[0])
                }
                if (row[1] as Int) != 0 { throw StoreError.recordDeleted(id: existing) }
                owner = row[2]
                previous = try Self.versions(db, record: existing)
            }
            let state = RecordState(record: id, versions: previous)
            let rules = FormRules(form: request.form, nowMs: at, utcOffsetSeconds: TimeZone.current.secondsFromGMT())
            let status = state.status ?? RecordStatus.draft
            let finalizing = request.finalize || status == RecordStatus.finalized
            let filled = rules.fillMetadata(request.answers, isNew: request.record == nil,
                                            finalizing: request.finalize && status != RecordStatus.finalized,
                                            deviceID: device.site.rawValue, username: device.enumerator)
            // Only a `trigger` compares with the answers saved before: read them only then.
            let before = request.record == nil || !request.form.hasTriggers ? nil : Answers(state.values.compactMapValues { Answer(json: $0) })
            let (settled, cleared, walked) = rules.settleKeepingFields(filled, openInstances: request.openInstances, previous: before)
            var problems: [AnswerProblem] = []
            if !request.clearIrrelevant {
                problems += cleared.map {
                    AnswerProblem(field: $0, reason: Message(.answerNotRelevant))
                }
            }
            // settle's last walk is problems' walk unless open repeat instances added fields to it.
            problems += rules.problems(settled, finalizing: finalizing, walked: request.openInstances.isEmpty ? walked : nil)
            if !problems.isEmpty { throw StoreError.invalid(problems, finalizing: finalizing) }

            var changes: [(String, String?)] = []
            let current = state.values
            let wanted = settled.values.mapValues(\.json)
            for path in Set(current.keys).union(wanted.keys).sorted() {
                let conflicted = state.fields[path]?.isConflict == true && request.touched.contains(path)
                if current[path] != wanted[path] || conflicted { changes.append((path, wanted[path])) }
            }
            if request.record == nil && !request.finalize { changes.append((MetaField.status, JSONText.quote(RecordStatus.draft))) }
            if request.finalize && status != RecordStatus.finalized {
                changes.append((MetaField.status, JSONText.quote(RecordStatus.finalized)))
            }
            // A returned record its enumerator changes and keeps finalized
            // goes back to the review queue as corrected.
            if finalizing && !changes.isEmpty && state.review?.state == .hasIssues && device.enumerator == owner {
                changes.append((MetaField.review, Review(state: .corrected).json))
            }

            var minter = VersionMinter(device: device, now: at)
            var written: [Version] = []
            written.reserveCapacity(changes.count)
            for (field, value) in changes {
                let (vid, clock) = minter.next()
                written.append(Version(
                    id: vid, record: id, form: request.form.id, formVersion: request.form.version,
                    field: field, value: value, clock: clock, parents: state.parents(of: field),
                    author: device.enumerator))
            }
            // The record row before its versions, which reference it.
            try Self.upsertRecord(db, record: id, versions: previous + written)
            FaultPoint.reach("save-after-record")
            try Self.insertSigned(db, written)
            try minter.persist(db)
            FaultPoint.reach("save-before-commit")
            return SaveResult(record: id, versions: written.count, cleared: request.clearIrrelevant ? cleared : [],
                              status: finalizing ? RecordStatus.finalized : status)
        }
        FaultPoint.reach("save-after-commit")
        return result
    }

    /// Marks a record deleted: a tombstone version naming the heads of every
    /// field, so an edit the deleter never saw surfaces as a conflict.
    /// - Throws: `.unknownRecord`, `.recordDeleted`.
    public func delete(record id: String) throws(StoreError) {
        let at = now()
        try write { db in
            let device = try requireDevice(db)
            guard let row = try Row.fetchOne(db, sql: "SELECT form_id, form_version, deleted FROM records WHERE id = ?",
                                             arguments: [id])
            else { throw StoreError.unknownRecord(id: id) }
            if (row[2] as Int) != 0 { throw StoreError.recordDeleted(id: id) }
            let previous = try Self.versions(db, record: id)
            let state = RecordState(record: id, versions: previous)
            var minter = VersionMinter(device: device, now: at)
            let (vid, clock) = minter.next()
            let tomb = Version(id: vid, record: id, form: row[0], formVersion: row[1], field: MetaField.deleted,
                               value: "true", clock: clock, parents: state.parentsForDelete(), author: device.enumerator)
            try Self.upsertRecord(db, record: id, versions: previous + [tomb])
            try Self.insertSigned(db, [tomb])
            try minter.persist(db)
        }
    }

    /// Finds a record by its id or a unique prefix of it (at least 4 characters).
    /// - Throws: `.unknownRecord`, `.ambiguousRecord`.
    public func resolveRecordID(_ text: String) throws(StoreError) -> String {
        let prefix = text.lowercased()
        let ids: [String] = try read { db in
            if try Bool.fetchOne(db, sql: "SELECT 1 FROM records WHERE id = ?", arguments: [prefix]) == true {
                return [prefix]
            }
            guard prefix.count >= 4 else { return [] }
            return try String.fetchAll(
                db, sql: "SELECT id FROM records WHERE id >= ? AND id < ? LIMIT 2",
                arguments: [prefix, prefix + "\u{10FFFF}"])
        }
        guard let first = ids.first else { throw .unknownRecord(id: text) }
        guard ids.count == 1 else { throw .ambiguousRecord(prefix: text, matches: ids.count) }
        return first
    }

    /// One record with its answers.
    /// - Throws: `.unknownRecord`.
    public func record(_ id: String) throws(StoreError) -> StoredRecord {
        let found: StoredRecord? = try read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM records WHERE id = ?", arguments: [id]) else { return nil }
            let versions = try Self.versions(db, record: id)
            let state = RecordState(record: id, versions: versions)
            var answers = Answers()
            for (path, json) in state.values {
                if let a = Answer(json: json) { answers[path] = a }
            }
            return StoredRecord(
                id: id, formID: row["form_id"], formVersion: row["form_version"], status: row["status"],
                deleted: row["deleted"], answers: answers, conflicts: state.conflicts, author: row["author"],
                device: row["device"], createdAt: row["created_at"], updatedAt: row["updated_at"],
                review: state.review, reviewState: state.reviewState)
        }
        guard let found else { throw .unknownRecord(id: id) }
        return found
    }

    /// Records without their answers, oldest first; deleted ones only when asked.
    /// Records in creation order; with `newest`, only the newest that many
    /// (still oldest first) and how many matched in all. The newest page
    /// walks the creation index backwards: left to choose, SQLite takes the
    /// index on `deleted` and sorts every record (40 ms at 100,000).
    public func records(form: String? = nil, status: String? = nil, reviewState: Review.State? = nil,
                        includeDeleted: Bool = false) throws(StoreError) -> [RecordSummary] {
        try records(form: form, status: status, reviewState: reviewState, includeDeleted: includeDeleted, newest: nil).records
    }

    public func records(form: String?, status: String?, reviewState: Review.State?, includeDeleted: Bool, newest: Int?)
        throws(StoreError) -> (records: [RecordSummary], matching: Int) {
        try read { db in
            var filter = "WHERE 1 = 1"
            var args: [any DatabaseValueConvertible] = []
            if let form { filter += " AND form_id = ?"; args.append(form) }
            if let status { filter += " AND status = ?"; args.append(status) }
            if let reviewState { filter += " AND review_state = ?"; args.append(reviewState.rawValue) }
            if !includeDeleted { filter += " AND deleted = 0" }
            let columns = "id, form_id, form_version, status, deleted, conflicts, author, updated_at, review"
            let sql = newest == nil
                ? "SELECT \(columns) FROM records \(filter) ORDER BY created_at, id"
                : "SELECT \(columns) FROM records INDEXED BY records_created \(filter) ORDER BY created_at DESC, id DESC LIMIT \(newest!)"
            var found = try Row.fetchAll(db, sql: sql, arguments: StatementArguments(args)).map {
                RecordSummary(id: $0[0], formID: $0[1], formVersion: $0[2], status: $0[3], deleted: $0[4],
                              conflicts: $0[5], author: $0[6], updatedAt: $0[7], review: Review.parse($0[8]))
            }
            guard newest != nil else { return (found, found.count) }
            found.reverse()
            let matching = try Int.fetchOne(db, sql: "SELECT count(*) FROM records \(filter)", arguments: StatementArguments(args)) ?? 0
            return (found, matching)
        }
    }

    /// A page of record ids of a form in creation order (after the record
    /// `after` names), for exports that stream: memory stays flat however
    /// many records there are.
    public func recordIDs(form: String, after: (createdAt: Int64, id: String)?, limit: Int, includeDrafts: Bool)
        throws(StoreError) -> [(createdAt: Int64, id: String)] {
        try read { db in
            try Row.fetchAll(db, sql: """
                SELECT created_at, id FROM records
                WHERE form_id = ? AND deleted = 0 AND (? OR status <> 'draft') AND (created_at, id) > (?, ?)
                ORDER BY created_at, id LIMIT ?
                """, arguments: [form, includeDrafts, after?.createdAt ?? Int64.min, after?.id ?? "", limit]).map { ($0[0], $0[1]) }
        }
    }

    /// Every version of a record, in the order they were written here.
    public func versions(record id: String) throws(StoreError) -> [Version] {
        try read { db in try Self.versions(db, record: id) }
    }

    static func versions(_ db: Database, record id: String) throws -> [Version] {
        let rows = try Row.fetchCursor(db.cachedStatement(sql: """
            SELECT site_id, seq, record_id, form_id, form_version, field, value, clock_ms, clock_counter, parents, author
            FROM versions WHERE record_id = ?
            """), arguments: [id])
        var out: [Version] = []
        while let row = try rows.next() { out.append(try version(row)) }
        return out
    }

    static func insert(_ db: Database, _ versions: [Version], acked: Bool = false, signed: Bool = false) throws {
        let half = versions.count / 2
        try insertRows(db, versions[..<half], acked: acked, signed: signed)
        if !versions.isEmpty { FaultPoint.reach("save-mid-versions") }
        try insertRows(db, versions[half...], acked: acked, signed: signed)
        for v in versions { try noteMedia(db, record: v.record, value: v.value) }
    }

    static func insertRows(_ db: Database, _ versions: ArraySlice<Version>, acked: Bool, signed: Bool) throws {
        let first = versions.startIndex
        try db.insertRows("""
            INSERT INTO versions (site_id, seq, record_id, form_id, form_version, field, value,
                                  clock_ms, clock_counter, parents, author, acked, signed)
            """, columns: 13, count: versions.count) { b, i in
            let v = versions[first + i]
            b.text(v.id.site.rawValue); b.int(v.id.seq); b.text(v.record); b.text(v.form); b.text(v.formVersion); b.text(v.field)
            b.text(v.value); b.int(v.clock.ms); b.int(Int64(v.clock.counter))
            b.text(v.parents.isEmpty ? "" : v.parents.map(\.description).joined(separator: " ")); b.text(v.author); b.int(acked ? 1 : 0)
            b.int(signed ? 1 : 0)
        }
    }

    /// Writes a record's row from all of its versions, so every device that
    /// holds the same versions holds the same row: form version of the
    /// newest version, author, device and created_at of the oldest (by
    /// clock), updated_at the newest clock.
    static func upsertRecord(_ db: Database, record: String, versions all: [Version]) throws {
        guard let first = all.min(by: { $0.clock < $1.clock }), let newest = all.max(by: { $0.clock < $1.clock }) else { return }
        let state = RecordState(record: record, versions: all)
        var shown = Array(state.values)
        shown.sort { $0.key < $1.key }  // paths are unique: no order among equals to keep
        var answers = "{"
        answers.reserveCapacity(shown.reduce(2) { $0 + $1.key.utf8.count + $1.value.utf8.count + 4 })
        for (i, (path, json)) in shown.enumerated() {
            if i > 0 { answers += "," }
            answers += JSONText.quote(path)
            answers += ":"
            answers += json
        }
        answers += "}"
        try db.cachedStatement(sql: """
            INSERT INTO records (id, form_id, form_version, status, deleted, answers, conflicts, author, device,
                                 created_at, updated_at, review, review_state)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (id) DO UPDATE SET form_version = excluded.form_version, status = excluded.status,
                deleted = excluded.deleted, answers = excluded.answers, conflicts = excluded.conflicts,
                author = excluded.author, device = excluded.device,
                created_at = excluded.created_at, updated_at = excluded.updated_at,
                review = excluded.review, review_state = excluded.review_state
            """).execute(arguments: [
                record, newest.form, newest.formVersion, state.status ?? RecordStatus.draft, state.isDeleted ? 1 : 0,
                answers, state.conflicts.count, first.author, first.id.site.rawValue, first.clock.ms, newest.clock.ms,
                state.review?.json, state.reviewState?.rawValue,
            ])
    }
}
