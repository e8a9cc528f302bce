import Foundation
import Store
import Sync
import SyncClient

/// What a hub does with one device's exchange, apart from HTTP: open the
/// device's sealed bundle, store what it lacks (every signature checked),
/// and seal the device's receipts back to it. The same code as
/// `recolha bundle import` and `export --for`, over the network.
public final class HubService: Sendable {
    public let store: Store
    let now: @Sendable () -> Int64

    public init(store: Store, now: @escaping @Sendable () -> Int64 = Store.wallClock) {
        self.store = store
        self.now = now
    }

    /// A refusal with its HTTP status and a stable code.
    public struct Refusal: Error, Sendable {
        public var status: Int
        public var code: String
        public var message: String
    }

    /// Handles one exchange; the answer goes back after the import committed.
    /// - Throws: `Refusal` (400 for what is not a bundle for this hub,
    ///   403 for a device this hub does not know).
    public func exchange(_ body: Data) throws -> HubAnswer {
        let content: BundleContent
        do {
            content = try BundleFile.read(body, with: store)
        } catch let e as BundleError {
            throw Refusal(status: 400, code: "bad_bundle", message: e.description)
        } catch let e as BundleFile.Failure {
            throw Refusal(status: 400, code: "bad_bundle", message: e.description)
        }
        let result = try store.importBundle(content)
        FaultPoint.reach("hub-after-import")
        let reply: BundleFile.Written
        do {
            reply = try BundleFile.write(store, for: content.fromUser, to: content.from, now: now())
        } catch is BundleFile.Failure {
            throw Refusal(status: 403, code: "unknown_device",
                          message: "this device (site \(content.from)) is not known to the hub yet: the supervisor's device must sync with the server once after this device first logged in; what was sent is stored on the hub")
        }
        let device = try store.device()
        return HubAnswer(stored: result.stored, already: result.already, refused: result.refused,
                         reply: reply.sealed.base64EncodedString(), hubUser: device?.enumerator ?? "",
                         hubSite: device?.site ?? SiteID("0000000000000000")!)
    }
}
