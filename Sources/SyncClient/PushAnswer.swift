import Words
import Sync

/// The pure check of the server's answer to a push, before anything of it
/// is committed: every changeset sent is accounted for, and every receipt
/// is signed by the server's key and covers what the server says it holds.
struct PushAnswer {
    /// Versions in changesets new to the server, already held, and all sent.
    var accepted = 0, duplicates = 0, versions = 0

    static func check(_ answer: PushResponse, sent: [Changeset], serverKey: String) throws(SyncError) -> PushAnswer {
        let ids = Set(sent.map(\.id))
        let answered = answer.accepted + answer.duplicates + answer.rejected.map(\.id)
        guard answered.count == ids.count, Set(answered) == ids else {
            throw .unreachable(Message(.syncPushUnaccounted))
        }
        for r in answer.receipts where !r.verify(serverKey: serverKey) {
            throw .untrusted(Message(.syncReceiptForeign, ["site": .text(r.site.rawValue)]))
        }
        // What the server says it holds must be what its receipts cover.
        let held = Set(answer.accepted + answer.duplicates)
        for c in sent where held.contains(c.id) {
            let covered = answer.receipts.contains { r in r.site == c.site && (r.ranges ?? []).contains { $0.contains(c.seq) && $0.contains(c.lastSeq) } }
            guard covered else { throw .untrusted(Message(.syncNoReceipt, ["changeset": .text(c.id.description)])) }
        }
        var out = PushAnswer()
        let accepted = Set(answer.accepted)
        for c in sent {
            out.versions += c.entries.count
            if accepted.contains(c.id) { out.accepted += c.entries.count } else if held.contains(c.id) { out.duplicates += c.entries.count }
        }
        return out
    }
}
