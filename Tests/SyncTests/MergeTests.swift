import Testing
@testable import Sync

func v(_ site: SiteID, _ seq: Int64, field: String = "f", value: String?, ms: Int64,
       parents: [VersionID] = [], record: String = "r1") -> Version {
    Version(id: VersionID(site: site, seq: seq), record: record, form: "form", formVersion: "1", field: field,
            value: value, clock: HLC(ms: ms, counter: 0, site: site), parents: parents, author: "x")
}

@Suite struct MergeTests {
    let a = SiteID("00000000000000aa")!
    let b = SiteID("00000000000000bb")!

    @Test func aLaterEditReplacesItsParent() {
        let v1 = v(a, 1, value: "\"one\"", ms: 10)
        let v2 = v(b, 1, value: "\"two\"", ms: 5, parents: [v1.id])  // older clock, but it saw v1
        let state = FieldState(versions: [v1, v2])
        #expect(state.heads.map(\.id) == [v2.id])
        #expect(state.value == "\"two\"")
        #expect(!state.isConflict)
    }

    @Test func concurrentEditsAreAConflictAndTheGreatestClockShows() {
        let base = v(a, 1, value: "\"base\"", ms: 1)
        let x = v(a, 2, value: "\"x\"", ms: 10, parents: [base.id])
        let y = v(b, 1, value: "\"y\"", ms: 20, parents: [base.id])
        let state = FieldState(versions: [base, x, y, x])
        #expect(state.heads.count == 2)
        #expect(state.isConflict)
        #expect(state.value == "\"y\"")
    }

    @Test func concurrentEqualValuesAreNoConflict() {
        let x = v(a, 1, value: "\"finalized\"", ms: 10)
        let y = v(b, 1, value: "\"finalized\"", ms: 20)
        #expect(!FieldState(versions: [x, y]).isConflict)
    }

    @Test func aResolutionNamingAllHeadsEndsTheConflict() {
        let x = v(a, 1, value: "\"x\"", ms: 10)
        let y = v(b, 1, value: "\"y\"", ms: 20)
        let before = RecordState(record: "r1", versions: [x, y])
        let fix = v(a, 2, value: "\"x\"", ms: 30, parents: before.parents(of: "f"))
        let after = RecordState(record: "r1", versions: [x, y, fix])
        #expect(before.conflicts == ["f"])
        #expect(after.conflicts.isEmpty)
        #expect(after.values["f"] == "\"x\"")
    }

    @Test func aDeleteThatMissedAnEditIsAConflict() {
        let f1 = v(a, 1, value: "\"x\"", ms: 10)
        let seen = RecordState(record: "r1", versions: [f1])
        let del = v(a, 2, field: MetaField.deleted, value: "true", ms: 20, parents: seen.parentsForDelete())
        #expect(RecordState(record: "r1", versions: [f1, del]).conflicts.isEmpty)
        let edit = v(b, 1, value: "\"y\"", ms: 15, parents: [f1.id])  // made before b saw the delete
        let merged = RecordState(record: "r1", versions: [f1, del, edit])
        #expect(merged.isDeleted)
        #expect(merged.conflicts == [MetaField.deleted])
    }
}
