import Foundation
import Forms
import RecolhaTesting
import Sync
import Testing
@testable import SyncServer

/// The server's own rules for a pushed version, each checked directly.
@Suite struct VersionRulesTests {
    static let form = try! Form.load(json: Package.data(Package.flagship))
    let forms = [form.id + "\u{1}" + form.version: form]
    let site = SiteIdentity.make().site
    let now: Int64 = 1_800_000_000_000
    var device: DeviceRecord {
        DeviceRecord(id: "d", user: "ana", name: "t", site: site, tokenHash: "", createdAt: 0, expiresAt: 0, lastSeenAt: nil, revoked: false)
    }
    let ana = UserRecord(name: "ana", role: .enumerator, passwordHash: "", createdAt: 0)
    let sara = UserRecord(name: "sara", role: .supervisor, passwordHash: "", createdAt: 0)

    func v(_ field: String, _ value: String?, site: SiteID? = nil, ms: Int64? = nil, form: String? = nil, author: String = "ana") -> Version {
        let s = site ?? self.site
        return Version(id: VersionID(site: s, seq: 1), record: "r", form: form ?? Self.form.id, formVersion: Self.form.version,
                       field: field, value: value, clock: HLC(ms: ms ?? now, counter: 0, site: s), parents: [], author: author)
    }

    func check(_ v: Version, owner: String? = nil, user: UserRecord? = nil, device: DeviceRecord? = nil) -> String? {
        let user = user ?? ana
        return VersionRules.check(v, owner: owner, device: device ?? self.device, user: user, forms: forms, now: now)?.description
    }

    @Test func aGoodAnswerPasses() {
        #expect(check(v("province", "\"tete\"")) == nil)
        #expect(check(v("isolation_beds", "4")) == nil)
    }

    @Test func onlyTheDevicesOwnSiteOrItsPredecessor() {
        let other = SiteIdentity.make().site
        #expect(check(v("province", "\"tete\"", site: other))?.contains("a device pushes only its own versions") == true)
        var moved = device
        moved.previousSite = other
        #expect(check(v("province", "\"tete\"", site: other), device: moved) == nil)
    }

    @Test func aClockFarAheadIsRefused() {
        #expect(check(v("province", "\"tete\"", ms: now + 10 * 60_000))?.contains("ahead of the server") == true)
        #expect(check(v("province", "\"tete\"", ms: now + 60_000)) == nil)
    }

    @Test func enumeratorsChangeOnlyTheirOwnRecords() {
        #expect(check(v("province", "\"tete\""), owner: "bento")?.contains("belongs to bento") == true)
        #expect(check(v("province", "\"tete\"", author: "sara"), owner: "bento", user: sara) == nil)
    }

    @Test func anUnpublishedFormIsRefused() {
        #expect(check(v("province", "\"tete\"", form: "other"))?.contains("not published") == true)
    }

    @Test func typesChoicesAndSize() {
        #expect(check(v("isolation_beds", "\"many\""))?.contains("isolation_beds") == true)
        #expect(check(v("province", "\"atlantis\""))?.contains("not one of the choices") == true)
        #expect(check(v("nonexistent", "\"x\""))?.contains("not a question") == true)
        #expect(check(v("province", "\"" + String(repeating: "a", count: 70_000) + "\""))?.contains("more than") == true)
        #expect(check(v("province", "{not json"))?.contains("not an answer") == true)
        // The value that once crashed the server: a lone surrogate escape.
        #expect(check(v("facility_name", "\"\\ud800\\u0041\"")) != nil)
    }

    @Test func rolesSetOnlyTheirStatuses() {
        #expect(check(v(MetaField.status, "\"approved\"")) != nil)
        #expect(check(v(MetaField.status, "\"finalized\"")) == nil)
        #expect(check(v(MetaField.status, "\"approved\"", author: "sara"), user: sara) != nil, "a verdict is a _review")
        #expect(check(v(MetaField.deleted, "maybe")) != nil)
    }

    @Test func theAuthorIsTheAuthenticatedUser() {
        #expect(check(v("province", "\"tete\"", author: "sara"))?.contains("log in again") == true)
    }
}

/// Login: proven site ids, one user per site, throttled failures.
@Suite struct LoginTests {
    let dir = TempDir()

    func service() async throws -> SyncService {
        let storage = try SQLiteStorage(path: dir.file(UUID().uuidString + ".sqlite"), create: true)
        for (name, role) in [("ana", Role.enumerator), ("sara", .supervisor)] {
            try await storage.createUser(UserRecord(name: name, role: role, passwordHash: Credentials.hashPassword("pw-" + name), createdAt: 0))
        }
        return SyncService(storage: storage)
    }

    func login(_ s: SyncService, _ user: String, _ password: String, _ identity: SiteIdentity, address: String = "10.0.0.1") async throws -> LoginResponse {
        try await s.login(LoginRequest(user: user, password: password, deviceName: "d", identity: identity), address: address)
    }

    func code(_ body: () async throws -> Any) async -> String? {
        do { _ = try await body(); return nil } catch { return (error as? ServerError)?.code ?? "\(error)" }
    }

    @Test func aSiteIDMustBeProvenByItsKey() async throws {
        let s = try await service()
        let r = LoginRequest(user: "ana", password: "pw-ana", deviceName: "d", identity: .make())
        var forged = r
        forged.siteID = SiteIdentity.make().site
        #expect(await code { try await s.login(forged) } == "site_unproven")
        // Someone else's public key (it is public) without its private key.
        let victim = SiteIdentity.make()
        var claimed = r
        claimed.siteID = victim.site
        claimed.publicKey = victim.publicKey
        #expect(await code { try await s.login(claimed) } == "site_unproven")
        // A proof made for another user does not serve this one.
        var replayed = LoginRequest(user: "ana", password: "pw-ana", deviceName: "d", identity: victim)
        replayed.proof = victim.loginProof(user: "sara")
        #expect(await code { try await s.login(replayed) } == "site_unproven")
        #expect(await code { try await s.login(r) } == nil)
        let (device, _) = try await s.authenticate("Bearer " + (try await s.login(r)).token)
        #expect(device.publicKey == r.publicKey, "the key is enrolled for the site")
    }

    @Test func aSiteBelongsToOneUsersDevice() async throws {
        let s = try await service()
        let id = SiteIdentity.make()
        _ = try await login(s, "sara", "pw-sara", id)
        _ = try await login(s, "sara", "pw-sara", id)  // the same device logging in again
        #expect(await code { try await login(s, "ana", "pw-ana", id) } == ErrorCode.siteTaken)
    }

    @Test func failuresAreThrottledPerUserAndAddress() async throws {
        let s = try await service()
        let id = SiteIdentity.make()
        for _ in 0..<5 { #expect(await code { try await login(s, "ana", "wrong", id) } == "wrong_credentials") }
        do {
            _ = try await login(s, "ana", "pw-ana", id)
            Issue.record("a sixth attempt should wait")
        } catch let e as ServerError {
            #expect(e.status == .tooManyRequests && (e.retryAfter ?? 0) > 0)
        }
        // Another address, or another user, is not held back.
        #expect(await code { try await login(s, "ana", "pw-ana", id, address: "10.0.0.2") } == nil)
        #expect(await code { try await login(s, "sara", "pw-sara", .make()) } == nil)
    }

    @Test func anUnknownUserGetsTheSameAnswerAsAWrongPassword() async throws {
        let s = try await service()
        #expect(await code { try await login(s, "nobody", "x", .make()) } == "wrong_credentials")
        #expect(await code { try await login(s, "ana", "x", .make()) } == "wrong_credentials")
    }

    @Test func aCopiedStoreTakesANewIdentityThatMaySendTheOldOnesVersions() async throws {
        let s = try await service()
        let old = SiteIdentity.make(), new = SiteIdentity.make()
        let first = try await login(s, "ana", "pw-ana", old)
        let (device, user) = try await s.authenticate("Bearer " + first.token)
        let second = try await s.changeIdentity(IdentityRequest(deviceName: "copy", identity: new, user: "ana"), device: device, user: user)
        let (moved, _) = try await s.authenticate("Bearer " + second.token)
        #expect(moved.site == new.site && moved.previousSite == old.site)
        #expect(moved.publicKey == new.publicKey && moved.previousPublicKey == old.publicKey)
        #expect(await code { try await s.changeIdentity(IdentityRequest(deviceName: "x", identity: new, user: "ana"), device: device, user: user) }
                == ErrorCode.siteTaken)
    }

    /// A forged enrolment binds nothing: carried by an enumerator, signed
    /// by another key than the carrier's, or without the device's own proof.
    @Test func forgedEnrolmentsAreRefused() async throws {
        let s = try await service()
        let supervisorKey = SiteIdentity.make(), enumeratorKey = SiteIdentity.make()
        let (sup, supUser) = try await s.authenticate("Bearer " + (try await login(s, "sara", "pw-sara", supervisorKey)).token)
        let (enu, enuUser) = try await s.authenticate("Bearer " + (try await login(s, "ana", "pw-ana", enumeratorKey)).token)
        let newDevice = SiteIdentity.make()
        func enrolment(_ user: String = "ana", proofBy: SiteIdentity? = nil) -> Enrolment {
            Enrolment(user: user, deviceName: "tab", site: newDevice.site, publicKey: newDevice.publicKey, hpkeKey: newDevice.hpkeKey,
                      proof: (proofBy ?? newDevice).loginProof(user: user), sponsor: supervisorKey.site, at: 1)
        }
        func reason(_ e: Enrolment, _ d: DeviceRecord, _ u: UserRecord) async throws -> String? {
            try await s.enrol(EnrolmentPush(enrolments: [e]), device: d, user: u).results[0].reason
        }
        #expect(try await reason(enrolment().signed(by: enumeratorKey), enu, enuUser)?.contains("only a supervisor") == true)
        var forged = enrolment().signed(by: supervisorKey)
        forged.signature = SiteIdentity.make().sign(forged.signedBytes)
        #expect(try await reason(forged, sup, supUser)?.contains("is not signed by") == true)
        #expect(try await reason(enrolment(proofBy: SiteIdentity.make()).signed(by: supervisorKey), sup, supUser)?
                    .contains("does not prove") == true)
        #expect(try await reason(enrolment("nobody").signed(by: supervisorKey), sup, supUser)?.contains("no user nobody") == true)
        #expect(try await s.storage.devices(site: newDevice.site).isEmpty, "nothing was bound")
        #expect(try await reason(enrolment().signed(by: supervisorKey), sup, supUser) == nil)
        let bound = try await s.storage.devices(site: newDevice.site)
        #expect(bound.count == 1 && bound[0].user == "ana" && bound[0].publicKey == newDevice.publicKey)
        // The same site for another user is refused.
        var other = enrolment().signed(by: supervisorKey)
        other.user = "sara"; other.proof = newDevice.loginProof(user: "sara")
        #expect(try await reason(other.signed(by: supervisorKey), sup, supUser)?.contains("already belongs to ana") == true)
    }
}

extension VersionRulesTests {
    @Test func reviewsAreSupervisorsAndCorrectionsEnumerators() {
        let returned = Review(state: .hasIssues, comment: "Confirme", fields: ["respondent_phone": "falta um dígito"]).json
        #expect(check(v("_review", returned, author: "sara"), owner: "ana", user: sara) == nil)
        #expect(check(v("_review", returned))?.contains("only supervisors and admins review") == true)
        #expect(check(v("_review", Review(state: .approved).json))?.contains("only supervisors and admins review") == true)
        #expect(check(v("_review", Review(state: .corrected).json)) == nil)
        let unknownField = Review(state: .hasIssues, comment: "x", fields: ["no_such": "y"]).json
        #expect(check(v("_review", unknownField, author: "sara"), user: sara)?.contains("no_such, which is not a question") == true)
        for bad in [nil, "true", #"{"state":"maybe"}"#, #"{"state":"has_issues"}"#, "{", #"{"state":"approved","comment":7}"#] {
            #expect(check(v("_review", bad, author: "sara"), user: sara)?.contains("_review holds no review") == true, "\(bad ?? "nil")")
        }
        // Review states are not statuses.
        #expect(check(v("_status", "\"approved\"", author: "sara"), user: sara)?.contains("draft or finalized") == true)
    }
}
