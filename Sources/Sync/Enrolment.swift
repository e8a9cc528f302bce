import Words
import Foundation

/// A supervisor's word that a device belongs to a user, for a device that
/// has never reached the server: signed by the supervisor's device key,
/// carried to the server with the supervisor's next sync, which then
/// accepts that device's changesets (docs/sync-protocol.md, "Enrolment").
public struct Enrolment: Codable, Sendable, Hashable {
    public var user: String
    public var deviceName: String
    public var site: SiteID
    public var publicKey: String
    public var hpkeKey: String
    /// The device's own login proof for `user`: it holds the key.
    public var proof: String
    /// The enrolling (supervisor's) device's site, whose key signs.
    public var sponsor: SiteID
    public var at: Int64
    public var signature: String

    public init(user: String, deviceName: String, site: SiteID, publicKey: String, hpkeKey: String, proof: String,
                sponsor: SiteID, at: Int64, signature: String = "") {
        self.user = user; self.deviceName = deviceName; self.site = site; self.publicKey = publicKey; self.hpkeKey = hpkeKey
        self.proof = proof; self.sponsor = sponsor; self.at = at; self.signature = signature
    }

    enum CodingKeys: String, CodingKey {
        case user, deviceName = "device_name", site, publicKey = "public_key", hpkeKey = "hpke_key", proof, sponsor, at, signature
    }

    /// Refuses what the schema refuses: keys that are not 64 hex digits,
    /// proofs and signatures that are not 128.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        func hex(_ key: CodingKeys, _ bytes: Int) throws -> String {
            let text = try c.decode(String.self, forKey: key)
            guard Hex.decode(text, count: bytes) != nil else {
                throw DecodingError.dataCorruptedError(forKey: key, in: c, debugDescription: "\(bytes * 2) lowercase hex digits")
            }
            return text
        }
        self.init(user: try c.decode(String.self, forKey: .user), deviceName: try c.decode(String.self, forKey: .deviceName),
                  site: try c.decode(SiteID.self, forKey: .site), publicKey: try hex(.publicKey, 32), hpkeKey: try hex(.hpkeKey, 32),
                  proof: try hex(.proof, 64), sponsor: try c.decode(SiteID.self, forKey: .sponsor), at: try c.decode(Int64.self, forKey: .at),
                  signature: try hex(.signature, 64))
    }

    /// `"recolha-enrolment-v2"`, user, device name, site, public key, bundle
    /// key, proof, sponsor (text each), at (8 bytes).
    public var signedBytes: Data {
        var w = CanonicalWriter()
        for t in ["recolha-enrolment-v2", user, deviceName, site.rawValue, publicKey, hpkeKey, proof, sponsor.rawValue] { w.text(t) }
        w.int64(at)
        return w.data
    }

    public func signed(by sponsor: SiteIdentity) -> Enrolment {
        var e = self
        e.sponsor = sponsor.site
        e.signature = sponsor.sign(signedBytes)
        return e
    }

    /// Why the enrolment cannot be trusted, given the sponsor's key, or nil.
    public func problem(sponsorKey: String) -> Message? {
        guard SiteIdentity.proves(site: site, publicKey: publicKey, proof: proof, user: user, hpkeKey: hpkeKey) else {
            return Message(.enrolmentUnproven, ["site": .text(site.rawValue), "user": .text(user)])
        }
        guard SiteIdentity.verify(signature: signature, of: signedBytes, publicKey: sponsorKey) else {
            return Message(.enrolmentNotSigned, ["site": .text(site.rawValue), "user": .text(user), "sponsor": .text(sponsor.rawValue)])
        }
        return nil
    }
}

/// A device asks a hub to enrol it (`POST /v1/hub/enrol`).
public struct HubEnrolRequest: Codable, Sendable {
    public var user: String
    public var deviceName: String
    public var siteID: SiteID
    public var publicKey: String
    public var hpkeKey: String
    public var proof: String
    /// The one-time code the hub shows.
    public var code: String
    public init(user: String, deviceName: String, identity: SiteIdentity, code: String) {
        self.user = user; self.deviceName = deviceName; self.siteID = identity.site; self.publicKey = identity.publicKey
        self.hpkeKey = identity.hpkeKey; self.proof = identity.loginProof(user: user); self.code = code
    }
    enum CodingKeys: String, CodingKey {
        case user, deviceName = "device_name", siteID = "site_id", publicKey = "public_key", hpkeKey = "hpke_key", proof, code
    }
}

/// What an enrolled device needs to work and to write bundles: the server
/// it belongs to and its key, who reads its bundles, and the forms.
public struct HubEnrolAnswer: Codable, Sendable {
    public var server: String
    public var serverKey: String
    public var recipients: RecipientList
    /// Form definitions (the JSON of schema/forms/).
    public var forms: [String]
    public var hubUser: String
    public init(server: String, serverKey: String, recipients: RecipientList, forms: [String], hubUser: String) {
        self.server = server; self.serverKey = serverKey; self.recipients = recipients; self.forms = forms; self.hubUser = hubUser
    }
    enum CodingKeys: String, CodingKey { case server, serverKey = "server_key", recipients, forms, hubUser = "hub_user" }
}

/// Enrolments a supervisor's device carries to the server (`POST /v1/enrolments`).
public struct EnrolmentPush: Codable, Sendable {
    public var enrolments: [Enrolment]
    public init(enrolments: [Enrolment]) { self.enrolments = enrolments }
}

/// The server's answer for each enrolment: accepted, or refused with the reason.
public struct EnrolmentResult: Codable, Sendable, Hashable {
    public var site: SiteID
    public var accepted: Bool
    public var reason: String?
    public init(site: SiteID, accepted: Bool, reason: String?) { self.site = site; self.accepted = accepted; self.reason = reason }
}

public struct EnrolmentResponse: Codable, Sendable {
    public var results: [EnrolmentResult]
    public var serverTime: Int64
    public init(results: [EnrolmentResult], serverTime: Int64) { self.results = results; self.serverTime = serverTime }
    enum CodingKeys: String, CodingKey { case results, serverTime = "server_time" }
}
