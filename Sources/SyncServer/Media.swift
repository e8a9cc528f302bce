import Crypto
import Forms
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Sync

/// A media file as the server holds it: named by the records' answers
/// (hash, size, first name seen), the bytes received so far, and whether
/// it is whole and verified.
public struct ServerMedia: Sendable, Hashable, Codable {
    public var sha256: String
    public var size: Int
    public var name: String
    public var received: Int
    public var complete: Bool
    /// The users owning the records that name it (who may send and fetch it).
    public var owners: [String]

    public init(sha256: String, size: Int, name: String, received: Int, complete: Bool, owners: [String]) {
        self.sha256 = sha256; self.size = size; self.name = name; self.received = received; self.complete = complete; self.owners = owners
    }
}

/// The files a batch of versions names, with their records.
enum MediaRefs {
    static func of(_ versions: [Version]) -> [(file: FileAnswer, record: String)] {
        versions.compactMap { v in
            FileAnswer(stored: v.value).map { ($0, v.record) }
        }
    }
}

extension SyncService {
    /// The media file `sha256` as this user may see it.
    /// - Throws: 404 `media_unknown` when no record this user may read names it.
    func visibleMedia(_ sha256: String, user: UserRecord) async throws -> ServerMedia {
        guard FileAnswer.isHash(sha256), let m = try await storage.media(sha256), user.role != .enumerator || m.owners.contains(user.name) else {
            throw ServerError(.notFound, "media_unknown", "no record you may read names a file with this hash: sync the record first, then its files")
        }
        return m
    }

    func status(_ m: ServerMedia) -> MediaStatus {
        MediaStatus(sha256: m.sha256, size: m.size, received: m.received, complete: m.complete, serverTime: now())
    }

    /// Takes the next piece of a file (resumable: `offset` must be what the
    /// server holds), and verifies the whole file against its hash once
    /// the last byte arrives.
    public func uploadMedia(_ sha256: String, offset: Int, bytes: Data, user: UserRecord) async throws -> MediaStatus {
        let m = try await visibleMedia(sha256, user: user)
        if m.complete { return status(m) }
        guard m.size <= maxMediaBytes else {
            throw ServerError(.contentTooLarge, "media_too_large",
                              "\(m.name) is \(m.size) bytes, over this server's limit of \(maxMediaBytes): the record is kept without it")
        }
        guard offset + bytes.count <= m.size else {
            throw ServerError(.badRequest, "media_too_long", "more bytes than the \(m.size) the answer names: the file is not the one the record names")
        }
        let after = try await storage.appendMedia(sha256, offset: offset, bytes: bytes)
        guard after.received == after.size, !after.complete else { return status(after) }
        var hasher = SHA256()
        var at = 0
        while at < after.size {
            let piece = try await storage.mediaBytes(sha256, from: at, count: 4 << 20)
            if piece.isEmpty { break }
            hasher.update(data: piece)
            at += piece.count
        }
        let verified = Hex.encode(Array(hasher.finalize())) == sha256 && at == after.size
        try await storage.finishMedia(sha256, verified: verified)
        guard verified else {
            throw ServerError(.unprocessableContent, "media_mismatch",
                              "the bytes received are not the file the record names (altered on the way or on the device): nothing of them was kept")
        }
        var done = after
        done.complete = true
        return status(done)
    }

    /// A whole file's bytes from `offset` (a resumed download).
    public func downloadMedia(_ sha256: String, from offset: Int, user: UserRecord) async throws -> (ServerMedia, Data) {
        let m = try await visibleMedia(sha256, user: user)
        guard m.complete else {
            throw ServerError(.notFound, "media_incomplete", "the server does not hold all of this file yet: the device that took it has not sent it")
        }
        guard offset >= 0, offset <= m.size else {
            throw ServerError(.rangeNotSatisfiable, "bad_range", "the file has \(m.size) bytes")
        }
        return (m, try await storage.mediaBytes(sha256, from: offset, count: min(m.size - offset, 4 << 20)))
    }
}

/// `GET /v1/media/{sha256}`, `PUT /v1/media/{sha256}` (a piece, at
/// `Recolha-Media-Offset`) and `GET /v1/media/{sha256}/content`
/// (`Range: bytes=N-`, at most 4 MiB a response).
func addMediaRoutes(_ router: Router<ServerContext>, _ service: SyncService) {
    router.get("v1/media/:sha") { request, context in
        let (_, user) = try await service.authenticate(request.headers[.authorization])
        let m = try await service.visibleMedia(try context.parameters.require("sha"), user: user)
        return try Body.response(service.status(m), for: request)
    }
    router.put("v1/media/:sha") { request, context in
        let (_, user) = try await service.authenticate(request.headers[.authorization])
        guard let text = request.headers[HTTPField.Name(WireProtocol.mediaOffsetHeader)!], let offset = Int(text), offset >= 0 else {
            throw ServerError(.badRequest, "media_offset_missing", "a piece of a file needs \(WireProtocol.mediaOffsetHeader): the byte it starts at")
        }
        let body = try await Body.collect(request)
        let status = try await service.uploadMedia(try context.parameters.require("sha"), offset: offset,
                                                   bytes: Data(body.readableBytesView), user: user)
        return try Body.response(status, for: request)
    }
    router.get("v1/media/:sha/content") { request, context in
        let (_, user) = try await service.authenticate(request.headers[.authorization])
        var from = 0
        if let range = request.headers[.range] {
            guard range.hasPrefix("bytes="), range.hasSuffix("-"), let n = Int(range.dropFirst(6).dropLast()) else {
                throw ServerError(.badRequest, "bad_range", "only a range `bytes=N-` is served")
            }
            from = n
        }
        let (m, bytes) = try await service.downloadMedia(try context.parameters.require("sha"), from: from, user: user)
        var headers = HTTPFields()
        headers[.contentType] = "application/octet-stream"
        if !bytes.isEmpty, request.headers[.range] != nil || bytes.count < m.size {
            headers[.contentRange] = "bytes \(from)-\(from + bytes.count - 1)/\(m.size)"
        }
        return Response(status: request.headers[.range] != nil ? .partialContent : .ok, headers: headers,
                        body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
