import Words
import Foundation
import Store
import Sync

/// `recolha sync --hub URL`: this device's unconfirmed work goes to a
/// supervisor's hub on the local network as a sealed bundle, and the
/// server receipts the hub holds for this device come back the same way.
public enum HubSync {
    public struct Summary: Sendable {
        /// Changes (versions) handed to the hub, in how many saves.
        public var handed = 0, saves = 0
        /// Saves the hub stored now, and saves it already held.
        public var stored = 0, already = 0
        public var refused: [Message] = []
        /// Changes of this device the server's receipts (brought by the hub) confirmed.
        public var confirmed = 0
        /// What the hub held for this device: saves written elsewhere on
        /// its records (reviews, resolutions), and forms it lacked.
        public var received = 0, formsAdded = 0
        public var hubUser = ""
        /// Media files handed to the hub with the saves that name them.
        public var filesHanded = 0
    }

    public static func run(store: Store, transport: any Transport, hubURL: String, now: Int64) throws(SyncError) -> Summary {
        let written: BundleFile.Written
        do {
            written = try BundleFile.write(store, for: nil, now: now)
        } catch let e as BundleFile.Failure {
            throw .refused(status: 0, code: "no_recipients", message: e.description)
        } catch let e as StoreError {
            throw .store(e)
        } catch {
            throw .refused(status: 0, code: "bundle", message: "\(error)")
        }
        let response: HTTPResponse
        do {
            response = try transport.send(HTTPRequest(
                method: "POST", path: "/v1/hub/exchange",
                headers: [WireProtocol.protocolHeader: String(WireProtocol.version), "Content-Type": "application/json"],
                body: written.sealed))
        } catch {
            throw .unreachable(error.words)
        }
        guard response.status == 200 else { throw SyncEngine.failure(response) }
        let answer: HubAnswer
        do {
            answer = try JSONDecoder().decode(HubAnswer.self, from: response.body)
        } catch {
            throw .unreachable(Message(.hubUnreadable))
        }
        var summary = Summary(handed: written.versions, saves: written.content.changesets.count, stored: answer.stored,
                              already: answer.already, refused: answer.refused.map(Message.verbatim), hubUser: answer.hubUser,
                              filesHanded: written.content.media?.count ?? 0)
        do {
            try store.markHanded(written.content.changesets, to: "\(hubURL) (\(answer.hubUser))", at: now)
            guard let reply = Data(base64Encoded: answer.reply) else { throw BundleError(Message(.hubNoBundle)) }
            let content = try BundleFile.read(reply, with: store)
            let imported = try store.importBundle(content)
            summary.confirmed = imported.confirmed
            summary.received = imported.stored
            summary.formsAdded = imported.formsAdded
            summary.refused += imported.refused.map { Message(.hubFrom, ["reason": .message($0)]) }
        } catch let e as StoreError {
            throw .store(e)
        } catch let e as BundleError {
            throw .untrusted(Message(.hubAnswerSaid, ["reason": .message(e.message)]))
        } catch {
            throw .untrusted(Message(.hubAnswerSaid, ["reason": .text("\(error)")]))
        }
        return summary
    }
}
