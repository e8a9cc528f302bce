import RecolhaTesting
import Testing
@testable import Sync

/// Seeded random histories: sites edit fields of shared records while they
/// exchange versions now and then. Delivering all versions to a new replica
/// in any order, with duplicates, gives one state.
@Suite struct ConvergenceTests {
    struct Site {
        var clock: SiteClock
        var seq: Int64 = 0
        var known: [VersionID: Version] = [:]
    }

    static func history(seed: UInt64, sites siteCount: Int, steps: Int) -> (all: [Version], sites: [Site]) {
        var rng = SeededRandom(seed: seed)
        var sites = (0..<siteCount).map { _ in Site(clock: SiteClock(site: SiteID.random(using: &rng))) }
        var all: [Version] = []
        let records = ["r1", "r2", "r3"], fields = ["a", "b", "c", MetaField.status, MetaField.deleted]
        var now: Int64 = 1_000
        for _ in 0..<steps {
            now += Int64.random(in: -50...200, using: &rng)  // wall clocks wobble and go back
            let s = Int.random(in: 0..<siteCount, using: &rng)
            if Bool.random(using: &rng) && Int.random(in: 0..<4, using: &rng) == 0 {
                // Exchange: s receives a random subset of another site's versions.
                let t = Int.random(in: 0..<siteCount, using: &rng)
                for v in sites[t].known.values where Bool.random(using: &rng) {
                    sites[s].known[v.id] = v
                    sites[s].clock.observe(v.clock, now: now)
                }
                continue
            }
            let record = records.randomElement(using: &rng)!
            let field = fields.randomElement(using: &rng)!
            let state = RecordState(record: record, versions: sites[s].known.values)
            let parents = field == MetaField.deleted ? state.parentsForDelete() : state.parents(of: field)
            sites[s].seq += 1
            let value: String? = field == MetaField.deleted
                ? (Bool.random(using: &rng) ? "true" : "false")
                : (Int.random(in: 0..<6, using: &rng) == 0 ? nil : "\"\(Int.random(in: 0..<4, using: &rng))\"")
            let version = Version(
                id: VersionID(site: sites[s].clock.last.site, seq: sites[s].seq), record: record, form: "f",
                formVersion: "1", field: field, value: value, clock: sites[s].clock.tick(now: now),
                parents: parents, author: "s\(s)")
            sites[s].known[version.id] = version
            all.append(version)
        }
        return (all, sites)
    }

    static func states(_ versions: [Version]) -> [RecordState] {
        ["r1", "r2", "r3"].map { RecordState(record: $0, versions: versions) }
    }

    @Test(arguments: 0..<400)
    func anyOrderWithDuplicatesGivesTheSameState(seed: Int) {
        var rng = SeededRandom(seed: UInt64(seed) &* 7919)
        let (all, _) = Self.history(seed: UInt64(seed), sites: 3 + seed % 3, steps: 60)
        let expected = Self.states(all)
        for _ in 0..<5 {
            var delivery = all.shuffled(using: &rng)
            delivery += all.filter { _ in Int.random(in: 0..<3, using: &rng) == 0 }  // duplicates
            delivery.shuffle(using: &rng)
            #expect(Self.states(delivery) == expected)
        }
    }

    @Test(arguments: 0..<200)
    func mergingInBatchesIsTheSameAsMergingOnce(seed: Int) {
        var rng = SeededRandom(seed: UInt64(seed) ^ 0xABCDEF)
        let (all, _) = Self.history(seed: UInt64(seed), sites: 4, steps: 50)
        // Union of replicas that each got a random part, merged pairwise in
        // random order: commutative, associative, idempotent.
        var replicas: [[VersionID: Version]] = Array(repeating: [:], count: 4)
        for v in all { replicas[Int.random(in: 0..<4, using: &rng)][v.id] = v }
        var merged = replicas.shuffled(using: &rng).reduce(into: [VersionID: Version]()) { acc, r in
            acc.merge(r) { x, _ in x }
        }
        merged.merge(replicas[1]) { x, _ in x }  // merging again changes nothing
        #expect(merged.count == Set(all.map(\.id)).count)  // nothing lost
        #expect(Self.states(Array(merged.values)) == Self.states(all))
    }

    @Test(arguments: 0..<100)
    func everyValueOfAConflictIsKept(seed: Int) {
        let (all, _) = Self.history(seed: UInt64(seed) + 10_000, sites: 3, steps: 80)
        for state in Self.states(all) {
            for (field, fs) in state.fields where fs.isConflict {
                // Every head is a version someone wrote, none replaced.
                let replaced = Set(all.filter { $0.record == state.record && $0.field == field }.flatMap(\.parents))
                #expect(fs.heads.allSatisfy { !replaced.contains($0.id) })
                #expect(fs.heads.count >= 2)
            }
        }
    }
}
