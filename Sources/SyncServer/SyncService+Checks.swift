import Words
import Crypto
import Forms
import Foundation
import Logging
import Sync
import Synchronization

/// The pure checks of a push: signatures and versions, before the storage
/// transaction.
extension SyncService {
    /// What the pure checks found: changesets whose signature holds, those
    /// refused whole, and problems by version.
    struct Checked: Sendable {
        var verified: [Changeset] = []
        var refused: [Rejection] = []
        var writerProblems: [VersionID: Message] = [:]
        var contentProblems: [VersionID: Message] = [:]
    }

    /// Checks the changesets' signatures and versions, stretches of them in
    /// parallel; the results keep the changesets' order.
    static func check(_ changesets: [Changeset], writers: [SiteID: Writer], forms: [String: Form], at: Int64) async -> Checked {
        func run(_ slice: ArraySlice<Changeset>) -> Checked {
            var out = Checked()
            for c in slice {
                guard let writer = writers[c.site] else { continue }
                if let reason = signatureProblem(c, writer: writer) {
                    out.refused.append(Rejection(id: c.id, reason))
                    continue
                }
                out.verified.append(c)
                guard case .known(let d, let u, _) = writer else { continue }
                let form = forms[c.form + "\u{1}" + c.formVersion]
                for v in c.versions {
                    if let m = VersionRules.writerProblem(v, device: d, user: u, now: at) { out.writerProblems[v.id] = m }
                    else if let m = VersionRules.contentProblem(v, user: u, form: form) { out.contentProblems[v.id] = m }
                }
            }
            return out
        }
        let parts = min(ProcessInfo.processInfo.activeProcessorCount, changesets.count / 8)
        guard parts > 1 else { return run(changesets[...]) }
        let size = (changesets.count + parts - 1) / parts
        let pieces = await withTaskGroup(of: (Int, Checked).self) { group in
            for (i, start) in stride(from: 0, to: changesets.count, by: size).enumerated() {
                let slice = changesets[start..<min(start + size, changesets.count)]
                group.addTask { (i, run(slice)) }
            }
            var pieces: [(Int, Checked)] = []
            for await piece in group { pieces.append(piece) }
            return pieces.sorted { $0.0 < $1.0 }.map(\.1)
        }
        var all = Checked()
        for p in pieces {
            all.verified += p.verified
            all.refused += p.refused
            all.writerProblems.merge(p.writerProblems) { a, _ in a }
            all.contentProblems.merge(p.contentProblems) { a, _ in a }
        }
        return all
    }
}
