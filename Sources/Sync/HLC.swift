/// A hybrid logical clock stamp: wall milliseconds, a counter for events in
/// the same millisecond, and the site that made it, which breaks every tie.
///
/// Stamps order by `(ms, counter, site)`, a total order shared by every node,
/// so "the greatest clock wins" picks the same version everywhere.
public struct HLC: Hashable, Sendable, Codable, Comparable, CustomStringConvertible {
    public var ms: Int64
    public var counter: Int32
    public var site: SiteID

    public init(ms: Int64, counter: Int32, site: SiteID) {
        self.ms = ms
        self.counter = counter
        self.site = site
    }

    public static func < (a: HLC, b: HLC) -> Bool {
        if a.ms != b.ms { return a.ms < b.ms }
        if a.counter != b.counter { return a.counter < b.counter }
        return a.site < b.site
    }

    public var description: String { "\(ms).\(counter)@\(site)" }
}

/// The clock of one site: the last stamp it issued or saw.
///
/// `tick` and `observe` follow Kulkarni et al.'s HLC: a stamp is never below
/// the wall clock and never below anything seen, so causality is kept even
/// when wall clocks disagree.
public struct SiteClock: Hashable, Sendable {
    public private(set) var last: HLC

    public init(site: SiteID, ms: Int64 = 0, counter: Int32 = 0) {
        last = HLC(ms: ms, counter: counter, site: site)
    }

    /// A new stamp for a local event at wall time `now` (milliseconds).
    public mutating func tick(now: Int64) -> HLC {
        if now > last.ms {
            last = HLC(ms: now, counter: 0, site: last.site)
        } else {
            last = HLC(ms: last.ms, counter: last.counter &+ 1, site: last.site)
        }
        return last
    }

    /// Moves the clock past a stamp received from another site.
    ///
    /// Callers must refuse stamps far ahead of their wall clock before calling
    /// this (see `ClockGuard`): a stamp from a clock set to 2099 would
    /// otherwise pull every later local stamp with it.
    public mutating func observe(_ remote: HLC, now: Int64) {
        let ms = max(now, last.ms, remote.ms)
        var counter: Int32 = 0
        if ms == last.ms && ms == remote.ms {
            counter = max(last.counter, remote.counter) &+ 1
        } else if ms == last.ms {
            counter = last.counter &+ 1
        } else if ms == remote.ms {
            counter = remote.counter &+ 1
        }
        last = HLC(ms: ms, counter: counter, site: last.site)
    }
}

/// Refuses clock stamps too far ahead of a trusted wall clock.
public struct ClockGuard: Sendable {
    /// How far ahead of `now` a stamp may be, in milliseconds.
    public var maxAheadMs: Int64

    public init(maxAheadMs: Int64 = 5 * 60 * 1000) {
        self.maxAheadMs = maxAheadMs
    }

    public func accepts(_ stamp: HLC, now: Int64) -> Bool {
        stamp.ms <= now + maxAheadMs
    }
}
