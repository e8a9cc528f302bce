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
        var formID: String?, formVersion: String?, title: String?, definition: String?, sha256: String?, publishedAt: Int64?
        var owner: String?
        var seq: Int64?, pushedBy: String?, receivedAt: Int64?, wire: WireVersion?
        var count: Int?

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
        for u in try await storage.users() {
            var l = Line(kind: "user"); l.name = u.name; l.role = u.role.rawValue; l.passwordHash = u.passwordHash
            l.disabled = u.disabled; l.createdAt = u.createdAt
            try write(l)
        }
        for d in try await storage.devices() {
            var l = Line(kind: "device"); l.id = d.id; l.user = d.user; l.name = d.name; l.site = d.site.rawValue; l.tokenHash = d.tokenHash
            l.createdAt = d.createdAt; l.expiresAt = d.expiresAt; l.lastSeenAt = d.lastSeenAt; l.revoked = d.revoked
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
        var end = Line(kind: "end"); end.count = count
        try write(end)
        try out.synchronize()
        return count
    }

    /// Loads an export into an empty storage.
    /// - Returns: how many versions were imported.
    /// - Throws: `ServerSetupError` when the target holds data, or the file is
    ///   not a whole export (the count at its end is checked).
    public static func importFile(_ path: String, into storage: any ServerStorage) async throws -> Int {
        guard try await storage.isEmpty() else {
            throw ServerSetupError("the target already holds users or versions: import into a new, empty database")
        }
        guard let data = FileManager.default.contents(atPath: path) else { throw ServerSetupError("cannot read \(path)") }
        let decoder = JSONDecoder()
        var lines = data.split(separator: UInt8(ascii: "\n")).makeIterator()
        guard let first = lines.next(), let header = try? decoder.decode(Line.self, from: Data(first)),
              header.kind == "header", header.format == format, header.version == 1
        else { throw ServerSetupError("\(path) is not a recolha-server export") }
        var records: [RecordOwner] = [], batch: [StoredVersion] = [], count = 0, ended: Int?
        var n = 1
        while let raw = lines.next() {
            n += 1
            guard let l = try? decoder.decode(Line.self, from: Data(raw)) else { throw ServerSetupError("\(path) line \(n) is not readable: the export is damaged") }
            switch l.kind {
            case "user":
                try await storage.createUser(UserRecord(name: l.name ?? "", role: Role(rawValue: l.role ?? "") ?? .enumerator,
                                                        passwordHash: l.passwordHash ?? "", disabled: l.disabled ?? false, createdAt: l.createdAt ?? 0))
            case "device":
                guard let site = SiteID(l.site ?? "") else { throw ServerSetupError("\(path) line \(n): bad site id") }
                try await storage.addDevice(DeviceRecord(id: l.id ?? "", user: l.user ?? "", name: l.name ?? "", site: site,
                                                         tokenHash: l.tokenHash ?? "", createdAt: l.createdAt ?? 0, expiresAt: l.expiresAt ?? 0,
                                                         lastSeenAt: l.lastSeenAt, revoked: l.revoked ?? false))
            case "form":
                _ = try await storage.publish(PublishedForm(formID: l.formID ?? "", version: l.formVersion ?? "", title: l.title ?? "",
                                                            definition: l.definition ?? "", sha256: l.sha256 ?? "", publishedAt: l.publishedAt ?? 0))
            case "record":
                records.append(RecordOwner(id: l.id ?? "", owner: l.owner ?? "", formID: l.formID ?? "", createdAt: l.createdAt ?? 0))
            case "version":
                if !records.isEmpty { try await storage.importRecords(records); records = [] }
                guard let wire = l.wire, let seq = l.seq else { throw ServerSetupError("\(path) line \(n): a version without its sequence") }
                batch.append(StoredVersion(seq: seq, version: wire.version, pushedBy: l.pushedBy ?? "", receivedAt: l.receivedAt ?? 0))
                if batch.count == 2000 { try await storage.importVersions(batch); count += batch.count; batch = [] }
            case "end":
                ended = l.count
            default:
                throw ServerSetupError("\(path) line \(n): unknown kind \(l.kind)")
            }
        }
        if !records.isEmpty { try await storage.importRecords(records) }
        if !batch.isEmpty { try await storage.importVersions(batch); count += batch.count }
        guard ended == count else {
            throw ServerSetupError("\(path) ends early (\(count) versions read, \(ended.map(String.init) ?? "no end line")): export again")
        }
        return count
    }
}
