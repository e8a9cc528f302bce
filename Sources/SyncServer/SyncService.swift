import Words
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

    /// The largest media file (photo, recording, video, file) taken.
    public let maxMediaBytes: Int

    public init(storage: any ServerStorage, tokenLifetimeDays: Int = 90, maxMediaBytes: Int = 25_000_000,
                now: @escaping @Sendable () -> Int64 = ServerClock.nowMs) {
        self.storage = storage
        self.maxMediaBytes = maxMediaBytes
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
        guard SiteIdentity.proves(site: r.siteID, publicKey: r.publicKey, proof: r.proof, user: user.name, hpkeKey: r.hpkeKey) else {
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
           SiteIdentity.proves(site: p, publicKey: key, proof: proof, user: user.name, hpkeKey: r.previousHpkeKey ?? ""),
           try await storage.devices(site: p).allSatisfy({ $0.user == user.name }) {
            previous = (p, key)
        }
        return try await issueToken(user: user, deviceName: r.deviceName, site: r.siteID, publicKey: r.publicKey, hpkeKey: r.hpkeKey,
                                    previous: previous)
    }

    /// A store that found it is a copy takes a new identity: a token for the
    /// new site, which may still send the old site's versions.
    /// - Throws: 400 for an unproven site id, 409 for a site already bound.
    public func changeIdentity(_ r: IdentityRequest, device: DeviceRecord, user: UserRecord) async throws -> LoginResponse {
        guard SiteIdentity.proves(site: r.siteID, publicKey: r.publicKey, proof: r.proof, user: user.name, hpkeKey: r.hpkeKey) else {
            throw ServerError(.badRequest, "site_unproven", "site id \(r.siteID) is not derived from the key sent with it, or the proof is not that key's signature")
        }
        guard r.siteID != device.site, try await storage.devices(site: r.siteID).isEmpty else {
            throw ServerError(.conflict, ErrorCode.siteTaken, "site \(r.siteID) is already bound to a device: make another new identity")
        }
        return try await issueToken(user: user, deviceName: r.deviceName, site: r.siteID, publicKey: r.publicKey, hpkeKey: r.hpkeKey,
                                    previous: (device.site, device.publicKey))
    }

    func issueToken(user: UserRecord, deviceName: String, site: SiteID, publicKey: String, hpkeKey: String,
                    previous: (SiteID, String)?) async throws -> LoginResponse {
        let (id, token, hash) = Credentials.newToken()
        try await storage.addDevice(DeviceRecord(
            id: id, user: user.name, name: String(deviceName.prefix(100)), site: site, tokenHash: hash,
            createdAt: now(), expiresAt: now() + tokenLifetimeMs, lastSeenAt: now(), revoked: false,
            publicKey: publicKey, previousSite: previous?.0, previousPublicKey: previous?.1, hpkeKey: hpkeKey))
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
    /// the server's signed receipts. A device sends its own changesets; a
    /// supervisor's or admin's device may also relay other devices'
    /// changesets (from a bundle or its hub), each checked as its writer's.
    public func push(_ request: PushRequest, device: DeviceRecord, user: UserRecord) async throws -> PushResponse {
        let at = now()
        var loaded: [String: Form] = [:]
        var writers: [SiteID: Writer] = [:]
        for c in request.changesets {
            if writers[c.site] == nil { writers[c.site] = try await writer(of: c.site, pusher: device, user: user) }
            let key = c.form + "\u{1}" + c.formVersion
            if loaded[key] == nil, let f = try await forms.form(id: c.form, version: c.formVersion) { loaded[key] = f }
        }
        // Signatures and every check but the owner's are pure: they run on
        // every core, a stretch of changesets each, alongside other pushes;
        // the storage's transaction (one writer at a time on SQLite) runs
        // only the owner's.
        let checked = await Self.check(request.changesets, writers: writers, forms: loaded, at: at)
        let verified = checked.verified, refused = checked.refused
        let before = checked.writerProblems, after = checked.contentProblems
        let byWriter = writers, writerProblems = before, contentProblems = after
        let result = try await storage.push(verified, carrier: device.id, by: user.name, at: at) { v, owner in
            guard case .known(_, let u, _)? = byWriter[v.id.site] else { return Message(.rejectNotEnrolled, ["site": .text(v.id.site.rawValue)]) }
            return writerProblems[v.id] ?? VersionRules.ownerProblem(v, owner: owner, user: u) ?? contentProblems[v.id]
        }
        // Last seen to the minute (what the console shows): not a commit per push.
        if (device.lastSeenAt ?? 0) < at - 60_000 { try await storage.touchDevice(id: device.id, at: at) }
        let receipts = try await receipts(for: request.changesets, held: Set(result.accepted + result.duplicates))
        return PushResponse(accepted: result.accepted, duplicates: result.duplicates, rejected: refused + result.rejected,
                            receipts: receipts, serverTime: now())
    }

    /// Who wrote a site's changesets, as far as this push may say.
    enum Writer {
        /// The enrolled device of the site, its user and the site's key.
        case known(DeviceRecord, UserRecord, key: String)
        case refused(Message)
    }

    /// The writer of `site`'s changesets: the pushing device itself (or its
    /// predecessor site), or, for a relaying supervisor or admin, the device
    /// enrolled for that site.
    func writer(of site: SiteID, pusher device: DeviceRecord, user: UserRecord) async throws -> Writer {
        if device.speaksFor(site) {
            let key = site == device.site ? device.publicKey : (device.previousPublicKey ?? "")
            guard !key.isEmpty else { return .refused(Message(.rejectNoKey, ["device": .text(device.name), "user": .text(user.name), "site": .text(site.rawValue)])) }
            return .known(device, user, key: key)
        }
        guard user.role.seesAll else {
            return .refused(Message(.rejectNotRelay, ["site": .text(site.rawValue), "device": .text(device.site.rawValue)]))
        }
        let enrolled = try await storage.devices(site: site).filter { !$0.publicKey.isEmpty }
        guard let writer = enrolled.first(where: { !$0.revoked }) ?? enrolled.first else {
            return .refused(Message(.rejectSiteNotEnrolled, ["site": .text(site.rawValue)]))
        }
        guard !writer.revoked else {
            return .refused(Message(.rejectRevoked, ["site": .text(site.rawValue), "user": .text(writer.user), "device": .text(writer.name)]))
        }
        guard let writerUser = try await storage.user(named: writer.user), !writerUser.disabled else {
            return .refused(Message(.rejectUserDisabled, ["user": .text(writer.user), "site": .text(site.rawValue)]))
        }
        return .known(writer, writerUser, key: writer.publicKey)
    }

    /// Why a changeset cannot be trusted as its writer's work, or nil: its
    /// shape, the site it claims, and its signature against the key
    /// enrolled for that site. Names the device and changeset, never values.
    static func signatureProblem(_ c: Changeset, writer: Writer) -> Message? {
        if let m = c.malformation { return m }
        switch writer {
        case .refused(let reason):
            return Message(.rejectInChangeset, ["changeset": .text(c.id.description), "reason": .message(reason)])
        case .known(let device, _, let key):
            guard c.verify(publicKey: key) else {
                return Message(.rejectSignature, ["changeset": .text(c.id.description), "site": .text(c.site.rawValue), "device": .text(device.name), "user": .text(device.user)])
            }
            return nil
        }
    }

    /// Why a changeset from `device` of `user` cannot be trusted, for its
    /// own site (the fuzz tests call this).
    static func signatureProblem(_ c: Changeset, device: DeviceRecord, user: UserRecord) -> Message? {
        guard device.speaksFor(c.site) else {
            return Message(.rejectNotOwnChangeset, ["changeset": .text(c.id.description), "site": .text(c.site.rawValue), "device": .text(device.site.rawValue)])
        }
        let key = c.site == device.site ? device.publicKey : (device.previousPublicKey ?? "")
        return signatureProblem(c, writer: key.isEmpty ? .refused(Message(.rejectNoKey, ["device": .text(device.name), "user": .text(user.name), "site": .text(c.site.rawValue)])) : .known(device, user, key: key))
    }

    /// Enrolments a supervisor's or admin's device carries for devices that
    /// never reached the server: each signed by the carrying device's key
    /// and proven by the enrolled device's own key. An accepted one binds
    /// the site to the user (no token: that device syncs through relays, or
    /// logs in when it reaches the server).
    public func enrol(_ push: EnrolmentPush, device: DeviceRecord, user: UserRecord) async throws -> EnrolmentResponse {
        var results: [EnrolmentResult] = []
        for e in push.enrolments {
            results.append(EnrolmentResult(site: e.site, accepted: false, reason: nil))
            guard user.role.seesAll else {
                results[results.count - 1].reason = "only a supervisor's or admin's device enrols devices"
                continue
            }
            guard e.sponsor == device.site, !device.publicKey.isEmpty else {
                results[results.count - 1].reason = "the enrolment of site \(e.site) names another sponsor than the device that carried it"
                continue
            }
            if let problem = e.problem(sponsorKey: device.publicKey) {
                results[results.count - 1].reason = problem.description
                continue
            }
            guard let enrolled = try await storage.user(named: e.user) else {
                results[results.count - 1].reason = "there is no user \(e.user) on the server"
                continue
            }
            guard !enrolled.disabled else {
                results[results.count - 1].reason = "user \(e.user) is disabled: ask an admin"
                continue
            }
            let bound = try await storage.devices(site: e.site)
            if let other = bound.first(where: { $0.user != e.user }) {
                results[results.count - 1].reason = "site \(e.site) already belongs to \(other.user)'s device"
                continue
            }
            if bound.isEmpty {
                let (id, _, _) = Credentials.newToken()
                try await storage.addDevice(DeviceRecord(
                    id: id, user: e.user, name: String(e.deviceName.prefix(100)), site: e.site, tokenHash: "",
                    createdAt: now(), expiresAt: now() + tokenLifetimeMs, lastSeenAt: nil, revoked: false,
                    publicKey: e.publicKey, hpkeKey: e.hpkeKey))
            }
            results[results.count - 1] = EnrolmentResult(site: e.site, accepted: true, reason: nil)
        }
        return EnrolmentResponse(results: results, serverTime: now())
    }

    /// The keys bundles written on `device` are encrypted to: the server's,
    /// and the devices that may read them (for an enumerator, supervisors'
    /// and admins' devices; for them, every device).
    public func recipients(device: DeviceRecord, user: UserRecord) async throws -> RecipientList {
        let users = Dictionary(try await storage.users().map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        var list: [RecipientInfo] = []
        for d in try await storage.devices() where !d.revoked && !d.hpkeKey.isEmpty && d.expiresAt > now() {
            guard let u = users[d.user], !u.disabled, user.role.seesAll || u.role.seesAll else { continue }
            list.append(RecipientInfo(site: d.site, user: u.name, role: u.role.rawValue, name: d.name, hpkeKey: d.hpkeKey))
        }
        return RecipientList(serverKey: try await serverIdentity().hpkeKey, devices: list, serverTime: now())
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
        var (heads, keys, _) = try await storage.changesets(holding: versions.map(\.version.version.id))
        // Verdicts written in the console are the server's own site's.
        let own = try await serverIdentity()
        if heads.contains(where: { $0.site == own.site }) { keys[own.site.rawValue] = own.publicKey }
        return PullResponse(versions: versions, nextCursor: next, more: more, serverTime: now(),
                            changesets: heads, keys: keys)
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
