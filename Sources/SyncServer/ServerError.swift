import Words
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Sync

/// Every refusal of the server: an HTTP status, a stable code and a sentence
/// saying what to do. Answers as JSON `{error, message}`, never a trace.
public struct ServerError: Error, HTTPResponseError, Sendable, CustomStringConvertible {
    public var status: HTTPResponse.Status
    public var code: String
    public var message: String
    /// Seconds to wait before retrying (429, 503).
    public var retryAfter: Int?
    /// The version ids a `site_reused` refusal is about.
    public var ids: [VersionID]?
    /// The methods a path takes (405).
    public var allow: [HTTPRequest.Method]?
    /// The bytes of a file the server holds (409 `media_offset`).
    public var received: Int?

    public init(_ status: HTTPResponse.Status, _ code: String, _ message: String, retryAfter: Int? = nil, ids: [VersionID]? = nil,
                allow: [HTTPRequest.Method]? = nil) {
        self.status = status; self.code = code; self.message = message; self.retryAfter = retryAfter; self.ids = ids
        self.allow = allow
    }

    public var description: String { "\(code): \(message)" }

    /// A piece of a file that does not start where the server's copy ends.
    static func mediaOffset(_ received: Int) -> ServerError {
        var e = ServerError(.conflict, "media_offset", "the server holds \(received) bytes of this file: send from there")
        e.received = received
        return e
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        let body = try JSONEncoder().encode(ErrorBody(error: code, message: message, ids: ids, received: received))
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        headers[HTTPField.Name(WireProtocol.serverTimeHeader)!] = String(ServerClock.nowMs())
        headers[HTTPField.Name(WireProtocol.protocolHeader)!] = String(WireProtocol.version)
        if let retryAfter { headers[.retryAfter] = String(retryAfter) }
        if let allow { headers[.allow] = allow.map(\.rawValue).joined(separator: ", ") }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    static let unauthorized = ServerError(.unauthorized, "unauthorized",
        "this request needs a device token: run `recolha login --server URL --user NAME`")
    static func badRequest(_ message: String) -> ServerError { ServerError(.badRequest, "bad_request", message) }
    /// Version ids already held with other content: the pushing store is a
    /// copy of another device's. Nothing of the batch is stored.
    static func siteReused(_ ids: [VersionID]) -> ServerError {
        ServerError(.conflict, ErrorCode.siteReused,
                    "this server already holds \(ids.count) of these version ids with other content (first \(ids[0])): this store is a copy of another device's store; take a new identity and send the work again under it (recolha does this by itself); nothing of this batch was stored",
                    ids: ids)
    }

    static func formChanged(_ id: String, _ version: String) -> ServerError {
        ServerError(.conflict, "form_changed",
                    "form \(id) version \(version) is already published with a different definition: give it a new version")
    }
}

public enum ServerClock {
    public static func nowMs() -> Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)) }
}
