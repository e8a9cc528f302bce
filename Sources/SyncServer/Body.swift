import Words
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
        let buffer = try await collect(request)
        return try decode(type, from: Data(buffer.readableBytesView), gzip: request.headers[.contentEncoding]?.lowercased().contains("gzip") == true)
    }

    /// How long a whole request body may take to arrive.
    static let readTimeout: Duration = .seconds(60)

    /// The body, at most the size limit, within the read timeout.
    static func collect(_ request: Request) async throws -> ByteBuffer {
        try await withThrowingTaskGroup(of: ByteBuffer?.self) { group in
            group.addTask {
                var request = request
                do {
                    return try await request.collectBody(upTo: WireProtocol.maxBodyBytes)
                } catch is CancellationError {
                    throw CancellationError()
                } catch {
                    throw ServerError(.contentTooLarge, "too_large", "the request body is larger than \(WireProtocol.maxBodyBytes) bytes: send smaller batches")
                }
            }
            group.addTask {
                try await Task.sleep(for: readTimeout)
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let buffer = first else {
                throw ServerError(.requestTimeout, "read_timeout", "the request body did not arrive within \(readTimeout): try again on a steadier connection")
            }
            return buffer
        }
    }

    /// Decodes a body already read: gunzipped when `gzip`, then JSON. Every
    /// outside byte of a request passes here (fuzzed in FuzzTests).
    /// - Throws: `ServerError` 400 for a corrupt gzip or malformed JSON.
    static func decode<T: Decodable>(_ type: T.Type, from body: Data, gzip: Bool) throws -> T {
        let data = try inflate(body, gzip: gzip, limit: 4 * WireProtocol.maxBodyBytes)
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch {
            throw ServerError(.badRequest, "bad_json", "the body is not a valid \(T.self) message: \(Self.describe(error))")
        }
    }

    /// The body gunzipped when sent gzip, at most `limit` bytes.
    /// - Throws: `ServerError` 400 `bad_gzip`.
    static func inflate(_ body: Data, gzip: Bool, limit: Int) throws -> Data {
        guard gzip else { return body }
        do {
            return try Gzip.decompress(body, limit: limit)
        } catch {
            throw ServerError(.badRequest, "bad_gzip", "the gzip body could not be read: \(error)")
        }
    }

    /// A push body: protobuf when its `Content-Type` says so, else JSON.
    static func push(from request: Request) async throws -> PushRequest {
        let buffer = try await collect(request)
        return try push(from: Data(buffer.readableBytesView), gzip: request.headers[.contentEncoding]?.lowercased().contains("gzip") == true,
                        protobuf: WireEncoding.isProtobuf(request.headers[.contentType]))
    }

    /// Decodes a push body already read (fuzzed in FuzzTests, both encodings).
    /// - Throws: `ServerError` 400 for a corrupt gzip or a malformed body.
    static func push(from body: Data, gzip: Bool, protobuf: Bool) throws -> PushRequest {
        guard protobuf else { return try decode(PushRequest.self, from: body, gzip: gzip) }
        let data = try inflate(body, gzip: gzip, limit: WireEncoding.maxProtobufBytes)
        do {
            return try PushRequest(protobuf: data)
        } catch let e as WireDecodingError {
            throw ServerError(.badRequest, "bad_protobuf", "the body is not a valid PushRequest message: \(e)")
        } catch {
            throw ServerError(.badRequest, "bad_protobuf", "the body is not a valid PushRequest message: malformed protobuf")
        }
    }

    /// A pull page, protobuf when the request's `Accept` asks for it.
    static func pullResponse(_ page: PullResponse, for request: Request) throws -> Response {
        guard WireEncoding.accepts(protobuf: request.headers[.accept]) else { return try response(page, for: request) }
        return try response(data: page.protobuf(), contentType: WireEncoding.protobuf, for: request)
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
