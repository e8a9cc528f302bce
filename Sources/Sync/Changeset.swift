import Words
import Foundation

/// The versions one local transaction wrote (a save, a delete, a
/// resolution), under one header and one Ed25519 signature of the site
/// that wrote them: the unit that is stored, carried and verified.
///
/// Its versions are numbered `seq`, `seq + 1`, ... of `site`, all of one
/// record, form version and author; each keeps its own clock and parents.
/// docs/sync-protocol.md ("Changesets") gives the signed bytes.
public struct Changeset: Hashable, Sendable {
    public var site: SiteID
    public var seq: Int64
    public var record: String
    public var form: String
    public var formVersion: String
    public var author: String
    /// Travels as `versions`.
    public var entries: [Entry]
    /// 128 hex digits: the site key's signature of `signedBytes`.
    public var signature: String

    /// One version inside a changeset: what is not in the header.
    public struct Entry: Hashable, Sendable {
        public var field: String
        public var value: String?
        public var ms: Int64
        public var counter: Int32
        public var parents: [VersionID]
        public init(field: String, value: String?, ms: Int64, counter: Int32, parents: [VersionID]) {
            self.field = field; self.value = value; self.ms = ms; self.counter = counter; self.parents = parents
        }
    }

    /// The most versions one changeset may hold (a form's fields, with room).
    public static let maxEntries = 10_000

    /// The id of its first version: names the changeset in messages.
    public var id: VersionID { VersionID(site: site, seq: seq) }
    /// Its last sequence number.
    public var lastSeq: Int64 { seq + Int64(entries.count) - 1 }

    public init(site: SiteID, seq: Int64, record: String, form: String, formVersion: String, author: String,
                entries: [Entry], signature: String) {
        self.site = site; self.seq = seq; self.record = record; self.form = form; self.formVersion = formVersion
        self.author = author; self.entries = entries; self.signature = signature
    }

    /// Groups consecutive versions of one site, record, form version and
    /// author into one unsigned changeset; nil when they are not such a run.
    public init?(versions: [Version]) {
        guard let first = versions.first else { return nil }
        for (i, v) in versions.enumerated() {
            guard v.id.site == first.id.site, v.id.seq == first.id.seq + Int64(i), v.record == first.record,
                  v.form == first.form, v.formVersion == first.formVersion, v.author == first.author else { return nil }
        }
        self.init(site: first.id.site, seq: first.id.seq, record: first.record, form: first.form, formVersion: first.formVersion,
                  author: first.author,
                  entries: versions.map { Entry(field: $0.field, value: $0.value, ms: $0.clock.ms, counter: $0.clock.counter, parents: $0.parents) },
                  signature: "")
    }

    /// Its versions, each with its id and clock.
    public var versions: [Version] {
        entries.enumerated().map { i, e in
            Version(id: VersionID(site: site, seq: seq + Int64(i)), record: record, form: form, formVersion: formVersion,
                    field: e.field, value: e.value, clock: HLC(ms: e.ms, counter: e.counter, site: site),
                    parents: e.parents, author: author)
        }
    }

    /// The bytes the signature covers, a canonical encoding (big-endian
    /// integers; text as a 4-byte length and UTF-8):
    /// `"recolha-changeset-v2"`, site, seq (8), record, form, form version,
    /// author, entry count (4), then per entry: field, a byte 1 and the
    /// value or a byte 0 for none, ms (8), counter (4), parent count (4)
    /// and per parent its site and seq (8).
    public var signedBytes: Data {
        var w = CanonicalWriter()
        w.bytes.reserveCapacity(protobufSizeBound * 2)  // one allocation: every text and number fits
        w.text("recolha-changeset-v2")
        w.text(site.rawValue); w.int64(seq)
        w.text(record); w.text(form); w.text(formVersion); w.text(author)
        w.uint32(UInt32(entries.count))
        for e in entries {
            w.text(e.field)
            if let value = e.value { w.byte(1); w.text(value) } else { w.byte(0) }
            w.int64(e.ms); w.uint32(UInt32(bitPattern: e.counter))
            w.uint32(UInt32(e.parents.count))
            for p in e.parents { w.text(p.site.rawValue); w.int64(p.seq) }
        }
        return w.data
    }

    /// This changeset signed by `identity` (whose site it must be).
    public func signed(by identity: SiteIdentity) -> Changeset {
        precondition(identity.site == site, "a changeset is signed by the key of its own site")
        var c = self
        c.signature = identity.sign(signedBytes)
        return c
    }

    /// Whether the signature is `publicKey`'s, over these very bytes.
    public func verify(publicKey: String) -> Bool {
        SiteIdentity.derive(publicKey: publicKey) == site
            && SiteIdentity.verify(signature: signature, of: signedBytes, publicKey: publicKey)
    }

    /// What is wrong with its shape (before any signature is checked), or nil.
    public var malformation: Message? {
        if entries.isEmpty { return Message(.changesetEmpty, ["changeset": .text(id.description)]) }
        if entries.count > Self.maxEntries { return Message(.changesetTooLong, ["changeset": .text(id.description), "max": .int(Self.maxEntries)]) }
        if seq < 1 || seq > Int64.max - Int64(entries.count) { return Message(.changesetBadSequence, ["changeset": .text(id.description)]) }
        return nil
    }
}

/// Writes the canonical encoding of signed messages.
struct CanonicalWriter {
    /// Bytes, not `Data`: appending to an array costs a fraction of
    /// `Data.append`, which showed in every save's signature.
    var bytes: [UInt8] = []
    var data: Data { Data(bytes) }
    mutating func byte(_ b: UInt8) { bytes.append(b) }
    mutating func uint32(_ v: UInt32) { withUnsafeBytes(of: v.bigEndian) { bytes.append(contentsOf: $0) } }
    mutating func int64(_ v: Int64) { withUnsafeBytes(of: v.bigEndian) { bytes.append(contentsOf: $0) } }
    mutating func text(_ s: String) {
        uint32(UInt32(s.utf8.count))
        if s.utf8.withContiguousStorageIfAvailable({ bytes.append(contentsOf: $0) }) == nil { bytes.append(contentsOf: Array(s.utf8)) }
    }
}

/// The server's signed word that it holds a site's versions: every
/// sequence in `held` (inclusive ranges) of `site`. A device counts its
/// work as safe only on a receipt signed by the server it enrolled with,
/// whoever brought the receipt back.
public struct Receipt: Hashable, Sendable, Codable {
    public var site: SiteID
    public var held: [[Int64]]
    public var serverTime: Int64
    public var signature: String

    public init(site: SiteID, held: [ClosedRange<Int64>], serverTime: Int64, signature: String = "") {
        self.site = site; self.held = held.map { [$0.lowerBound, $0.upperBound] }; self.serverTime = serverTime
        self.signature = signature
    }

    /// The ranges, when each is two numbers in order; nil otherwise.
    public var ranges: [ClosedRange<Int64>]? {
        var out: [ClosedRange<Int64>] = []
        for r in held {
            guard r.count == 2, r[0] >= 1, r[0] <= r[1] else { return nil }
            out.append(r[0]...r[1])
        }
        return out
    }

    /// Merges sequence numbers into as few inclusive ranges as they make.
    public static func ranges(of seqs: [Int64]) -> [ClosedRange<Int64>] {
        var out: [ClosedRange<Int64>] = []
        for s in seqs.sorted() {
            if let last = out.last, s <= last.upperBound + 1 {
                out[out.count - 1] = last.lowerBound...max(last.upperBound, s)
            } else {
                out.append(s...s)
            }
        }
        return out
    }

    /// `"recolha-receipt-v2"`, site, range count (4), each range's first and
    /// last (8 + 8), server time (8): big-endian, text length-prefixed.
    public var signedBytes: Data {
        var w = CanonicalWriter()
        w.text("recolha-receipt-v2")
        w.text(site.rawValue)
        w.uint32(UInt32(held.count))
        for r in held { for n in r { w.int64(n) } }
        w.int64(serverTime)
        return w.data
    }

    public func signed(by server: SiteIdentity) -> Receipt {
        var r = self
        r.signature = server.sign(signedBytes)
        return r
    }

    public func verify(serverKey: String) -> Bool {
        ranges != nil && SiteIdentity.verify(signature: signature, of: signedBytes, publicKey: serverKey)
    }

    enum CodingKeys: String, CodingKey { case site, held, serverTime = "server_time", signature }
}

// The wire form (docs/openapi.yaml, Changeset): the header once, then the
// versions without what the header says.
extension Changeset: Codable {
    enum CodingKeys: String, CodingKey {
        case site, seq, record, form, formVersion = "form_version", author, entries = "versions", signature
    }

    /// Refuses what the schema refuses: a sequence outside 1 to 18 digits,
    /// no versions or too many, a signature that is not 128 hex digits.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let seq = try c.decode(Int64.self, forKey: .seq)
        guard (1...999_999_999_999_999_999).contains(seq) else {
            throw DecodingError.dataCorruptedError(forKey: .seq, in: c, debugDescription: "seq is 1 to 999999999999999999")
        }
        let entries = try c.decode([Entry].self, forKey: .entries)
        guard (1...Self.maxEntries).contains(entries.count) else {
            throw DecodingError.dataCorruptedError(forKey: .entries, in: c, debugDescription: "a changeset holds 1 to \(Self.maxEntries) versions")
        }
        let signature = try c.decode(String.self, forKey: .signature)
        guard Hex.decode(signature, count: 64) != nil else {
            throw DecodingError.dataCorruptedError(forKey: .signature, in: c, debugDescription: "a signature is 128 lowercase hex digits")
        }
        self.init(site: try c.decode(SiteID.self, forKey: .site), seq: seq, record: try c.decode(String.self, forKey: .record),
                  form: try c.decode(String.self, forKey: .form), formVersion: try c.decode(String.self, forKey: .formVersion),
                  author: try c.decode(String.self, forKey: .author), entries: entries, signature: signature)
    }
}

extension Changeset.Entry: Codable {
    enum CodingKeys: String, CodingKey { case field, value, ms, counter, parents }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(field: try c.decode(String.self, forKey: .field),
                  value: try c.decode(String?.self, forKey: .value),  // present, maybe null
                  ms: try c.decode(Int64.self, forKey: .ms), counter: try c.decode(Int32.self, forKey: .counter),
                  parents: try c.decode([VersionID].self, forKey: .parents))
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(field, forKey: .field)
        try c.encode(value, forKey: .value)
        try c.encode(ms, forKey: .ms)
        try c.encode(counter, forKey: .counter)
        try c.encode(parents, forKey: .parents)
    }
}
