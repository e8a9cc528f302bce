import Testing
@testable import Sync

@Suite struct HLCTests {
    let a = SiteID("00000000000000aa")!
    let b = SiteID("00000000000000bb")!

    @Test func tickNeverGoesBackEvenWhenTheWallClockDoes() {
        var clock = SiteClock(site: a)
        let first = clock.tick(now: 1_000)
        let second = clock.tick(now: 500)  // wall clock set back
        let third = clock.tick(now: 500)
        #expect(first < second && second < third)
        #expect(second.ms == 1_000 && second.counter == 1)
    }

    @Test func observePassesEveryStampSeen() {
        var clock = SiteClock(site: a)
        _ = clock.tick(now: 100)
        let remote = HLC(ms: 5_000, counter: 7, site: b)
        clock.observe(remote, now: 200)
        let next = clock.tick(now: 300)
        #expect(next > remote)
        #expect(next.ms == 5_000 && next.counter == 9)
    }

    @Test func tiesBreakBySite() {
        #expect(HLC(ms: 1, counter: 0, site: a) < HLC(ms: 1, counter: 0, site: b))
        #expect(HLC(ms: 1, counter: 1, site: a) > HLC(ms: 1, counter: 0, site: b))
    }

    @Test func guardRefusesStampsFarInTheFuture() {
        let guardian = ClockGuard(maxAheadMs: 60_000)
        #expect(guardian.accepts(HLC(ms: 1_000 + 59_000, counter: 0, site: a), now: 1_000))
        #expect(!guardian.accepts(HLC(ms: 1_000 + 61_000, counter: 0, site: a), now: 1_000))
    }

    @Test func idsParseAndPrint() {
        let id = VersionID(site: a, seq: 42)
        #expect(id.description == "00000000000000aa-42")
        #expect(VersionID("00000000000000aa-42") == id)
        #expect(VersionID("xyz-1") == nil)
        #expect(VersionID("00000000000000aa-0") == nil)
        #expect(SiteID("ABCDEF0123456789") == nil)
    }
}
