import Words
import Crypto
import Foundation
import Sync

/// A whole deployment as JSON Lines, to move it between engines (a district
/// server on SQLite to PostgreSQL) without losing a version: users (with
/// password hashes), devices (with token hashes, so tokens keep working),
/// forms, record owners and every version with its server sequence (so
/// devices' cursors stay true).
public enum Deployment {
    static let format = "recolha-export"

    struct Line: Codable {
        var kind: String
        var format: String?
        var version: Int?
        var name: String?, role: String?, passwordHash: String?, disabled: Bool?, createdAt: Int64?
        var id: String?, user: String?, site: String?, tokenHash: String?, expiresAt: Int64?, lastSeenAt: Int64?, revoked: Bool?
        var previousSite: String?, publicKey: String?, previousPublicKey: String?, hpkeKey: String?
        var formID: String?, formVersion: String?, title: String?, definition: String?, sha256: String?, publishedAt: Int64?
        var owner: String?
        var seq: Int64?, pushedBy: String?, receivedAt: Int64?, wire: WireVersion?
        var serverKey: String?, changeset: StoredChangeset?
        var count: Int?
        /// A whole media file (`media`: its hash, size and name), then its
        /// bytes in pieces (`media_piece`: its hash, offset and bytes).
        var size: Int?, offset: Int?, bytes: Data?

        init(kind: String) { self.kind = kind }
    }

    /// Writes every part of the deployment to `path` (owner-only: it holds
    /// password and token hashes).
    /// - Returns: how many versions were written.
    public static func export(_ storage: any ServerStorage, to path: String) async throws -> Int {
        let fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0o600)
        guard fd >= 0 else { throw ServerSetupError("cannot write \(path): \(String(cString: strerror(errno)))") }
        let out = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        func write(_ line: Line) throws { out.write(try encoder.encode(line) + Data("\n".utf8)) }
        var header = Line(kind: "header"); header.format = format; header.version = 1
        try write(header)
        // The server's key goes with the data: devices trust receipts it signs.
        var key = Line(kind: "server_key"); key.serverKey = try await storage.serverSecret()
        try write(key)
        for u in try await storage.users() {
            var l = Line(kind: "user"); l.name = u.name; l.role = u.role.rawValue; l.passwordHash = u.passwordHash
            l.disabled = u.disabled; l.createdAt = u.createdAt
            try write(l)
        }
        for d in try await storage.devices() {
            var l = Line(kind: "device"); l.id = d.id; l.user = d.user; l.name = d.name; l.site = d.site.rawValue; l.tokenHash = d.tokenHash
            l.createdAt = d.createdAt; l.expiresAt = d.expiresAt; l.lastSeenAt = d.lastSeenAt; l.revoked = d.revoked
            l.previousSite = d.previousSite?.rawValue; l.publicKey = d.publicKey; l.previousPublicKey = d.previousPublicKey
            l.hpkeKey = d.hpkeKey
            try write(l)
        }
        for f in try await storage.forms() {
            var l = Line(kind: "form"); l.formID = f.formID; l.formVersion = f.version; l.title = f.title; l.definition = f.definition
            l.sha256 = f.sha256; l.publishedAt = f.publishedAt
            try write(l)
        }
        for r in try await storage.recordOwners() {
            var l = Line(kind: "record"); l.id = r.id; l.owner = r.owner; l.formID = r.formID; l.createdAt = r.createdAt
            try write(l)
        }
        var after: Int64 = 0, count = 0
        while true {
            let batch = try await storage.exportVersions(after: after, limit: 5000)
            if batch.isEmpty { break }
            for s in batch {
                var l = Line(kind: "version"); l.seq = s.seq; l.pushedBy = s.pushedBy; l.receivedAt = s.receivedAt; l.wire = WireVersion(s.version)
                try write(l)
            }
            count += batch.count
            after = batch.last!.seq
        }
        var last: VersionID?
        while true {
            let batch = try await storage.exportChangesets(after: last, limit: 5000)
            if batch.isEmpty { break }
            for c in batch {
                var l = Line(kind: "changeset"); l.changeset = c
                try write(l)
            }
            last = batch.last.map { VersionID(site: $0.site, seq: $0.seq) }
        }
        // The photos and files records name, whole ones only (the rest a
        // device still sends), in 1 MiB pieces, after the versions naming them.
        var lastFile = ""
        while true {
            let batch = try await storage.completeMedia(after: lastFile, limit: 500)
            if batch.isEmpty { break }
            for sha in batch {
                guard let m = try await storage.media(sha) else { continue }
                var l = Line(kind: "media"); l.sha256 = sha; l.size = m.size; l.name = m.name
                try write(l)
                var offset = 0
                while offset < m.size {
                    let piece = try await storage.mediaBytes(sha, from: offset, count: 1 << 20)
                    guard !piece.isEmpty else { throw ServerSetupError("the file \(sha.prefix(12)) ends before its size: its pieces are damaged") }
                    var p = Line(kind: "media_piece"); p.sha256 = sha; p.offset = offset; p.bytes = piece
                    try write(p)
                    offset += piece.count
                }
            }
            lastFile = batch.last!
        }
        var end = Line(kind: "end"); end.count = count
        try write(end)
        try out.synchronize()
        return count
    }

    /// Loads an export into an empty storage, all or nothing: the file is
    /// read twice, streaming (memory stays flat): once to check every line
    /// and the count at its end, once to write. A failure while writing (or
    /// a killed import) leaves the target marked; the next import wipes it
    /// and starts again, and `serve` refuses it meanwhile.
    /// - Returns: how many versions were imported.
    /// - Throws: `ServerSetupError` when the target holds data, or the file is
    ///   not a whole export.
    public static func importFile(_ path: String, into storage: any ServerStorage) async throws -> Int {
        if try await storage.isImporting() {
            try await storage.wipe()  // an earlier import did not finish
        } else if try await !storage.isEmpty() {
            throw ServerSetupError("the target already holds users or versions: import into a new, empty database")
        }
        let expected = try await read(path, into: nil)
        try await storage.setImporting(true)
        do {
            let count = try await read(path, into: storage)
            guard count == expected else { throw ServerSetupError("\(path) changed while it was imported: import again") }
            try await storage.setImporting(false)
            return count
        } catch {
            try? await storage.wipe()
            try? await storage.setImporting(false)
            throw ServerSetupError("the import stopped (\(error)); the target was emptied again: fix the cause and run the import again")
        }
    }

    /// Reads an export line by line; writes into `storage` when given, else
    /// only checks. Returns the number of versions.
    static func read(_ path: String, into storage: (any ServerStorage)?) async throws -> Int {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw ServerSetupError("cannot read \(path)") }
        defer { try? handle.close() }
        let decoder = JSONDecoder()
        var records: [RecordOwner] = [], batch: [StoredVersion] = [], changesets: [StoredChangeset] = [], count = 0, ended: Int?
        var n = 0
        // The media file being read: its hash, size, the bytes so far and their running hash.
        var file: (sha256: String, size: Int, received: Int, hasher: SHA256)?
        func endFile() throws {
            guard let f = file else { return }
            let digest = f.hasher.finalize().map { String(format: "%02x", $0) }.joined()
            guard f.received == f.size, digest == f.sha256 else {
                throw ServerSetupError("\(path) line \(n): the file \(f.sha256.prefix(12)) does not match its hash or size: the export is damaged")
            }
            file = nil
        }
        var pending = Data()
        var atEOF = false
        func nextLine() throws -> Data? {
            while true {
                if let nl = pending.firstIndex(of: UInt8(ascii: "\n")) {
                    let line = pending[pending.startIndex..<nl]
                    pending = Data(pending[(nl + 1)...])
                    return Data(line)
                }
                if atEOF { if pending.isEmpty { return nil }; defer { pending = Data() }; return pending }
                let chunk = try handle.read(upToCount: 1 << 20) ?? Data()
                if chunk.isEmpty { atEOF = true } else { pending.append(chunk) }
                guard pending.count <= 64 << 20 else { throw ServerSetupError("\(path) has a line longer than 64 MiB: the export is damaged") }
            }
        }
        while let raw = try nextLine() {
            n += 1
            if raw.isEmpty { continue }
            guard let l = try? decoder.decode(Line.self, from: raw) else {
                throw ServerSetupError(n == 1 ? "\(path) is not a recolha-server export" : "\(path) line \(n) is not readable: the export is damaged")
            }
            if n == 1 {
                guard l.kind == "header", l.format == format, l.version == 1 else { throw ServerSetupError("\(path) is not a recolha-server export") }
                continue
            }
            guard ended == nil else { throw ServerSetupError("\(path) line \(n): text after the end line: the export is damaged") }
            switch l.kind {
            case "user":
                guard let role = Role(rawValue: l.role ?? ""), let name = l.name, !name.isEmpty else { throw ServerSetupError("\(path) line \(n): a user without a name or role") }
                try await storage?.createUser(UserRecord(name: name, role: role, passwordHash: l.passwordHash ?? "", disabled: l.disabled ?? false,
                                                         createdAt: l.createdAt ?? 0))
            case "device":
                guard let site = SiteID(l.site ?? "") else { throw ServerSetupError("\(path) line \(n): bad site id") }
                try await storage?.addDevice(DeviceRecord(id: l.id ?? "", user: l.user ?? "", name: l.name ?? "", site: site,
                                                          tokenHash: l.tokenHash ?? "", createdAt: l.createdAt ?? 0, expiresAt: l.expiresAt ?? 0,
                                                          lastSeenAt: l.lastSeenAt, revoked: l.revoked ?? false,
                                                          publicKey: l.publicKey ?? "", previousSite: l.previousSite.flatMap(SiteID.init),
                                                          previousPublicKey: l.previousPublicKey, hpkeKey: l.hpkeKey ?? ""))
            case "form":
                _ = try await storage?.publish(PublishedForm(formID: l.formID ?? "", version: l.formVersion ?? "", title: l.title ?? "",
                                                             definition: l.definition ?? "", sha256: l.sha256 ?? "", publishedAt: l.publishedAt ?? 0))
            case "record":
                records.append(RecordOwner(id: l.id ?? "", owner: l.owner ?? "", formID: l.formID ?? "", createdAt: l.createdAt ?? 0))
                if records.count == 2000 { try await storage?.importRecords(records); records = [] }
            case "version":
                if !records.isEmpty { try await storage?.importRecords(records); records = [] }
                guard let wire = l.wire, let seq = l.seq else { throw ServerSetupError("\(path) line \(n): a version without its sequence") }
                batch.append(StoredVersion(seq: seq, version: wire.version, pushedBy: l.pushedBy ?? "", receivedAt: l.receivedAt ?? 0))
                if batch.count == 2000 { try await storage?.importVersions(batch); count += batch.count; batch = [] }
            case "server_key":
                guard let secret = l.serverKey, SiteIdentity(secret: secret) != nil else {
                    throw ServerSetupError("\(path) line \(n): the server key is malformed: the export is damaged")
                }
                try await storage?.setServerSecret(secret)
            case "changeset":
                if !records.isEmpty { try await storage?.importRecords(records); records = [] }
                if !batch.isEmpty { try await storage?.importVersions(batch); count += batch.count; batch = [] }
                guard let c = l.changeset else { throw ServerSetupError("\(path) line \(n): a changeset line without its changeset") }
                changesets.append(c)
                if changesets.count == 2000 { try await storage?.importChangesets(changesets); changesets = [] }
            case "media":
                try endFile()
                if !records.isEmpty { try await storage?.importRecords(records); records = [] }
                if !batch.isEmpty { try await storage?.importVersions(batch); count += batch.count; batch = [] }
                guard let sha = l.sha256, sha.count == 64, let size = l.size, size >= 0 else {
                    throw ServerSetupError("\(path) line \(n): a file without its hash or size: the export is damaged")
                }
                file = (sha, size, 0, SHA256())
                if size == 0 { try await storage?.finishMedia(sha, verified: true) }
            case "media_piece":
                guard var f = file, l.sha256 == f.sha256, l.offset == f.received, let bytes = l.bytes, f.received + bytes.count <= f.size else {
                    throw ServerSetupError("\(path) line \(n): a piece out of its file's order: the export is damaged")
                }
                f.hasher.update(data: bytes)
                f.received += bytes.count
                file = f
                _ = try await storage?.appendMedia(f.sha256, offset: l.offset ?? 0, bytes: bytes)
                if f.received == f.size { try await storage?.finishMedia(f.sha256, verified: true) }
            case "end":
                try endFile()
                ended = l.count
            default:
                throw ServerSetupError("\(path) line \(n): unknown kind \(l.kind)")
            }
        }
        if n == 0 { throw ServerSetupError("\(path) is empty: not a recolha-server export") }
        if !records.isEmpty { try await storage?.importRecords(records) }
        if !batch.isEmpty { try await storage?.importVersions(batch) }
        count += batch.count
        if !changesets.isEmpty { try await storage?.importChangesets(changesets) }
        guard ended == count else {
            throw ServerSetupError("\(path) ends early (\(count) versions read, \(ended.map(String.init) ?? "no end line")): export again")
        }
        return count
    }
}
