import Crypto
import Forms
import Foundation
import Logging
import Sync
import Synchronization

/// What the server does, apart from HTTP: login, push, pull and forms.
/// Controllers call it; tests may too.
public final class SyncService: Sendable {
    public let storage: any ServerStorage
    let forms: FormCache
    let now: @Sendable () -> Int64
    let throttle = LoginThrottle()
    let identityCache = Mutex<SiteIdentity?>(nil)

    /// How long a device token lasts.
    public let tokenLifetimeMs: Int64

    public init(storage: any ServerStorage, tokenLifetimeDays: Int = 90, now: @escaping @Sendable () -> Int64 = ServerClock.nowMs) {
        self.storage = storage
        self.tokenLifetimeMs = Int64(tokenLifetimeDays) * 86_400_000
        self.forms = FormCache(storage: storage)
        self.now = now
    }

    /// Checks a user's password and makes a token for one device.
    /// - Parameter address: the client's address, for throttling failures.
    /// - Throws: 401 for a wrong name or password (the same answer, in the
    ///   same time, for both), 403 for a disabled user, 400 for a site id
    ///   its secret does not prove, 409 for a site bound to another user's
    ///   device, 429 after repeated failures.
    public func login(_ r: LoginRequest, address: String = "") async throws -> LoginResponse {
        let key = LoginThrottle.key(user: r.user, address: address)
        if let wait = throttle.wait(key, now: now()) {
            throw ServerError(.tooManyRequests, ErrorCode.tooManyAttempts,
                              "too many failed logins for \(r.user) from this address: wait \(wait) seconds and try again",
                              retryAfter: wait)
        }
        let user = try await storage.user(named: r.user)
        // An unknown user costs one bcrypt verification too, so timing does
        // not tell which names exist.
        let verified = Credentials.verify(r.password, hash: user?.passwordHash ?? Credentials.decoyHash)
        guard let user, verified else {
            throttle.failed(key, now: now())
            throw ServerError(.unauthorized, "wrong_credentials", "wrong user name or password")
        }
        throttle.succeeded(key)
        guard !user.disabled else {
            throw ServerError(.forbidden, "user_disabled", "user \(user.name) is disabled: ask an admin to enable it")
        }
        guard SiteIdentity.proves(site: r.siteID, publicKey: r.publicKey, proof: r.proof, user: user.name) else {
            throw ServerError(.badRequest, "site_unproven", "site id \(r.siteID) is not derived from the key sent with it, or the proof is not that key's signature: upgrade recolha on this device")
        }
        if let other = try await storage.devices(site: r.siteID).first(where: { $0.user != user.name }) {
            throw ServerError(.conflict, ErrorCode.siteTaken,
                              "site \(r.siteID) already belongs to \(other.user)'s device \"\(other.name)\": this store was copied from another device; give it a new identity (recolha does this by itself) and log in again")
        }
        // The site this store used before it found it was a copy: granted
        // when proven and not another user's.
        var previous: (SiteID, String)?
        if let p = r.previousSiteID, let key = r.previousPublicKey, let proof = r.previousProof,
           SiteIdentity.proves(site: p, publicKey: key, proof: proof, user: user.name),
           try await storage.devices(site: p).allSatisfy({ $0.user == user.name }) {
            previous = (p, key)
        }
        return try await issueToken(user: user, deviceName: r.deviceName, site: r.siteID, publicKey: r.publicKey, previous: previous)
    }

    /// A store that found it is a copy takes a new identity: a token for the
    /// new site, which may still send the old site's versions.
    /// - Throws: 400 for an unproven site id, 409 for a site already bound.
    public func changeIdentity(_ r: IdentityRequest, device: DeviceRecord, user: UserRecord) async throws -> LoginResponse {
        guard SiteIdentity.proves(site: r.siteID, publicKey: r.publicKey, proof: r.proof, user: user.name) else {
            throw ServerError(.badRequest, "site_unproven", "site id \(r.siteID) is not derived from the key sent with it, or the proof is not that key's signature")
        }
        guard r.siteID != device.site, try await storage.devices(site: r.siteID).isEmpty else {
            throw ServerError(.conflict, ErrorCode.siteTaken, "site \(r.siteID) is already bound to a device: make another new identity")
        }
        return try await issueToken(user: user, deviceName: r.deviceName, site: r.siteID, publicKey: r.publicKey,
                                    previous: (device.site, device.publicKey))
    }

    func issueToken(user: UserRecord, deviceName: String, site: SiteID, publicKey: String, previous: (SiteID, String)?) async throws -> LoginResponse {
        let (id, token, hash) = Credentials.newToken()
        try await storage.addDevice(DeviceRecord(
            id: id, user: user.name, name: String(deviceName.prefix(100)), site: site, tokenHash: hash,
            createdAt: now(), expiresAt: now() + tokenLifetimeMs, lastSeenAt: now(), revoked: false,
            publicKey: publicKey, previousSite: previous?.0, previousPublicKey: previous?.1))
        return LoginResponse(token: token, user: user.name, role: user.role.rawValue, serverKey: try await serverIdentity().publicKey,
                             serverTime: now())
    }

    /// The device and user behind a bearer token.
    /// - Throws: 401 for a missing, unknown or revoked token; 403 for a disabled user.
    public func authenticate(_ authorization: String?) async throws -> (DeviceRecord, UserRecord) {
        guard let header = authorization, header.hasPrefix("Bearer "),
              let (id, hash) = Credentials.parse(String(header.dropFirst(7))),
              let device = try await storage.device(id: id),
              Credentials.constantTimeEqual(device.tokenHash, hash)
        else { throw ServerError.unauthorized }
        guard !device.revoked else {
            throw ServerError(.unauthorized, "token_revoked", "this device's token was revoked: run `recolha login` again")
        }
        guard device.expiresAt > now() else {
            throw ServerError(.unauthorized, "token_expired", "this device's token expired: run `recolha login` again")
        }
        guard let user = try await storage.user(named: device.user), !user.disabled else {
            throw ServerError(.forbidden, "user_disabled", "user \(device.user) is disabled: ask an admin to enable it")
        }
        return (device, user)
    }

    /// Checks and stores a batch of changesets; answers after commit with
    /// the server's signed receipts.
    public func push(_ request: PushRequest, device: DeviceRecord, user: UserRecord) async throws -> PushResponse {
        let at = now()
        var loaded: [String: Form] = [:]
        var verified: [Changeset] = []
        var refused: [Rejection] = []
        for c in request.changesets {
            if let reason = Self.signatureProblem(c, device: device, user: user) {
                refused.append(Rejection(id: c.id, reason: reason))
                continue
            }
            verified.append(c)
            let key = c.form + "\u{1}" + c.formVersion
            if loaded[key] == nil, let f = try await forms.form(id: c.form, version: c.formVersion) { loaded[key] = f }
        }
        let known = loaded
        let result = try await storage.push(verified, carrier: device.id, by: user.name, at: at) { v, owner in
            VersionRules.check(v, owner: owner, device: device, user: user, forms: known, now: at)
        }
        try await storage.touchDevice(id: device.id, at: at)
        let receipts = try await receipts(for: request.changesets, held: Set(result.accepted + result.duplicates))
        return PushResponse(accepted: result.accepted, duplicates: result.duplicates, rejected: refused + result.rejected,
                            receipts: receipts, serverTime: now())
    }

    /// Why a changeset cannot be trusted as its site's own work, or nil:
    /// its shape, the site it claims, and its signature against the key
    /// enrolled for that site. Names the device and changeset, never values.
    static func signatureProblem(_ c: Changeset, device: DeviceRecord, user: UserRecord) -> String? {
        if let m = c.malformation { return m }
        guard device.speaksFor(c.site) else {
            return "changeset \(c.id) was written by site \(c.site), not this device (\(device.site)): a device pushes only its own changesets"
        }
        let key = c.site == device.site ? device.publicKey : (device.previousPublicKey ?? "")
        guard !key.isEmpty else {
            return "device \"\(device.name)\" of \(user.name) has no key enrolled for site \(c.site): run `recolha login` again"
        }
        guard c.verify(publicKey: key) else {
            return "changeset \(c.id) does not match the signature of site \(c.site) (device \"\(device.name)\" of \(device.user)): it was altered after it was written, or forged; it was not stored"
        }
        return nil
    }

    /// One signed receipt per site sent: the sequences of every changeset
    /// the server now holds.
    func receipts(for changesets: [Changeset], held: Set<VersionID>) async throws -> [Receipt] {
        var seqs: [SiteID: [Int64]] = [:]
        for c in changesets where held.contains(c.id) { seqs[c.site, default: []] += Array(c.seq...c.lastSeq) }
        guard !seqs.isEmpty else { return [] }
        let key = try await serverIdentity()
        let at = now()
        return seqs.keys.sorted().map { Receipt(site: $0, held: Receipt.ranges(of: seqs[$0]!), serverTime: at).signed(by: key) }
    }

    /// The key this server signs receipts with (the same on every instance).
    public func serverIdentity() async throws -> SiteIdentity {
        if let k = identityCache.withLock({ $0 }) { return k }
        guard let k = SiteIdentity(secret: try await storage.serverSecret()) else {
            throw ServerSetupError("the server's signing key in its data is malformed: restore the data from a backup")
        }
        identityCache.withLock { $0 = k }
        return k
    }

    /// Versions after the cursor: every record for supervisors and admins,
    /// an enumerator's own records for an enumerator.
    public func pull(_ request: PullRequest, device: DeviceRecord, user: UserRecord) async throws -> PullResponse {
        guard request.cursor >= 0, (1...5000).contains(request.limit), request.maxBytes > 0 else {
            throw ServerError.badRequest("cursor must be 0 or more, limit 1 to 5000, max_bytes more than 0")
        }
        let (versions, next, more) = try await storage.pull(
            after: request.cursor, limit: min(request.limit, 5000), maxBytes: min(request.maxBytes, 4 << 20),
            owner: user.role.seesAll ? nil : user.name, excludingSite: device.site)
        return PullResponse(versions: versions, nextCursor: next, more: more, serverTime: now())
    }

    public func formList() async throws -> FormList {
        FormList(forms: try await storage.forms().map {
            FormInfo(formID: $0.formID, version: $0.version, title: $0.title, sha256: $0.sha256)
        }, serverTime: now())
    }

    public func formDefinition(id: String, version: String) async throws -> String {
        guard let f = try await storage.form(id: id, version: version) else {
            throw ServerError(.notFound, "unknown_form", "form \(id) version \(version) is not published on this server")
        }
        return f.definition
    }

    /// Checks a form definition and publishes it.
    /// - Returns: the form and whether it was new.
    public func publish(json: Data) async throws -> (Form, Bool) {
        do {
            return try await publish(definition: try Form.load(json: json).definition)
        } catch let e as FormLoadError {
            throw ServerSetupError(e.description)
        }
    }

    /// Publishes a definition (from JSON or an XLSForm workbook) after checking it.
    public func publish(definition: FormDefinition) async throws -> (Form, Bool) {
        let form: Form
        do {
            form = try Form.load(definition)
        } catch {
            throw ServerSetupError(error.description)
        }
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        let text = String(decoding: try enc.encode(form.definition), as: UTF8.self)
        let added = try await storage.publish(PublishedForm(
            formID: form.id, version: form.version, title: form.title, definition: text,
            sha256: Credentials.sha256(text), publishedAt: now()))
        return (form, added)
    }
}
