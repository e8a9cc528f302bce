import Foundation
import Forms
import GRDB
import RecolhaTesting
import Sync
import Testing
@testable import Store

/// A store in a fresh temporary folder with the flagship form added.
struct Fixture {
    let dir = TempDir()
    let store: Store
    let form = try! Form.load(json: Package.data(Package.flagship))

    init(enumerator: String = "ana") throws {
        store = try Store(path: dir.file("store.sqlite"), create: true)
        try store.initialize(enumerator: enumerator)
        try store.addForm(form)
    }

    func answers(_ file: String = "examples/ressano_garcia.json") -> Answers {
        guard case .object(let o) = try! JSONValue.parse(Package.data(file)) else { fatalError() }
        return Answers.read(o, form: form) { RepeatKey.make(ms: 1, index: $0) }.0
    }

    func count(_ sql: String) throws -> Int {
        try DatabaseQueue(path: store.path).read { try Int.fetchOne($0, sql: sql)! }
    }
}

@Suite struct SchemaTests {
    static func objects(_ db: Database) throws -> [String] {
        try String.fetchAll(db, sql: """
            SELECT type || ' ' || name || ': ' || sql FROM sqlite_master
            WHERE name NOT LIKE 'sqlite_%' AND name NOT LIKE 'grdb_%' ORDER BY name
            """).map { $0.split(whereSeparator: \.isWhitespace).joined(separator: " ") }
    }

    @Test func aMigratedStoreMatchesSchemaStoreSQL() throws {
        let f = try Fixture()
        let migrated = try DatabaseQueue(path: f.store.path).read { db in
            (try Self.objects(db), try Int.fetchOne(db, sql: "PRAGMA application_id")!)
        }
        let reference = try DatabaseQueue()
        try reference.writeWithoutTransaction { db in
            try db.execute(sql: String(decoding: Package.data("schema/store.sql"), as: UTF8.self))
        }
        let expected = try reference.read { db in (try Self.objects(db), try Int.fetchOne(db, sql: "PRAGMA application_id")!) }
        #expect(migrated.0 == expected.0)
        #expect(migrated.1 == expected.1)
        #expect(!migrated.0.isEmpty)
    }

    @Test func newStoreIsOwnerOnlyInWALModeWithForeignKeys() throws {
        let f = try Fixture()
        let mode = try FileManager.default.attributesOfItem(atPath: f.store.path)[.posixPermissions] as! Int
        #expect(mode & 0o077 == 0)
        let journal = try DatabaseQueue(path: f.store.path).read { try String.fetchOne($0, sql: "PRAGMA journal_mode") }
        #expect(journal == "wal")
        let fk = try f.store.read { try Int.fetchOne($0, sql: "PRAGMA foreign_keys") }
        #expect(fk == 1)
    }
}

@Suite struct SaveTests {
    @Test func aSaveWritesTheRecordAndOneVersionPerField() throws {
        let f = try Fixture()
        let a = f.answers()
        let result = try f.store.save(SaveRequest(form: f.form, answers: a, finalize: true))
        let settled = FormRules(form: f.form, nowMs: 0).settle(a).answers
        // One version per answer, plus the status.
        #expect(result.versions == settled.values.count + 1)
        #expect(try f.count("SELECT count(*) FROM versions") == result.versions)
        let record = try f.store.record(result.record)
        #expect(record.status == "finalized")
        #expect(record.answers == settled)
        #expect(record.answers["total_staff"] == .text("11"))
        let device = try f.store.device()!
        #expect(device.nextSeq == Int64(result.versions) + 1)
        let seqs = try f.store.versions(record: result.record).map(\.id.seq).sorted()
        #expect(seqs == Array(1...Int64(result.versions)))
    }

    @Test func aSaveThatFailsValidationWritesNothing() throws {
        let f = try Fixture()
        var a = f.answers()
        a["facility_code"] = .text("bad")
        a["non_national_share"] = .integer(140)
        #expect(throws: StoreError.self) { try f.store.save(SaveRequest(form: f.form, answers: a)) }
        do {
            try f.store.save(SaveRequest(form: f.form, answers: a))
        } catch {
            guard case .invalid(let problems, _) = error else { Issue.record("\(error)"); return }
            #expect(problems.map(\.field) == ["facility_code", "non_national_share"])
            #expect(!error.description.contains("bad") && !error.description.contains("140"))
        }
        #expect(try f.count("SELECT count(*) FROM versions") == 0)
        #expect(try f.count("SELECT count(*) FROM records") == 0)
        #expect(try f.store.device()!.nextSeq == 1)
    }

    @Test func finalizingRefusesWhileRequiredAnswersAreMissing() throws {
        let f = try Fixture()
        var a = f.answers()
        a["isolation_beds"] = nil
        let draft = try f.store.save(SaveRequest(form: f.form, answers: a))
        #expect(draft.status == "draft")
        do {
            try f.store.save(SaveRequest(record: draft.record, form: f.form, answers: a, finalize: true))
            Issue.record("finalize should refuse")
        } catch {
            guard case .invalid(let problems, true) = error else { Issue.record("\(error)"); return }
            #expect(problems == [AnswerProblem(field: "isolation_beds", reason: Message(.answerRequired))])
        }
        #expect(try f.store.record(draft.record).status == "draft")
    }

    @Test func anEditWritesOnlyWhatChangedNamingThePreviousHead() throws {
        let f = try Fixture()
        let first = try f.store.save(SaveRequest(form: f.form, answers: f.answers()))
        let before = try f.store.versions(record: first.record)
        var a = try f.store.record(first.record).answers
        a["isolation_beds"] = .integer(6)
        let edit = try f.store.save(SaveRequest(record: first.record, form: f.form, answers: a))
        #expect(edit.versions == 1)
        let after = try f.store.versions(record: first.record)
        let new = after.first { v in !before.contains { $0.id == v.id } }!
        let old = before.first { $0.field == "isolation_beds" }!
        #expect(new.field == "isolation_beds" && new.value == "6" && new.parents == [old.id])
        #expect(new.clock > old.clock)
        // Saving the same answers again records nothing.
        #expect(try f.store.save(SaveRequest(record: first.record, form: f.form, answers: a)).versions == 0)
    }

    @Test func anEditThatMakesAnswersIrrelevantClearsThem() throws {
        let f = try Fixture()
        let r = try f.store.save(SaveRequest(form: f.form, answers: f.answers()))
        var a = try f.store.record(r.record).answers
        a["outbreak_plan"] = .text("no")
        let edit = try f.store.save(SaveRequest(record: r.record, form: f.form, answers: a))
        #expect(edit.cleared == ["last_outbreak_drill"])
        let v = try f.store.versions(record: r.record).filter { $0.field == "last_outbreak_drill" }
        #expect(v.count == 2 && v.contains { $0.value == nil })
    }

    @Test func countersSurviveReopeningAndAreNeverReused() throws {
        let f = try Fixture()
        let one = try f.store.save(SaveRequest(form: f.form, answers: f.answers()))
        let reopened = try Store(path: f.store.path)
        let two = try reopened.save(SaveRequest(form: f.form, answers: f.answers("examples/machipanda.json")))
        let ids = try reopened.versions(record: one.record).map(\.id) + reopened.versions(record: two.record).map(\.id)
        #expect(Set(ids).count == ids.count)
        #expect(ids.count == one.versions + two.versions)
    }

    @Test func aDeleteIsATombstoneNamingEveryHead() throws {
        let f = try Fixture()
        let r = try f.store.save(SaveRequest(form: f.form, answers: f.answers()))
        let heads = try f.store.versions(record: r.record).map(\.id)
        try f.store.delete(record: r.record)
        let tomb = try f.store.versions(record: r.record).first { $0.field == MetaField.deleted }!
        #expect(Set(tomb.parents) == Set(heads))
        #expect(try f.store.record(r.record).deleted)
        #expect(try f.store.records().isEmpty)
        #expect(try f.store.records(includeDeleted: true).count == 1)
        #expect(throws: StoreError.self) { try f.store.delete(record: r.record) }
        #expect(throws: StoreError.self) {
            try f.store.save(SaveRequest(record: r.record, form: f.form, answers: f.answers()))
        }
    }

    @Test func settingAConflictingFieldResolvesIt() throws {
        let f = try Fixture()
        let r = try f.store.save(SaveRequest(form: f.form, answers: f.answers()))
        // A concurrent edit from another device, as sync will deliver it.
        let base = try f.store.versions(record: r.record).first { $0.field == "isolation_beds" }!
        let other = SiteID("0123456789abcdef")!
        let remote = Version(id: VersionID(site: other, seq: 1), record: r.record, form: base.form,
                             formVersion: base.formVersion, field: "isolation_beds", value: "9",
                             clock: HLC(ms: base.clock.ms + 1, counter: 0, site: other), parents: [base.id], author: "bento")
        let local = Version(id: VersionID(site: base.id.site, seq: 999), record: r.record, form: base.form,
                            formVersion: base.formVersion, field: "isolation_beds", value: "5",
                            clock: HLC(ms: base.clock.ms + 2, counter: 0, site: base.id.site), parents: [base.id], author: "ana")
        try f.store.write { db in try Store.insert(db, [remote, local]) }
        let state = RecordState(record: r.record, versions: try f.store.versions(record: r.record))
        #expect(state.conflicts == ["isolation_beds"])
        var a = try f.store.record(r.record).answers
        a["isolation_beds"] = .integer(9)
        let fix = try f.store.save(SaveRequest(record: r.record, form: f.form, answers: a, touched: ["isolation_beds"]))
        #expect(fix.versions == 1)
        let resolved = RecordState(record: r.record, versions: try f.store.versions(record: r.record))
        #expect(resolved.conflicts.isEmpty)
        #expect(resolved.values["isolation_beds"] == "9")
    }
}

@Suite struct OpeningTests {
    @Test func aMissingStoreSaysRunInit() {
        let dir = TempDir()
        #expect {
            try Store(path: dir.file("none.sqlite"))
        } throws: { error in
            guard case StoreError.missing = error else { return false }
            return (error as! StoreError).description.contains("recolha init")
        }
    }

    @Test func aFileThatIsNotAStoreIsRefusedAndLeftAlone() throws {
        let dir = TempDir()
        let junk = dir.file("notes.txt")
        try Data(repeating: 0x41, count: 5000).write(to: URL(fileURLWithPath: junk))
        #expect { try Store(path: junk) } throws: { error in
            if case StoreError.notAStore = error { return true }
            return false
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: junk)) == Data(repeating: 0x41, count: 5000))
        let other = dir.file("other.sqlite")
        try DatabaseQueue(path: other).write { try $0.execute(sql: "CREATE TABLE t (x)") }
        #expect { try Store(path: other) } throws: { error in
            if case StoreError.notAStore = error { return true }
            return false
        }
    }

    @Test func aStoreFromANewerRecolhaIsRefusedUnchanged() throws {
        let f = try Fixture()
        try DatabaseQueue(path: f.store.path).write { db in
            try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v99-from-the-future')")
        }
        #expect { try Store(path: f.store.path) } throws: { error in
            if case StoreError.newerStore = error { return true }
            return false
        }
    }

    /// A store an older release made (before v3-identity) is updated on
    /// first use after an upgrade, says so once, and keeps its records.
    @Test func aStoreFromAnOlderRecolhaIsUpdatedAndSaysSo() throws {
        let dir = TempDir()
        let path = dir.file("old.sqlite")
        try DatabaseQueue(path: path).write { db in
            try db.execute(sql: "PRAGMA application_id = \(Schema.applicationID)")
            try db.execute(sql: Schema.v1)
            try db.execute(sql: Schema.v2)
            try db.execute(sql: "CREATE TABLE grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY)")
            try db.execute(sql: "INSERT INTO grdb_migrations VALUES ('v1-foundation'), ('v2-sync')")
            try db.execute(sql: "INSERT INTO device (id, site_id, enumerator, next_seq, clock_ms, clock_counter, created_at) VALUES (1, '00000000000000aa', 'ana', 1, 0, 0, 0)")
        }
        let store = try Store(path: path)
        #expect(store.upgradeNotice?.description.contains("v3-identity") == true)
        #expect(try store.identity().current.site != SiteID("00000000000000aa"))  // no secret yet: it takes its own
        let again = try Store(path: path)
        #expect(again.upgradeNotice?.description == nil)
    }

    /// A store of protocol 1 held a secret its site id was hashed from, not
    /// a key: it cannot sign, so it takes a key and a new site on opening.
    @Test func aProtocolOneStoreTakesAKeyOfItsOwn() throws {
        let dir = TempDir()
        let path = dir.file("p1.sqlite")
        let old = try Store(path: path, create: true)
        try old.initialize(enumerator: "ana")
        let v1Secret = String(repeating: "ab", count: 32)
        try DatabaseQueue(path: path).write { db in
            try db.execute(sql: "UPDATE device SET site_id = '1111111111111111', site_secret = ?", arguments: [v1Secret])
        }
        let store = try Store(path: path)
        #expect(store.copiedNotice?.description.contains("before device keys") == true)
        let ids = try store.identity()
        #expect(ids.current.site != SiteID("1111111111111111"))
        #expect(ids.previous == nil, "a protocol 1 secret proves nothing under protocol 2")
        #expect(try Store(path: path).copiedNotice?.description == nil, "said once")
    }

    @Test func aFolderIsNotAStore() {
        let dir = TempDir()
        #expect(throws: StoreError.self) { try Store(path: dir.path) }
    }
}
