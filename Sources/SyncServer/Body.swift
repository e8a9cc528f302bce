import Foundation
import Gzip
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Sync

/// Reading and writing the JSON bodies of the protocol, gzip both ways.
enum Body {
    static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return e
    }()

    /// Reads a request body: at most the size limit, gunzipped when sent gzip,
    /// then decoded.
    /// - Throws: 413 past the limit, 400 for a corrupt gzip or malformed JSON.
    static func decode<T: Decodable>(_ type: T.Type, from request: Request) async throws -> T {
        var request = request
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: WireProtocol.maxBodyBytes)
        } catch {
            throw ServerError(.contentTooLarge, "too_large", "the request body is larger than \(WireProtocol.maxBodyBytes) bytes: send smaller batches")
        }
        var data = Data(buffer.readableBytesView)
        if request.headers[.contentEncoding]?.lowercased().contains("gzip") == true {
            do {
                data = try Gzip.decompress(data, limit: 4 * WireProtocol.maxBodyBytes)
            } catch {
                throw ServerError(.badRequest, "bad_gzip", "the gzip body could not be read: \(error)")
            }
        }
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch {
            throw ServerError(.badRequest, "bad_json", "the body is not a valid \(T.self) message: \(Self.describe(error))")
        }
    }

    /// Where decoding failed, by key path; never the values.
    static func describe(_ error: any Error) -> String {
        func path(_ c: DecodingError.Context) -> String {
            c.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
        }
        switch error {
        case DecodingError.keyNotFound(let key, let c): return "missing \(path(c).isEmpty ? "" : path(c) + ".")\(key.stringValue)"
        case DecodingError.typeMismatch(_, let c), DecodingError.valueNotFound(_, let c): return "wrong type at \(path(c))"
        case DecodingError.dataCorrupted(let c): return path(c).isEmpty ? "malformed JSON" : "bad value at \(path(c))"
        default: return "malformed JSON"
        }
    }

    /// A JSON response, gzip when the client accepts it and it is worth it.
    static func response<T: Encodable>(_ value: T, for request: Request, status: HTTPResponse.Status = .ok) throws -> Response {
        try response(data: encoder.encode(value), contentType: "application/json", for: request, status: status)
    }

    static func response(data: Data, contentType: String, for request: Request, status: HTTPResponse.Status = .ok) throws -> Response {
        var headers = HTTPFields()
        headers[.contentType] = contentType
        var body = data
        if body.count > 1024, request.headers[.acceptEncoding]?.contains("gzip") == true, let z = try? Gzip.compress(body) {
            body = z
            headers[.contentEncoding] = "gzip"
        }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}
