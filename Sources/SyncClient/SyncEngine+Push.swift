import Words
import Foundation
import Store
import Sync

/// The push: this device's changesets to the server, batch by batch, and
/// what to do when the server finds this store is a copy.
extension SyncEngine {
    func push(_ options: SyncOptions, into summary: inout SyncSummary) throws(SyncError) {
        let total = (try? store.unsentCount()) ?? 0
        var done = 0
        var reassigned = 0
        let store = self.store
        // The order is read once; each batch is the next stretch of it. The
        // next batch is read and encoded on its own thread while the current
        // one is on the wire and in the server's hands (batches still go one
        // at a time, in order: a record's first save before its review).
        func prepare(_ order: PushOrder, from start: Int) -> Prefetch<PreparedPush> {
            let binary = binaryBodies
            return Prefetch { () throws(SyncError) -> PreparedPush in
                let batch: (changesets: [Changeset], next: Int)
                do throws(StoreError) { batch = try store.pushBatch(order, from: start, limit: options.pushBatch, maxBytes: options.pushBytes) }
                catch { throw .store(error) }
                guard !batch.changesets.isEmpty else { return PreparedPush(changesets: [], body: Data(), binary: false, next: batch.next) }
                return try PreparedPush(batch.changesets, binary: binary, next: batch.next)
            }
        }
        var order: PushOrder, serverKey: String?
        do {
            order = try store.pushOrder(includeDrafts: options.includeDrafts)
            serverKey = try store.syncState()?.serverKey
        } catch { throw .store(error) }
        var upcoming: Prefetch<PreparedPush>? = prepare(order, from: 0)
        // Whatever ends the push, the reading thread is done before it returns.
        defer { upcoming?.wait() }
        while let current = upcoming {
            var todo = try current.value()
            upcoming = nil
            // A server that could not read a binary push had this one in JSON.
            if todo.binary && !binaryBodies { todo = try PreparedPush(todo.changesets, binary: false, next: todo.next) }
            if todo.changesets.isEmpty { break }
            guard let key = serverKey else {
                throw .refused(status: 0, code: "no_server_key", message: "this device has not learnt the server's key: run `recolha login` again")
            }
            if todo.next < order.items.count { upcoming = prepare(order, from: todo.next) }
            let answer: PushResponse
            do {
                answer = try decode(send("POST", "/v1/push", body: todo.body, contentType: todo.binary ? WireEncoding.protobuf : WireEncoding.json).body)
            } catch .refused(let status, let code, _, _) where todo.binary && (status == 415 || code == "bad_json") {
                // An older server reads pushes in JSON only: this batch and
                // the rest of this sync go as JSON.
                binaryBodies = false
                upcoming?.wait()
                upcoming = Prefetch { () throws(SyncError) in try PreparedPush(todo.changesets, binary: false, next: todo.next) }
                continue
            } catch .refused(409, ErrorCode.siteReused, _, let ids?) where !ids.isEmpty && reassigned < 3 {
                // This store is a copy of another device's: the server holds
                // some of these ids with other content and stored nothing of
                // the batch. Move this device's work to its own new site and
                // send it again under that (in a new order: new numbers).
                upcoming?.wait()
                reassigned += 1
                try reassign(ids, into: &summary)
                try ensureIdentity(into: &summary)
                do {
                    order = try store.pushOrder(includeDrafts: options.includeDrafts)
                    serverKey = try store.syncState()?.serverKey
                } catch { throw .store(error) }
                upcoming = prepare(order, from: 0)
                continue
            }
            let plan = try PushAnswer.check(answer, sent: todo.changesets, serverKey: key)
            summary.skewMs = now() - answer.serverTime
            try beforeCommitHook("push")
            FaultPoint.reach("sync-before-push-ack")
            do {
                try store.acknowledge(receipts: answer.receipts, rejected: answer.rejected)
            } catch { throw .store(error) }
            FaultPoint.reach("sync-after-push-ack")
            summary.sent += plan.accepted
            summary.alreadyOnServer += plan.duplicates
            summary.rejected += answer.rejected
            done += plan.versions
            progress?(SyncProgress(phase: "sending", done: done, total: total))
        }
    }

    /// Versions the server holds with other content: from the smallest such
    /// number of each site on, this device's unacknowledged versions move
    /// to its own new site.
    func reassign(_ ids: [VersionID], into summary: inout SyncSummary) throws(SyncError) {
        let firsts = Dictionary(grouping: ids, by: \.site).mapValues { $0.map(\.seq).min()! }
        for (site, seq) in firsts.sorted(by: { $0.key < $1.key }) {
            do {
                let (moved, to) = try store.reassign(site: site, from: seq)
                summary.notices.append(Message(.syncCopyRenumbered, ["site": .text(site.rawValue), "seq": .int(Int(seq)), "count": .int(moved), "to": .text(to.rawValue)]))
            } catch { throw .store(error) }
        }
    }

    /// When the store took a new identity since its token was issued (it
    /// found it is a copy), asks for a token of the new site with the old
    /// token; the server keeps the old site as this device's predecessor.
    func ensureIdentity(into summary: inout SyncSummary) throws(SyncError) {
        let identity: SiteIdentity, state: SyncState?
        do {
            identity = try store.identity().current
            state = try store.syncState()
        } catch { throw .store(error) }
        guard let state, state.tokenSite != identity.site else { return }
        let answer: LoginResponse = try exchange("POST", "/v1/identity", body: IdentityRequest(deviceName: deviceName, identity: identity, user: state.user))
        do { try store.saveToken(answer.token, site: identity.site) } catch { throw .store(error) }
        token = answer.token
        summary.notices.append(Message(.syncOwnSite, ["site": .text(identity.site.rawValue)]))
    }
}

/// A push batch read from the store and encoded, ready to send; `next` is
/// where the following batch starts in the push order.
struct PreparedPush {
    var changesets: [Changeset]
    var body: Data
    /// Whether `body` is protobuf (else JSON).
    var binary: Bool
    var next: Int

    init(changesets: [Changeset], body: Data, binary: Bool, next: Int) {
        self.changesets = changesets; self.body = body; self.binary = binary; self.next = next
    }

    /// The batch encoded: protobuf when `binary` and every changeset fits
    /// one, else JSON.
    init(_ changesets: [Changeset], binary: Bool, next: Int) throws(SyncError) {
        let request = PushRequest(changesets: changesets)
        do {
            if binary, let body = try request.protobuf() {
                self.init(changesets: changesets, body: body, binary: true, next: next)
            } else {
                self.init(changesets: changesets, body: try SyncEngine.encoder.encode(request), binary: false, next: next)
            }
        } catch { throw .unreachable(Message(.syncCannotEncode)) }
    }
}
