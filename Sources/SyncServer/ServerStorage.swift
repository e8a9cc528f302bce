import Foundation
import Words
import Sync

/// A user of the server: enumerators capture, supervisors review and
/// resolve, admins manage.
public struct UserRecord: Sendable, Hashable {
    public var name: String
    public var role: Role
    public var passwordHash: String
    public var disabled: Bool
    public var createdAt: Int64

    public init(name: String, role: Role, passwordHash: String, disabled: Bool = false, createdAt: Int64) {
        self.name = name; self.role = role; self.passwordHash = passwordHash; self.disabled = disabled; self.createdAt = createdAt
    }
}

public enum Role: String, Sendable, Hashable, CaseIterable, Codable {
    case enumerator, supervisor, admin

    /// Supervisors and admins see and may edit every record.
    public var seesAll: Bool { self != .enumerator }
}

/// A device that logged in: its token is stored hashed.
public struct DeviceRecord: Sendable, Hashable {
    public var id: String
    public var user: String
    public var name: String
    public var site: SiteID
    public var tokenHash: String
    public var createdAt: Int64
    /// After this the token is refused: log in again.
    public var expiresAt: Int64
    public var lastSeenAt: Int64?
    public var revoked: Bool
    /// The site this device used before it found its store was a copy and
    /// took a new identity: it may still send versions written under it.
    public var previousSite: SiteID?
    /// The device's Ed25519 public key (hex), enrolled at login: the site id
    /// is derived from it, and every changeset of the site is verified with it.
    public var publicKey: String
    /// The key of `previousSite`, proven at login.
    public var previousPublicKey: String?
    /// The device's X25519 key (hex) that bundles for it are encrypted to.
    public var hpkeKey: String
    /// The device clock's offset from the server's, as its last request showed it.
    public var clockSkewMs: Int64?

    public init(id: String, user: String, name: String, site: SiteID, tokenHash: String, createdAt: Int64, expiresAt: Int64,
                lastSeenAt: Int64?, revoked: Bool, publicKey: String = "", previousSite: SiteID? = nil, previousPublicKey: String? = nil,
                hpkeKey: String = "", clockSkewMs: Int64? = nil) {
        self.id = id; self.user = user; self.name = name; self.site = site; self.tokenHash = tokenHash
        self.createdAt = createdAt; self.expiresAt = expiresAt; self.lastSeenAt = lastSeenAt; self.revoked = revoked
        self.publicKey = publicKey; self.previousSite = previousSite; self.previousPublicKey = previousPublicKey; self.hpkeKey = hpkeKey
        self.clockSkewMs = clockSkewMs
    }

    /// Whether this device may send versions written under `site`.
    public func speaksFor(_ site: SiteID) -> Bool { site == self.site || site == previousSite }
}

public struct PublishedForm: Sendable, Hashable {
    public var formID: String
    public var version: String
    public var title: String
    public var definition: String
    public var sha256: String
    public var publishedAt: Int64
}

/// What one push did: each changeset accepted (new), a duplicate (already
/// held), or rejected with a reason; named by their first version ids.
public struct PushResult: Sendable {
    public var accepted: [VersionID] = []
    public var duplicates: [VersionID] = []
    public var rejected: [Rejection] = []
    public init() {}
}

/// Decides whether a new version may enter the set, given the owner of its
/// record (nil for a new record); returns the reason to refuse, or nil.
public typealias VersionPolicy = @Sendable (Version, _ recordOwner: String?) -> Message?

/// The server's storage: users, devices, forms and the versions set. One
/// implementation per engine; everything above it is engine-neutral.
public protocol ServerStorage: Sendable {
    func createUser(_ user: UserRecord) async throws
    func user(named name: String) async throws -> UserRecord?
    func users() async throws -> [UserRecord]
    /// - Returns: false when there is no such user.
    func setDisabled(user name: String, _ disabled: Bool) async throws -> Bool
    /// - Returns: false when there is no such user.
    func setPasswordHash(user name: String, _ hash: String) async throws -> Bool
    /// Per site, how many sequence numbers below its highest stored one
    /// are missing (work that left the device and never arrived); sites
    /// without a gap are left out.
    func sequenceGaps() async throws -> [SiteID: Int64]

    func addDevice(_ device: DeviceRecord) async throws
    func device(id: String) async throws -> DeviceRecord?
    func devices() async throws -> [DeviceRecord]
    /// The devices (tokens) bound to a site id, oldest first.
    func devices(site: SiteID) async throws -> [DeviceRecord]
    /// - Returns: false when there is no such device.
    func revokeDevice(id: String) async throws -> Bool
    func touchDevice(id: String, at: Int64) async throws
    /// Keeps a device's clock skew (its clock minus the server's) as its last request showed it.
    func setClockSkew(device id: String, _ skewMs: Int64) async throws
    /// Every device's last known clock skew, by device id.
    func clockSkews() async throws -> [String: Int64]

    /// - Returns: false when the same definition was already published.
    /// - Throws: `ServerError.formChanged` for a different definition under
    ///   the same id and version.
    func publish(_ form: PublishedForm) async throws -> Bool
    func forms() async throws -> [PublishedForm]
    func form(id: String, version: String) async throws -> PublishedForm?

    /// Inserts the changesets it does not hold, in one transaction; each new
    /// version gets the next server sequence, in commit order. A changeset
    /// held with the same content is a duplicate; one with a version the
    /// policy refuses is rejected whole; the rest go in, with their
    /// signatures and `carrier` (the device id that brought them); a new
    /// record is owned by its changeset's author. Returns
    /// after commit. Signatures are checked before, by the caller.
    /// - Throws: `ServerError.siteReused` (nothing stored) when an id is
    ///   held with other content.
    func push(_ changesets: [Changeset], carrier: String, by user: String, at: Int64, policy: VersionPolicy) async throws -> PushResult

    /// The server's Ed25519 private key (hex) that signs receipts: made on
    /// first use, then the same for every instance and after every restart.
    func serverSecret() async throws -> String
    /// Sets the server's key (an import keeps the exported server's, so
    /// devices keep trusting its receipts).
    func setServerSecret(_ secret: String) async throws
    /// Per site, the latest changeset another device carried here (a relay):
    /// when, and which device.
    func relayedArrivals() async throws -> [RelayedArrival]
    /// Stored changeset signatures after `after` (by site, then seq).
    func exportChangesets(after: VersionID?, limit: Int) async throws -> [StoredChangeset]
    func importChangesets(_ changesets: [StoredChangeset]) async throws

    /// A media file some stored record names, nil when none does.
    func media(_ sha256: String) async throws -> ServerMedia?
    /// Appends `bytes` at `offset` of a file some record names, in one
    /// transaction. A complete file is left as it is.
    /// - Throws: `ServerError` 409 `media_offset` when `offset` is not the
    ///   count already received (the answer says where to resume).
    func appendMedia(_ sha256: String, offset: Int, bytes: Data) async throws -> ServerMedia
    /// Up to `count` bytes of a file from `offset`.
    func mediaBytes(_ sha256: String, from offset: Int, count: Int) async throws -> Data
    /// Marks a file whole and verified, or (when its bytes were not the
    /// file its hash names) forgets what was received.
    func finishMedia(_ sha256: String, verified: Bool) async throws
    /// The files named by `records` that are not whole on the server yet.
    func missingMedia(records: [String]) async throws -> [String: [ServerMedia]]
    /// The hashes of whole files after `after`, in order (a deployment export).
    func completeMedia(after: String, limit: Int) async throws -> [String]

    /// Versions after `cursor` in sequence order, at most `limit` of them and
    /// about `maxBytes`; only records owned by `owner` when given; none
    /// written by `excludingSite` (the puller has its own already).
    func pull(after cursor: Int64, limit: Int, maxBytes: Int, owner: String?, excludingSite: SiteID?) async throws
        -> (versions: [SequencedVersion], next: Int64, more: Bool)

    /// The stored changesets that hold `ids` (each once), the public key of
    /// each of their sites, and who carried each (by its first version id:
    /// a device id, or "console").
    func changesets(holding ids: [VersionID]) async throws -> (heads: [ChangesetHead], keys: [String: String], carriers: [VersionID: String])

    /// Every version of one record, in server order (the console's record page).
    func versions(record id: String) async throws -> [StoredVersion]
    /// Every version of the named fields, of every record (the console's
    /// lists and counts: record fields, province, district).
    func versions(fields: [String]) async throws -> [Version]
    /// The highest sequence number stored for `site`, 0 when none.
    func lastSeq(site: SiteID) async throws -> Int64

    /// How many versions the server holds.
    func versionCount() async throws -> Int

    // Moving a whole deployment (export and import).

    /// Nothing stored yet: no user, no version.
    func isEmpty() async throws -> Bool
    /// Marks an import begun (true) or finished (false); a marked database
    /// is not served, and the next import wipes it first.
    func setImporting(_ importing: Bool) async throws
    func isImporting() async throws -> Bool
    /// Deletes every row: only for an import that did not finish.
    func wipe() async throws
    func recordOwners() async throws -> [RecordOwner]
    /// Versions after `seq` in sequence order, with who pushed them and when.
    func exportVersions(after seq: Int64, limit: Int) async throws -> [StoredVersion]
    func importRecords(_ records: [RecordOwner]) async throws
    /// Inserts versions keeping their server sequence, so devices' cursors stay true.
    func importVersions(_ versions: [StoredVersion]) async throws
}

/// Who created a record (its owner: an enumerator sees their own).
public struct RecordOwner: Sendable, Hashable, Codable {
    public var id: String
    public var owner: String
    public var formID: String
    public var createdAt: Int64
    public init(id: String, owner: String, formID: String, createdAt: Int64) {
        self.id = id; self.owner = owner; self.formID = formID; self.createdAt = createdAt
    }
    enum CodingKeys: String, CodingKey { case id, owner, formID = "form_id", createdAt = "created_at" }
}

/// A version as the server holds it.
public struct StoredVersion: Sendable, Hashable {
    public var seq: Int64
    public var version: Version
    public var pushedBy: String
    public var receivedAt: Int64
    public init(seq: Int64, version: Version, pushedBy: String, receivedAt: Int64) {
        self.seq = seq; self.version = version; self.pushedBy = pushedBy; self.receivedAt = receivedAt
    }
}

/// A changeset's signature as the server holds it, with who carried it.
public struct StoredChangeset: Sendable, Hashable, Codable {
    public var site: SiteID
    public var seq: Int64
    public var count: Int64
    public var signature: String
    public var carriedBy: String
    public var receivedAt: Int64
    public init(site: SiteID, seq: Int64, count: Int64, signature: String, carriedBy: String, receivedAt: Int64) {
        self.site = site; self.seq = seq; self.count = count; self.signature = signature; self.carriedBy = carriedBy
        self.receivedAt = receivedAt
    }
    enum CodingKeys: String, CodingKey { case site, seq, count, signature, carriedBy = "carried_by", receivedAt = "received_at" }
}

extension ServerStorage {
    /// The policy's reason to refuse the first of `versions` it refuses, or nil.
    static func firstRefusal(_ versions: [Version], owner: String?, _ policy: VersionPolicy) -> Message? {
        for v in versions { if let reason = policy(v, owner) { return reason } }
        return nil
    }
}

/// The latest changeset of a site that another device relayed to the server.
public struct RelayedArrival: Sendable, Hashable {
    public var site: SiteID
    public var at: Int64
    /// The relaying device's id.
    public var carriedBy: String
    public init(site: SiteID, at: Int64, carriedBy: String) { self.site = site; self.at = at; self.carriedBy = carriedBy }
}
