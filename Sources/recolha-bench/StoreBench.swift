import Foundation
import Forms
import GRDBSQLite
import Store
import Sync

func storeBench() throws {
    print("\n## Store: saving surveys\nRecolha store benchmark: \(count) finalized flagship surveys, one transaction each (WAL, synchronous=FULL)")
    print("machine: \(ProcessInfo.processInfo.activeProcessorCount) cores, \(ProcessInfo.processInfo.operatingSystemVersionString)")

    let inputs = (0..<count).map(survey)
    let storePath = work + "/store.sqlite"
    let store = try Store(path: storePath, create: true)
    try store.initialize(enumerator: "bench")
    try store.addForm(form)

    // Saves and the plain insert of the rows they wrote take turns, round
    // by round, so a slow moment of the machine (its disk's flushes above
    // all) falls on both: the figure is their ratio in the same minutes.
    let plain = PlainStore(path: work + "/plain.sqlite")
    let rounds = max(1, min(10, count / 100))
    var saveSeconds = 0.0, plainSeconds = 0.0, roundRatios: [Double] = [], versionCount = 0
    for round in 0..<rounds {
        let part = inputs[(round * count / rounds)..<((round + 1) * count / rounds)]
        var ids: [String] = []
        ids.reserveCapacity(part.count)
        let s = try seconds {
            for a in part { ids.append(try store.save(SaveRequest(form: form, answers: a, finalize: true)).record) }
        }
        // The same rows, read back, inserted with plain sqlite3 prepared
        // statements into a store with the same schema and pragmas.
        let (records, recordColumns) = storeRows(storePath, ids: ids)
        versionCount += records.reduce(0) { $0 + $1.1.count }
        let p = plain.insert(records, columns: recordColumns, versionsPerTransaction: 0)
        saveSeconds += s
        plainSeconds += p
        roundRatios.append(s / p)
    }
    let storeRSS = peakRSSMiB()
    roundRatios.sort()
    let (records, recordColumns) = storeRows(storePath)

    let saveRate = Double(count) / saveSeconds
    let plainRate = Double(count) / plainSeconds
    func f(_ x: Double, _ d: Int = 0) -> String { String(format: "%.\(d)f", x) }
    print("")
    print("| work | surveys/s | versions/s | ms per survey |")
    print("|---|---:|---:|---:|")
    print("| recolha save (validate, calculate, diff, versions, record, counters) | \(f(saveRate)) | \(f(Double(versionCount) / saveSeconds)) | \(f(1000 / saveRate, 3)) |")
    print("| plain SQLite, same rows, one transaction per survey | \(f(plainRate)) | \(f(Double(versionCount) / plainSeconds)) | \(f(1000 / plainRate, 3)) |")
    print("")
    print("versions per survey: \(f(Double(versionCount) / Double(count), 1)); save costs \(f(plainRate / saveRate, 2))x the plain insert (issue 13's target: 1.5x)")
    print("taking turns in \(rounds) rounds: median round \(f(roundRatios[rounds / 2], 2))x, from \(f(roundRatios[0], 2))x to \(f(roundRatios[rounds - 1], 2))x")
    print("peak RSS after saving: \(f(storeRSS, 1)) MiB")

    // Signing and verifying, beside the save they are part of.
    let sets = try store.pendingChangesets(limit: .max, maxBytes: .max, includeDrafts: true)
    let identity = try store.identity().current
    let encodeSeconds = seconds { for c in sets { _ = c.signedBytes } }
    let signSeconds = seconds { for c in sets { _ = c.signed(by: identity) } }
    var bad = 0
    let verifySeconds = seconds { for c in sets where !c.verify(publicKey: identity.publicKey) { bad += 1 } }
    precondition(bad == 0 && sets.count == count, "every saved survey is one changeset that verifies")
    print("")
    print("| work per survey (\(f(Double(versionCount) / Double(count), 1)) versions) | ms | share of a save |")
    print("|---|---:|---:|")
    let perSave = saveSeconds / Double(count) * 1000
    for (name, t) in [("canonical encoding", encodeSeconds), ("encoding + Ed25519 signature (the save's signing step)", signSeconds),
                      ("encoding + Ed25519 verification (the server's check)", verifySeconds)] {
        let ms = t / Double(count) * 1000
        print("| \(name) | \(f(ms, 3)) | \(f(ms / perSave * 100, 1))% |")
    }
    print("a save unsigned would cost about \(f(perSave - signSeconds / Double(count) * 1000, 3)) ms; signed it costs \(f(perSave, 3)) ms")

    // A second device applying what a pull brings: the same versions in
    // the pull's pages (`pullPage` versions), with their changesets' signatures and
    // the writer's key, beside plain SQLite inserting the same rows in
    // transactions of the same size.
    var pages: [[SequencedVersion]] = [], heads: [[ChangesetHead]] = []
    var seq: Int64 = 0
    for c in sets {
        if pages.isEmpty || pages[pages.count - 1].count >= pullPage { pages.append([]); heads.append([]) }
        for v in c.versions { seq += 1; pages[pages.count - 1].append(SequencedVersion(seq: seq, version: v)) }
        heads[heads.count - 1].append(ChangesetHead(site: c.site, seq: c.seq, count: Int64(c.entries.count), signature: c.signature))
    }
    // Three turns each, taking turns, each into a new store: the median of
    // each side, so one slow moment of the disk decides neither.
    let keys = [identity.site.rawValue: identity.publicKey]
    var applyRuns: [Double] = [], plainRuns: [Double] = []
    for turn in 0..<3 {
        let other = try Store(path: work + "/pulled-\(turn).sqlite", create: true)
        try other.initialize(enumerator: "supervisor")
        try other.addForm(form)
        var applied = 0
        applyRuns.append(try seconds {
            for (page, h) in zip(pages, heads) {
                applied += try other.applyPulled(page, nextCursor: page.last!.seq, serverTime: Store.wallClock(), changesets: h, keys: keys)
            }
        })
        precondition(applied == versionCount, "every pulled version applied")
        plainRuns.append(plainInsert(records, columns: recordColumns, into: work + "/plain-pages-\(turn).sqlite", versionsPerTransaction: pullPage))
    }
    let applySeconds = applyRuns.sorted()[1], plainPageSeconds = plainRuns.sorted()[1]
    func rates(_ runs: [Double]) -> String { runs.map { f(Double(versionCount) / $0) }.joined(separator: ", ") }
    print("")
    print("| work (median of 3 turns) | versions/s | seconds | each turn, versions/s |")
    print("|---|---:|---:|---|")
    print("| recolha applying pulled pages of \(pullPage) versions (records merged, signatures and key kept) | \(f(Double(versionCount) / applySeconds)) | \(f(applySeconds, 2)) | \(rates(applyRuns)) |")
    print("| plain SQLite inserting the same rows, \(pullPage) versions per transaction | \(f(Double(versionCount) / plainPageSeconds)) | \(f(plainPageSeconds, 2)) | \(rates(plainRuns)) |")
    print("applying costs \(f(applySeconds / plainPageSeconds, 2))x the plain insert; issue 13's target: at least 100000 versions/s")
}

