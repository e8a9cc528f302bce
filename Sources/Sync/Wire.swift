import Words
/// The sync protocol's messages: JSON bodies, gzip both ways.
/// docs/sync-protocol.md is the full description.
public enum WireProtocol {
    /// Sent by every request and response in `Recolha-Protocol`.
    public static let version = 2
    public static let protocolHeader = "Recolha-Protocol"
    /// Milliseconds since 1970 on the server's clock, on every response.
    public static let serverTimeHeader = "Recolha-Server-Time"
    /// Milliseconds since 1970 on the device's clock, on a device's requests:
    /// the server keeps each device's clock skew for supervisors to see.
    public static let clientTimeHeader = "Recolha-Client-Time"
    /// Where a piece of a media file starts (`PUT /v1/media/{sha256}`).
    public static let mediaOffsetHeader = "Recolha-Media-Offset"
    /// How far ahead of the server's clock a version's clock may be.
    public static let maxClockAheadMs: Int64 = 5 * 60 * 1000
    /// Largest request body the server reads, compressed or not.
    public static let maxBodyBytes = 8 * 1024 * 1024
    /// Largest answer the client reads, after decompression.
    public static let maxResponseBytes = 64 * 1024 * 1024
}

/// A version as it travels: the clock's site is the id's site, so only
/// milliseconds and counter are sent.
public struct WireVersion: Codable, Hashable, Sendable {
    public var version: Version

    public init(_ version: Version) { self.version = version }

    enum CodingKeys: String, CodingKey {
        case id, record, form, formVersion = "form_version", field, value, ms, counter, parents, author
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let id = try c.decode(VersionID.self, forKey: .id)
        version = Version(
            id: id, record: try c.decode(String.self, forKey: .record), form: try c.decode(String.self, forKey: .form),
            formVersion: try c.decode(String.self, forKey: .formVersion), field: try c.decode(String.self, forKey: .field),
            value: try c.decode(String?.self, forKey: .value),  // present, maybe null (docs/openapi.yaml)
            clock: HLC(ms: try c.decode(Int64.self, forKey: .ms), counter: try c.decode(Int32.self, forKey: .counter), site: id.site),
            parents: try c.decode([VersionID].self, forKey: .parents), author: try c.decode(String.self, forKey: .author))
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(version.id, forKey: .id)
        try c.encode(version.record, forKey: .record)
        try c.encode(version.form, forKey: .form)
        try c.encode(version.formVersion, forKey: .formVersion)
        try c.encode(version.field, forKey: .field)
        try c.encode(version.value, forKey: .value)
        try c.encode(version.clock.ms, forKey: .ms)
        try c.encode(version.clock.counter, forKey: .counter)
        try c.encode(version.parents, forKey: .parents)
        try c.encode(version.author, forKey: .author)
    }
}

public struct LoginRequest: Codable, Sendable {
    public var user: String
    public var password: String
    public var deviceName: String
    public var siteID: SiteID
    /// The device's Ed25519 public key (hex): the site id is derived from it.
    public var publicKey: String
    /// The key's signature of `SiteIdentity.loginMessage(user:site:)`: proves
    /// the device holds the key of the site it claims.
    public var proof: String
    /// The device's X25519 key (hex) that bundles for it are encrypted to.
    public var hpkeKey: String
    /// The identity this store used before it found it was a copy: its
    /// versions may still be sent from here when that site is unbound or
    /// bound to the same user.
    public var previousSiteID: SiteID?
    public var previousPublicKey: String?
    public var previousProof: String?
    public var previousHpkeKey: String?
    public init(user: String, password: String, deviceName: String, identity: SiteIdentity, previous: SiteIdentity? = nil) {
        self.user = user; self.password = password; self.deviceName = deviceName
        self.siteID = identity.site; self.publicKey = identity.publicKey; self.proof = identity.loginProof(user: user)
        self.hpkeKey = identity.hpkeKey
        self.previousSiteID = previous?.site; self.previousPublicKey = previous?.publicKey
        self.previousProof = previous?.loginProof(user: user); self.previousHpkeKey = previous?.hpkeKey
    }
    enum CodingKeys: String, CodingKey {
        case user, password, deviceName = "device_name", siteID = "site_id", publicKey = "public_key", proof, hpkeKey = "hpke_key"
        case previousSiteID = "previous_site_id", previousPublicKey = "previous_public_key", previousProof = "previous_proof"
        case previousHpkeKey = "previous_hpke_key"
    }
}

/// A device that found its store was copied takes a new identity: it asks,
/// with its current token, for a token of the new site. The server keeps
/// the old site as the new one's predecessor, so versions written under it
/// before the copy can still be sent from here.
public struct IdentityRequest: Codable, Sendable {
    public var deviceName: String
    public var siteID: SiteID
    public var publicKey: String
    /// The new key's signature of `SiteIdentity.loginMessage(user:site:)`
    /// for the token's user.
    public var proof: String
    public var hpkeKey: String
    public init(deviceName: String, identity: SiteIdentity, user: String) {
        self.deviceName = deviceName; self.siteID = identity.site; self.publicKey = identity.publicKey
        self.proof = identity.loginProof(user: user); self.hpkeKey = identity.hpkeKey
    }
    enum CodingKeys: String, CodingKey {
        case deviceName = "device_name", siteID = "site_id", publicKey = "public_key", proof, hpkeKey = "hpke_key"
    }
}

public struct LoginResponse: Codable, Sendable {
    public var token: String
    public var user: String
    public var role: String
    /// The server's Ed25519 public key (hex): the device keeps it and
    /// accepts only receipts it signed.
    public var serverKey: String
    public var serverTime: Int64
    public init(token: String, user: String, role: String, serverKey: String, serverTime: Int64) {
        self.token = token; self.user = user; self.role = role; self.serverKey = serverKey; self.serverTime = serverTime
    }
    enum CodingKeys: String, CodingKey { case token, user, role, serverKey = "server_key", serverTime = "server_time" }
}

public struct PushRequest: Codable, Sendable {
    public var changesets: [Changeset]
    public init(changesets: [Changeset]) { self.changesets = changesets }
}

/// A changeset (or version) the server refused, named by its first version id.
///
/// `reason` is the English sentence; `message` the same refusal as a code
/// and parameters (protocol 2, optional), so the device words it in its
/// own language. A code the device does not know leaves it the sentence.
public struct Rejection: Codable, Hashable, Sendable {
    public var id: VersionID
    public var reason: String
    public var message: Message?

    public init(id: VersionID, reason: String) { self.id = id; self.reason = reason }
    public init(id: VersionID, _ message: Message) { self.id = id; self.reason = message.description; self.message = message }

    enum CodingKeys: String, CodingKey { case id, reason, message }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(VersionID.self, forKey: .id)
        reason = try c.decode(String.self, forKey: .reason)
        message = try? c.decodeIfPresent(Message.self, forKey: .message)
    }

    /// What to show a person: the message if there is one, else the sentence.
    public var worded: Message { message ?? .verbatim(reason) }
}

public struct PushResponse: Codable, Sendable {
    /// Changesets new to the server, now committed, by their first version id.
    public var accepted: [VersionID]
    /// Changesets the server already held: a retried push, or one that also
    /// arrived by another path.
    public var duplicates: [VersionID]
    public var rejected: [Rejection]
    /// The server's signed word for what it now holds, one per site sent.
    public var receipts: [Receipt]
    public var serverTime: Int64
    public init(accepted: [VersionID], duplicates: [VersionID], rejected: [Rejection], receipts: [Receipt], serverTime: Int64) {
        self.accepted = accepted; self.duplicates = duplicates; self.rejected = rejected; self.receipts = receipts
        self.serverTime = serverTime
    }
    enum CodingKeys: String, CodingKey { case accepted, duplicates, rejected, receipts, serverTime = "server_time" }
}

/// Who a device's bundles are encrypted to (`GET /v1/recipients`).
public struct RecipientList: Codable, Sendable, Hashable {
    /// The server's X25519 key: it can read every bundle.
    public var serverKey: String
    public var devices: [RecipientInfo]
    public var serverTime: Int64
    public init(serverKey: String, devices: [RecipientInfo], serverTime: Int64) {
        self.serverKey = serverKey; self.devices = devices; self.serverTime = serverTime
    }
    enum CodingKeys: String, CodingKey { case serverKey = "server_key", devices, serverTime = "server_time" }
}

public struct RecipientInfo: Codable, Sendable, Hashable {
    public var site: SiteID
    public var user: String
    public var role: String
    public var name: String
    public var hpkeKey: String
    public init(site: SiteID, user: String, role: String, name: String, hpkeKey: String) {
        self.site = site; self.user = user; self.role = role; self.name = name; self.hpkeKey = hpkeKey
    }
    enum CodingKeys: String, CodingKey { case site, user, role, name, hpkeKey = "hpke_key" }
}

public struct PullRequest: Codable, Sendable {
    /// The last server sequence the client holds (0 at first).
    public var cursor: Int64
    public var limit: Int
    public var maxBytes: Int
    public init(cursor: Int64, limit: Int = 1000, maxBytes: Int = 1 << 20) {
        self.cursor = cursor; self.limit = limit; self.maxBytes = maxBytes
    }
    enum CodingKeys: String, CodingKey { case cursor, limit, maxBytes = "max_bytes" }
}

public struct SequencedVersion: Codable, Hashable, Sendable {
    public var seq: Int64
    public var version: WireVersion
    public init(seq: Int64, version: Version) { self.seq = seq; self.version = WireVersion(version) }
}

public struct PullResponse: Codable, Sendable {
    public var versions: [SequencedVersion]
    /// Send this as the cursor of the next pull.
    public var nextCursor: Int64
    public var more: Bool
    public var serverTime: Int64
    /// The signed changesets the versions belong to (a changeset may reach
    /// past the page), so the device can carry them on to others.
    public var changesets: [ChangesetHead]?
    /// The public key of every site that wrote one of them, hex.
    public var keys: [String: String]?
    public init(versions: [SequencedVersion], nextCursor: Int64, more: Bool, serverTime: Int64,
                changesets: [ChangesetHead]? = nil, keys: [String: String]? = nil) {
        self.versions = versions; self.nextCursor = nextCursor; self.more = more; self.serverTime = serverTime
        self.changesets = changesets; self.keys = keys
    }
    enum CodingKeys: String, CodingKey { case versions, nextCursor = "next_cursor", more, serverTime = "server_time", changesets, keys }
}

/// A changeset without its versions: which versions it signs, and the signature.
public struct ChangesetHead: Codable, Hashable, Sendable {
    public var site: SiteID
    public var seq: Int64
    public var count: Int64
    public var signature: String
    public init(site: SiteID, seq: Int64, count: Int64, signature: String) {
        self.site = site; self.seq = seq; self.count = count; self.signature = signature
    }
    public var lastSeq: Int64 { seq + count - 1 }
}

public struct FormInfo: Codable, Hashable, Sendable {
    public var formID: String
    public var version: String
    public var title: String
    /// SHA-256 of the canonical definition: a changed hash means download again.
    public var sha256: String
    public init(formID: String, version: String, title: String, sha256: String) {
        self.formID = formID; self.version = version; self.title = title; self.sha256 = sha256
    }
    enum CodingKeys: String, CodingKey { case formID = "form_id", version, title, sha256 }
}

public struct FormList: Codable, Sendable {
    public var forms: [FormInfo]
    public var serverTime: Int64
    public init(forms: [FormInfo], serverTime: Int64) { self.forms = forms; self.serverTime = serverTime }
    enum CodingKeys: String, CodingKey { case forms, serverTime = "server_time" }
}

public struct HealthResponse: Codable, Sendable {
    public var status: String
    public var `protocol`: Int
    public var serverTime: Int64
    public init(status: String, protocol: Int, serverTime: Int64) {
        self.status = status; self.protocol = `protocol`; self.serverTime = serverTime
    }
    enum CodingKeys: String, CodingKey { case status, `protocol`, serverTime = "server_time" }
}

/// Every error response: a stable code and a sentence for people.
public struct ErrorBody: Codable, Sendable, Hashable {
    public var error: String
    public var message: String
    /// For `site_reused`: the version ids the server holds with other content.
    public var ids: [VersionID]?
    /// For `media_offset`: the bytes of the file the server holds.
    public var received: Int?
    public init(error: String, message: String, ids: [VersionID]? = nil, received: Int? = nil) {
        self.error = error; self.message = message; self.ids = ids; self.received = received
    }
}

/// Stable error codes the client acts on.
public enum ErrorCode {
    /// Login claimed a site bound to another user's device (409).
    public static let siteTaken = "site_taken"
    /// A push held version ids the server already holds with other content:
    /// this store is a copy of another device's (409, nothing stored).
    public static let siteReused = "site_reused"
    /// Too many failed logins for this user from this address (429).
    public static let tooManyAttempts = "too_many_attempts"
}

/// A hub's answer to `POST /v1/hub/exchange` (the body is a sealed bundle of
/// the device's work): what the hub stored, and a sealed bundle back for
/// that device (the server receipts the hub holds for it).
public struct HubAnswer: Codable, Sendable, Hashable {
    public var stored: Int
    public var already: Int
    public var refused: [String]
    /// The sealed bundle for the device, base64.
    public var reply: String
    public var hubUser: String
    public var hubSite: SiteID
    public init(stored: Int, already: Int, refused: [String], reply: String, hubUser: String, hubSite: SiteID) {
        self.stored = stored; self.already = already; self.refused = refused; self.reply = reply
        self.hubUser = hubUser; self.hubSite = hubSite
    }
    enum CodingKeys: String, CodingKey { case stored, already, refused, reply, hubUser = "hub_user", hubSite = "hub_site" }
}

/// What `GET /v1/media/{sha256}` and `PUT` answer.
public struct MediaStatus: Codable, Sendable, Hashable {
    public var sha256: String
    public var size: Int
    public var received: Int
    public var complete: Bool
    public var serverTime: Int64

    enum CodingKeys: String, CodingKey { case sha256, size, received, complete, serverTime = "server_time" }

    public init(sha256: String, size: Int, received: Int, complete: Bool, serverTime: Int64) {
        self.sha256 = sha256; self.size = size; self.received = received; self.complete = complete; self.serverTime = serverTime
    }
}
