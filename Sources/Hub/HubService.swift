import Foundation
import Forms
import Store
import Sync
import SyncClient
import Synchronization

/// What a hub does with one device's exchange, apart from HTTP: open the
/// device's sealed bundle, store what it lacks (every signature checked),
/// and seal the device's receipts back to it. The same code as
/// `recolha bundle import` and `export --for`, over the network.
public final class HubService: Sendable {
    public let store: Store
    let now: @Sendable () -> Int64
    /// The one-time enrolment code: shown on the hub, typed on the device.
    let code: Mutex<(value: String, issuedAt: Int64, failures: Int)>
    /// Told each new code, to show it.
    let onNewCode: @Sendable (String) -> Void
    /// How long a code lasts, and how many wrong codes make a new one.
    static let codeLifetimeMs: Int64 = 10 * 60_000
    static let maxFailures = 5

    public init(store: Store, now: @escaping @Sendable () -> Int64 = Store.wallClock, onNewCode: @escaping @Sendable (String) -> Void = { _ in }) {
        self.store = store
        self.now = now
        self.onNewCode = onNewCode
        let first = Self.newCode()
        self.code = Mutex((first, now(), 0))
        onNewCode(first)
    }

    /// Equal texts, in time that depends only on their length.
    static func same(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        return zip(x, y).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }

    static func newCode() -> String {
        var g = SystemRandomNumberGenerator()
        return String(format: "%06d", Int.random(in: 0...999_999, using: &g))
    }

    /// A fresh code (after one was used, expired or guessed at too often).
    func renewCode() {
        let next = Self.newCode()
        code.withLock { $0 = (next, now(), 0) }
        onNewCode(next)
    }

    /// Enrols a device that never reached the server: checks the one-time
    /// code and the device's proof, signs an enrolment with this device's
    /// key to carry to the server, and gives the device what it needs.
    /// - Throws: `Refusal` (403 wrong or expired code, 400 a proof that fails).
    public func enrol(_ r: HubEnrolRequest) throws -> HubEnrolAnswer {
        let at = now()
        let verdict: String? = code.withLock { c in
            if at - c.issuedAt > Self.codeLifetimeMs { return "expired" }
            if !Self.same(r.code, c.value) { c.failures += 1; return c.failures >= Self.maxFailures ? "exhausted" : "wrong" }
            return nil
        }
        if let verdict {
            if verdict != "wrong" { renewCode() }
            throw Refusal(status: 403, code: "bad_code", message: verdict == "expired"
                ? "the enrolment code expired: use the new code the hub shows now"
                : "the enrolment code is not the one the hub shows: type it again")
        }
        guard SiteIdentity.proves(site: r.siteID, publicKey: r.publicKey, proof: r.proof, user: r.user, hpkeKey: r.hpkeKey) else {
            throw Refusal(status: 400, code: "site_unproven", message: "the device's key does not prove its site: upgrade recolha on the device")
        }
        guard let state = try store.syncState(), let serverKey = state.serverKey else {
            throw Refusal(status: 503, code: "hub_not_ready", message: "the hub's device has not logged in to the server")
        }
        let sponsor = try store.identity().current
        let enrolment = Enrolment(user: r.user, deviceName: r.deviceName, site: r.siteID, publicKey: r.publicKey, hpkeKey: r.hpkeKey,
                                  proof: r.proof, sponsor: sponsor.site, at: at).signed(by: sponsor)
        try store.addEnrolment(enrolment)
        renewCode()
        let known = try store.recipients()
        let readers = known.devices.filter { $0.role == "supervisor" || $0.role == "admin" }
        let forms = try store.formDefinitions().sorted { $0.key < $1.key }.map(\.value)
        return HubEnrolAnswer(server: state.server, serverKey: serverKey,
                              recipients: RecipientList(serverKey: known.serverKey ?? "", devices: readers, serverTime: at),
                              forms: forms, hubUser: state.user)
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
        if let refused = try store.enrolments().first(where: { $0.enrolment.site == content.from && $0.status == "refused" }) {
            throw Refusal(status: 403, code: "enrolment_refused",
                          message: "the server refused this device's enrolment: \(refused.reason ?? "no reason given"); ask the supervisor")
        }
        let result = try store.importBundle(content)
        FaultPoint.reach("hub-after-import")
        let reply: BundleFile.Written
        do {
            let enrolled = try store.enrolments().filter { $0.enrolment.site == content.from && $0.status != "refused" }.map {
                RecipientInfo(site: $0.enrolment.site, user: $0.enrolment.user, role: "enumerator", name: $0.enrolment.deviceName,
                              hpkeKey: $0.enrolment.hpkeKey)
            }
            reply = try BundleFile.write(store, for: content.fromUser, to: content.from, also: enrolled, now: now())
        } catch is BundleFile.Failure {
            throw Refusal(status: 403, code: "unknown_device",
                          message: "this device (site \(content.from)) is not known to the hub yet: the supervisor's device must sync with the server once after this device first logged in; what was sent is stored on the hub")
        }
        let device = try store.device()
        return HubAnswer(stored: result.stored, already: result.already, refused: result.refused.map(\.description),
                         reply: reply.sealed.base64EncodedString(), hubUser: device?.enumerator ?? "",
                         hubSite: device?.site ?? SiteID("0000000000000000")!)
    }
}
