import Foundation
import SwiftProtobuf

/// The binary bodies of the push and the pull (proto/recolha_sync.proto):
/// the same messages as their JSON, read with swift-protobuf and then held
/// to the same rules as the JSON decoders hold them (docs/sync-protocol.md,
/// "Binary bodies").
public enum WireEncoding {
    public static let protobuf = "application/x-protobuf"
    public static let json = "application/json"

    /// Whether a `Content-Type` (or the type a response names) is protobuf.
    public static func isProtobuf(_ contentType: String?) -> Bool {
        guard let type = contentType?.split(separator: ";").first else { return false }
        return type.trimmingCharacters(in: .whitespaces).lowercased() == protobuf
    }

    /// Largest binary push the server decodes, after gunzip. Binary is
    /// denser than JSON (whose limit is four times the body limit), so
    /// fewer bytes hold as many versions.
    public static let maxProtobufBytes = WireProtocol.maxBodyBytes
    /// Largest encoded changeset in a binary push: it bounds what decoding
    /// one changeset may hold in memory (about 40 MB for 1 MiB of empty
    /// versions). A bigger changeset travels as JSON.
    public static let maxChangesetBytes = 1 << 20
    /// Most versions in one binary push (a device sends at most 5,000, or
    /// one changeset of up to 10,000).
    public static let maxPushVersions = 50_000

    /// Whether an `Accept` header asks for protobuf.
    public static func accepts(protobuf accept: String?) -> Bool {
        accept?.split(separator: ",").contains { isProtobuf(String($0)) } ?? false
    }
}

/// What is wrong with a binary body: where, never what it held.
public struct WireDecodingError: Error, CustomStringConvertible, Sendable {
    public var description: String
    init(_ description: String) { self.description = description }
}

extension PushRequest {
    /// The binary body of this push, or nil when a changeset is too large
    /// for one (it then travels as JSON).
    public func protobuf() throws -> Data? {
        guard changesets.reduce(0, { $0 + $1.entries.count }) <= WireEncoding.maxPushVersions,
              changesets.allSatisfy({ $0.protobufSizeBound <= WireEncoding.maxChangesetBytes }) else { return nil }
        var message = Recolha_Sync_V2_PushRequest()
        message.changesets = changesets.map { c in
            var m = Recolha_Sync_V2_Changeset()
            m.site = c.site.rawValue; m.seq = c.seq; m.record = c.record; m.form = c.form
            m.formVersion = c.formVersion; m.author = c.author; m.signature = c.signature
            m.versions = c.entries.map(\.protobuf)
            return m
        }
        return try message.serializedData()
    }

    /// Reads a binary push body, refusing what the JSON decoder refuses,
    /// one changeset at a time.
    /// - Throws: `WireDecodingError` naming the place, or swift-protobuf's
    ///   error for bytes that are not the message at all.
    public init(protobuf data: Data) throws {
        let envelope = try Recolha_Sync_V2_PushEnvelope(serializedBytes: data)
        var changesets: [Changeset] = []
        changesets.reserveCapacity(envelope.changesets.count)
        var total = 0
        for (i, bytes) in envelope.changesets.enumerated() {
            let at = "changesets[\(i)]"
            guard bytes.count <= WireEncoding.maxChangesetBytes else {
                throw WireDecodingError("\(at) is larger than \(WireEncoding.maxChangesetBytes >> 20) MiB: send it as JSON")
            }
            let m = try Recolha_Sync_V2_Changeset(serializedBytes: bytes)
            guard let site = SiteID(m.site) else { throw WireDecodingError("\(at).site is not a site id") }
            guard (1...999_999_999_999_999_999).contains(m.seq) else { throw WireDecodingError("\(at).seq is not 1 to 999999999999999999") }
            guard (1...Changeset.maxEntries).contains(m.versions.count) else {
                throw WireDecodingError("\(at).versions holds not 1 to \(Changeset.maxEntries) versions")
            }
            total += m.versions.count
            guard total <= WireEncoding.maxPushVersions else {
                throw WireDecodingError("the push holds more than \(WireEncoding.maxPushVersions) versions: send smaller batches")
            }
            guard Hex.decode(m.signature, count: 64) != nil else { throw WireDecodingError("\(at).signature is not 128 lowercase hex digits") }
            var entries: [Changeset.Entry] = []
            entries.reserveCapacity(m.versions.count)
            for (j, e) in m.versions.enumerated() { entries.append(try Changeset.Entry(e, at: "\(at).versions[\(j)]")) }
            changesets.append(Changeset(site: site, seq: m.seq, record: m.record, form: m.form, formVersion: m.formVersion,
                                        author: m.author, entries: entries, signature: m.signature))
        }
        self.init(changesets: changesets)
    }
}

extension Changeset {
    /// At least its binary encoding's size: every text's bytes, and for
    /// each number and length the most bytes a varint takes.
    var protobufSizeBound: Int {
        var n = 200 + record.utf8.count + form.utf8.count + formVersion.utf8.count + author.utf8.count
        for e in entries { n += 40 + e.field.utf8.count + (e.value?.utf8.count ?? 0) + e.parents.count * 40 }
        return n
    }
}

extension Changeset.Entry {
    var protobuf: Recolha_Sync_V2_Entry {
        var m = Recolha_Sync_V2_Entry()
        m.field = field
        if let value { m.value = value }
        m.ms = ms; m.counter = counter
        if !parents.isEmpty {
            m.parents = parents.map { p in
                var r = Recolha_Sync_V2_VersionRef()
                r.site = p.site.rawValue; r.seq = p.seq
                return r
            }
        }
        return m
    }

    init(_ m: Recolha_Sync_V2_Entry, at: String) throws {
        var parents: [VersionID] = []
        if !m.parents.isEmpty {
            parents.reserveCapacity(m.parents.count)
            for (k, p) in m.parents.enumerated() {
                guard let site = SiteID(p.site), p.seq > 0 else { throw WireDecodingError("\(at).parents[\(k)] is not a version id") }
                parents.append(VersionID(site: site, seq: p.seq))
            }
        }
        self.init(field: m.field, value: m.hasValue ? m.value : nil, ms: m.ms, counter: m.counter, parents: parents)
    }
}

extension PullResponse {
    /// The binary body of this page: versions that follow one another in
    /// the server's order and in one changeset's numbering travel as a run.
    public func protobuf() throws -> Data {
        var message = Recolha_Sync_V2_PullResponse()
        message.nextCursor = nextCursor; message.more = more; message.serverTime = serverTime
        var runs: [Recolha_Sync_V2_VersionRun] = []
        var run = Recolha_Sync_V2_VersionRun(), entries: [Recolha_Sync_V2_Entry] = []
        var last: (seq: Int64, id: VersionID)?
        func flush() {
            guard !entries.isEmpty else { return }
            run.versions = entries
            runs.append(run)
            entries.removeAll(keepingCapacity: true)
        }
        for s in versions {
            let v = s.version.version
            let follows = last.map { s.seq == $0.seq + 1 && v.id.site == $0.id.site && v.id.seq == $0.id.seq + 1 } ?? false
            if !(follows && run.record == v.record && run.form == v.form && run.formVersion == v.formVersion && run.author == v.author) {
                flush()
                run = Recolha_Sync_V2_VersionRun()
                run.serverSeq = s.seq; run.site = v.id.site.rawValue; run.seq = v.id.seq
                run.record = v.record; run.form = v.form; run.formVersion = v.formVersion; run.author = v.author
            }
            entries.append(Changeset.Entry(field: v.field, value: v.value, ms: v.clock.ms, counter: v.clock.counter, parents: v.parents).protobuf)
            last = (s.seq, v.id)
        }
        flush()
        message.runs = runs
        message.changesets = (changesets ?? []).map { h in
            var m = Recolha_Sync_V2_ChangesetHead()
            m.site = h.site.rawValue; m.seq = h.seq; m.count = h.count; m.signature = h.signature
            return m
        }
        message.keys = keys ?? [:]
        return try message.serializedData()
    }

    /// Reads a binary pull page, refusing what the JSON decoder refuses.
    public init(protobuf data: Data) throws {
        let message = try Recolha_Sync_V2_PullResponse(serializedBytes: data)
        var versions: [SequencedVersion] = []
        versions.reserveCapacity(message.runs.reduce(0) { $0 + $1.versions.count })
        for (i, run) in message.runs.enumerated() {
            let at = "runs[\(i)]"
            let count = Int64(run.versions.count)
            guard let site = SiteID(run.site) else { throw WireDecodingError("\(at).site is not a site id") }
            guard run.seq > 0, run.seq <= Int64.max - count, run.serverSeq > 0, run.serverSeq <= Int64.max - count else {
                throw WireDecodingError("\(at) numbers its versions out of range")
            }
            for (j, e) in run.versions.enumerated() {
                let entry = try Changeset.Entry(e, at: "\(at).versions[\(j)]")
                let version = Version(id: VersionID(site: site, seq: run.seq + Int64(j)), record: run.record, form: run.form,
                                      formVersion: run.formVersion, field: entry.field, value: entry.value,
                                      clock: HLC(ms: entry.ms, counter: entry.counter, site: site), parents: entry.parents, author: run.author)
                versions.append(SequencedVersion(seq: run.serverSeq + Int64(j), version: version))
            }
        }
        var heads: [ChangesetHead] = []
        heads.reserveCapacity(message.changesets.count)
        for (i, h) in message.changesets.enumerated() {
            guard let site = SiteID(h.site) else { throw WireDecodingError("changesets[\(i)].site is not a site id") }
            heads.append(ChangesetHead(site: site, seq: h.seq, count: h.count, signature: h.signature))
        }
        self.init(versions: versions, nextCursor: message.nextCursor, more: message.more, serverTime: message.serverTime,
                  changesets: heads.isEmpty ? nil : heads, keys: message.keys.isEmpty ? nil : message.keys)
    }
}
