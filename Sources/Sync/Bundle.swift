import Words
import Crypto
import Foundation

/// What a bundle carries from one device to another (or to the server):
/// signed changesets with the keys that verify them, and the server's
/// receipts. docs/sync-protocol.md ("Bundles") describes the file.
public struct BundleContent: Codable, Sendable, Hashable {
    /// The device that wrote the bundle.
    public var from: SiteID
    public var fromUser: String
    public var createdAt: Int64
    /// Ed25519 public keys by site: each changeset's site must derive from
    /// its key, and the changeset must verify with it.
    public var keys: [String: String]
    public var changesets: [Changeset]
    public var receipts: [Receipt]
    /// Form definitions (canonical JSON) the recipient may lack: a bundle
    /// for an enumerator carries the forms its relay holds.
    public var forms: [String]?
    /// Media files the changesets name that the server may lack (photos,
    /// recordings): each kept by the recipient only when its bytes hash to
    /// its name.
    public var media: [BundleMedia]?

    public init(from: SiteID, fromUser: String, createdAt: Int64, keys: [String: String], changesets: [Changeset], receipts: [Receipt],
                forms: [String]? = nil, media: [BundleMedia]? = nil) {
        self.from = from; self.fromUser = fromUser; self.createdAt = createdAt; self.keys = keys
        self.changesets = changesets; self.receipts = receipts; self.forms = forms; self.media = media
    }

    enum CodingKeys: String, CodingKey { case from, fromUser = "from_user", createdAt = "created_at", keys, changesets, receipts, forms, media }

    /// The most media bytes one bundle carries (the rest go in the next one,
    /// or by sync): a hub takes bundles of up to 64 MiB.
    public static let mediaBudget = 32 << 20

    /// Why a changeset of this bundle cannot be trusted, or nil: its shape,
    /// a key that derives its site, and its signature.
    public func problem(with c: Changeset) -> Message? {
        if let m = c.malformation { return m }
        guard let key = keys[c.site.rawValue], SiteIdentity.derive(publicKey: key) == c.site else {
            return Message(.bundleNoKey, ["changeset": .text(c.id.description), "author": .text(c.author), "site": .text(c.site.rawValue)])
        }
        guard c.verify(publicKey: key) else {
            return Message(.bundleAltered, ["changeset": .text(c.id.description), "author": .text(c.author), "site": .text(c.site.rawValue)])
        }
        return nil
    }
}

/// A media file in a bundle: its SHA-256 and its bytes (base64 in JSON).
public struct BundleMedia: Codable, Sendable, Hashable {
    public var sha256: String
    public var data: Data
    public init(sha256: String, data: Data) { self.sha256 = sha256; self.data = data }
}

/// One recipient of a bundle: the content key sealed to its X25519 key
/// with HPKE (RFC 9180: DHKEM X25519, HKDF-SHA256, ChaCha20-Poly1305).
public struct BundleRecipient: Codable, Sendable, Hashable {
    /// The recipient's X25519 public key, hex.
    public var key: String
    /// HPKE's encapsulated key and the sealed content key, base64.
    public var enc: String
    public var sealed: String
}

/// The bundle file: JSON naming its recipients, then the payload sealed
/// with ChaCha20-Poly1305 under a fresh content key that only they can open.
public struct BundleEnvelope: Codable, Sendable {
    public var format: String
    public var version: Int
    public var recipients: [BundleRecipient]
    /// ChaCha20-Poly1305 (nonce, ciphertext, tag) of the payload, base64.
    public var payload: String

    public static let format = "recolha-bundle"
    public static let version = 2
    /// The largest bundle file read.
    public static let maxBytes = 256 << 20
    static let info = Data("recolha-bundle-v2".utf8)

    /// Seals `payload` (the gzip JSON of a `BundleContent`) to every key in
    /// `recipients` (X25519, hex).
    /// - Throws: `BundleError` for a malformed recipient key.
    public static func seal(_ payload: Data, to recipients: [String]) throws(BundleError) -> Data {
        let contentKey = SymmetricKey(size: .bits256)
        let keyBytes = contentKey.withUnsafeBytes { Data($0) }
        var sealedFor: [BundleRecipient] = []
        for hex in Set(recipients).sorted() {
            guard let raw = Hex.decode(hex, count: 32), let key = try? Curve25519.KeyAgreement.PublicKey(rawRepresentation: raw),
                  var sender = try? HPKE.Sender(recipientKey: key, ciphersuite: .Curve25519_SHA256_ChachaPoly, info: info),
                  let sealed = try? sender.seal(keyBytes, authenticating: info)
            else { throw BundleError(Message(.bundleKeyMalformed)) }
            sealedFor.append(BundleRecipient(key: hex, enc: sender.encapsulatedKey.base64EncodedString(), sealed: sealed.base64EncodedString()))
        }
        guard let box = try? ChaChaPoly.seal(payload, using: contentKey, authenticating: info) else {
            throw BundleError(Message(.bundleCannotSeal))
        }
        let envelope = BundleEnvelope(format: format, version: version, recipients: sealedFor, payload: box.combined.base64EncodedString())
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return (try? encoder.encode(envelope)) ?? Data()
    }

    /// Opens a bundle file with the device's key.
    /// - Throws: `BundleError` saying whether the file is not a bundle, is
    ///   for other devices, or was damaged or altered (nothing is read then).
    public static func open(_ file: Data, with identity: SiteIdentity) throws(BundleError) -> Data {
        guard file.count <= maxBytes else { throw BundleError(Message(.bundleTooLarge, ["mib": .int(maxBytes >> 20)])) }
        guard let envelope = try? JSONDecoder().decode(BundleEnvelope.self, from: file), envelope.format == format else {
            throw BundleError(Message(.bundleNotBundle))
        }
        guard envelope.version == version else {
            throw BundleError(Message(.bundleVersion, ["version": .text("\(envelope.version)"), "reads": .text("\(version)")]))
        }
        let mine = identity.hpkeKey
        guard let entry = envelope.recipients.first(where: { $0.key == mine }) else {
            throw BundleError(Message(.bundleNotForThis, ["count": .int(envelope.recipients.count)]))
        }
        guard let enc = Data(base64Encoded: entry.enc), let sealed = Data(base64Encoded: entry.sealed),
              var recipient = try? HPKE.Recipient(privateKey: identity.hpkePrivateKey, ciphersuite: .Curve25519_SHA256_ChachaPoly,
                                                   info: info, encapsulatedKey: enc),
              let keyBytes = try? recipient.open(sealed, authenticating: info), keyBytes.count == 32,
              let combined = Data(base64Encoded: envelope.payload),
              let box = try? ChaChaPoly.SealedBox(combined: combined),
              let payload = try? ChaChaPoly.open(box, using: SymmetricKey(data: keyBytes), authenticating: info)
        else { throw BundleError(Message(.bundleDamaged)) }
        return payload
    }
}

/// A bundle that cannot be written or read, said plainly.
public struct BundleError: Error, CustomStringConvertible, Sendable, Equatable {
    public var message: Message
    public init(_ message: Message) { self.message = message }
    /// In English (logs, tests).
    public var description: String { message.description }
}
