import Forms
import Foundation
import Sync

/// What the supervisors' console needs from the server, apart from HTTP:
/// sign-in with a password, the records' states, one record's history, and
/// verdicts written as the server's own signed changesets.
extension SyncService {
    /// Checks a supervisor's or admin's password for the console.
    /// - Throws: 401 for a wrong name or password (the same answer, in the
    ///   same time), 403 for an enumerator or a disabled user, 429 after
    ///   repeated failures (counted with device logins).
    public func signIn(user name: String, password: String, address: String) async throws -> UserRecord {
        let key = LoginThrottle.key(user: name, address: address)
        if let wait = throttle.wait(key, now: now()) {
            throw ServerError(.tooManyRequests, ErrorCode.tooManyAttempts,
                              "too many failed sign-ins for \(name) from this address: wait \(wait) seconds and try again", retryAfter: wait)
        }
        let user = try await storage.user(named: name)
        guard let user, Credentials.verify(password, hash: user.passwordHash) else {
            if user == nil { _ = Credentials.verify(password, hash: Credentials.decoyHash) }
            throttle.failed(key, now: now())
            throw ServerError(.unauthorized, "wrong_credentials", "wrong user name or password")
        }
        throttle.succeeded(key)
        guard !user.disabled else { throw ServerError(.forbidden, "user_disabled", "user \(user.name) is disabled: ask an admin to enable it") }
        guard user.role.seesAll else {
            throw ServerError(.forbidden, "role", "the console is for supervisors and admins; enumerators use recolha on their device")
        }
        return user
    }

    /// Keeps the clock skew a device's request shows (`Recolha-Client-Time`
    /// minus the server's clock); a missing or absurd header changes nothing.
    public func noteClock(of device: DeviceRecord, header: String?) async throws {
        guard let header, header.count <= 20, let ms = Int64(header) else { return }
        let skew = ms - now()
        guard abs(skew) < 20 * 365 * 86_400_000 else { return }
        // A write only when the offset moved by more than a second: every
        // request carries the header, and a write per push costs a commit.
        if let known = device.clockSkewMs, abs(known - skew) <= 1000 { return }
        try await storage.setClockSkew(device: device.id, skew)
    }

    /// Every record's state from its record fields (status, review,
    /// deleted) and the `also` questions (province, district), with its
    /// owner and form: what lists and counts show.
    public func recordStates(also: [String] = []) async throws -> [(owner: RecordOwner, state: RecordState)] {
        var byRecord: [String: [Version]] = [:]
        for v in try await storage.versions(fields: [MetaField.status, MetaField.review, MetaField.deleted] + also) {
            byRecord[v.record, default: []].append(v)
        }
        return try await storage.recordOwners().map { ($0, RecordState(record: $0.id, versions: byRecord[$0.id] ?? [])) }
    }

    /// A published form, loaded (cached: forms never change under an id and version).
    public func form(id: String, version: String) async throws -> Form? {
        try await forms.form(id: id, version: version)
    }

    /// One record's versions with who pushed them, and its form (nil when
    /// the record is unknown).
    public func record(_ id: String) async throws -> (versions: [StoredVersion], form: Form?)? {
        let versions = try await storage.versions(record: id)
        guard let newest = versions.max(by: { $0.version.clock < $1.version.clock })?.version else { return nil }
        return (versions, try await forms.form(id: newest.form, version: newest.formVersion))
    }

    /// Writes a verdict from the console: a changeset of the server's own
    /// site (derived from its key), signed with that key, authored by the
    /// signed-in user and checked by the same rules as a device's push. It
    /// reaches devices by pull, hub and bundle like any verdict.
    /// - Throws: 404 for an unknown record, 409 for a draft or deleted one,
    ///   422 for a review the rules refuse.
    public func review(record id: String, _ review: Review, by user: UserRecord) async throws {
        if let problem = review.problem { throw ServerError(.unprocessableContent, "bad_review", problem.description) }
        try await writeAsServer(record: id, by: user) { state in
            guard !state.isDeleted else { throw ServerError(.conflict, "record_deleted", "record \(id) is deleted") }
            guard state.status == "finalized" else {
                throw ServerError(.conflict, "record_draft", "record \(id) is a draft: only finalized records are reviewed")
            }
            return (MetaField.review, review.json, state.parents(of: MetaField.review))
        }
    }

    /// Resolves a conflict from the console by keeping one of its values:
    /// a version naming every head of the field, written like a verdict.
    /// - Throws: 404 for an unknown record, 409 when the field is not in
    ///   conflict or the version is not one of its values.
    public func resolve(record id: String, field: String, keep: VersionID, by user: UserRecord) async throws {
        try await writeAsServer(record: id, by: user) { state in
            guard field != MetaField.deleted, state.conflicts.contains(field), let heads = state.fields[field]?.heads,
                  let kept = heads.first(where: { $0.id == keep }) else {
                throw ServerError(.conflict, "not_in_conflict", "field \(field) of record \(id) has no such conflicting value: reload the page")
            }
            return (field, kept.value, state.parents(of: field))
        }
    }

    /// One version of the server's own site on `record`, planned from the
    /// record's state; retried when another instance took the sequence number.
    func writeAsServer(record id: String, by user: UserRecord,
                       plan: (RecordState) throws -> (field: String, value: String?, parents: [VersionID])) async throws {
        guard user.role.seesAll else { throw ServerError(.forbidden, "role", "only supervisors and admins change records here") }
        let key = try await serverIdentity()
        for _ in 0..<5 {
            let versions = try await storage.versions(record: id).map(\.version)
            guard let newest = versions.max(by: { $0.clock < $1.clock }) else {
                throw ServerError(.notFound, "unknown_record", "no record \(id) on this server")
            }
            let (field, value, parents) = try plan(RecordState(record: id, versions: versions))
            let at = now()
            let seq = try await storage.lastSeq(site: key.site) + 1
            let v = Version(id: VersionID(site: key.site, seq: seq), record: id, form: newest.form, formVersion: newest.formVersion,
                            field: field, value: value, clock: HLC(ms: max(at, newest.clock.ms + 1), counter: 0, site: key.site),
                            parents: parents, author: user.name)
            guard let c = Changeset(versions: [v])?.signed(by: key) else { throw ServerError.badRequest("the change could not be written") }
            var loaded: [String: Form] = [:]
            if let f = try await forms.form(id: v.form, version: v.formVersion) { loaded[v.form + "\u{1}" + v.formVersion] = f }
            let known = loaded
            let console = DeviceRecord(id: "console", user: user.name, name: "console", site: key.site, tokenHash: "", createdAt: at,
                                       expiresAt: at, lastSeenAt: nil, revoked: false, publicKey: key.publicKey)
            do {
                let result = try await storage.push([c], carrier: "console", by: user.name, at: at) { v, owner in
                    VersionRules.check(v, owner: owner, device: console, user: user, forms: known, now: at)
                }
                if let r = result.rejected.first { throw ServerError(.unprocessableContent, "refused", r.reason) }
                return
            } catch let e as ServerError where e.code == ErrorCode.siteReused {
                continue  // another instance wrote the same sequence number first: take the next
            }
        }
        throw ServerError(.serviceUnavailable, "busy", "the change could not be stored: try again")
    }
}
