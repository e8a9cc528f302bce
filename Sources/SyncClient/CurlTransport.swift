import CCurl
import Foundation
import Words
import Gzip
import Sync

/// The real transport: libcurl, one easy handle reused for keep-alive.
///
/// Verifies TLS by default (a district server's own CA with `cacert`),
/// honours the proxy environment variables (libcurl reads http_proxy,
/// https_proxy and no_proxy), gzips request bodies and accepts gzip answers,
/// and gives up on a connection that cannot be made or that stalls.
/// https://curl.se/libcurl/c/libcurl-easy.html
public final class CurlTransport: Transport {
    private let handle: UnsafeMutableRawPointer
    private let baseURL: String
    public var retry: RetryPolicy
    /// How to wait between retries (tests pass their own).
    public var sleep: (Double) -> Void = { Thread.sleep(forTimeInterval: $0) }
    public var compressRequests = true

    private static let globalInit: Void = { curl_global_init(Int(CURL_GLOBAL_DEFAULT)) }()

    /// Call once at start-up, before any thread starts (libcurl's rule).
    public static func initialize() { _ = globalInit }

    /// - Parameters:
    ///   - baseURL: `http(s)://host:port`, no trailing slash.
    ///   - cacert: a PEM file of CAs to trust instead of the system's.
    ///   - connectTimeout: seconds to make a connection.
    ///   - lowSpeedTime: give up when under 100 bytes/s for this many seconds.
    /// - Throws: `TransportError` when libcurl cannot start.
    public init(baseURL: String, cacert: String? = nil, connectTimeout: Int = 15, lowSpeedTime: Int = 30,
                retry: RetryPolicy = RetryPolicy()) throws(TransportError) {
        Self.initialize()
        // Checked before the handle exists: once every stored property is
        // set, a throwing init still runs deinit, which frees the handle.
        guard baseURL.hasPrefix("http://") || baseURL.hasPrefix("https://") else {
            throw TransportError(kind: .badURL, Message(.netBadScheme), retryable: false)
        }
        guard let h = curl_easy_init() else {
            throw TransportError(kind: .other, Message(.netNoCurl), retryable: false)
        }
        handle = h
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.retry = retry
        try Self.check(recolha_curl_setopt_long(h, CURLOPT_NOSIGNAL, 1), "NOSIGNAL")
        try Self.check(recolha_curl_setopt_long(h, CURLOPT_CONNECTTIMEOUT, connectTimeout), "CONNECTTIMEOUT")
        try Self.check(recolha_curl_setopt_long(h, CURLOPT_LOW_SPEED_LIMIT, 100), "LOW_SPEED_LIMIT")
        try Self.check(recolha_curl_setopt_long(h, CURLOPT_LOW_SPEED_TIME, lowSpeedTime), "LOW_SPEED_TIME")
        try Self.check(recolha_curl_setopt_long(h, CURLOPT_SSL_VERIFYPEER, 1), "SSL_VERIFYPEER")
        try Self.check(recolha_curl_setopt_long(h, CURLOPT_SSL_VERIFYHOST, 2), "SSL_VERIFYHOST")
        try Self.check(recolha_curl_setopt_long(h, CURLOPT_TCP_KEEPALIVE, 1), "TCP_KEEPALIVE")
        try Self.check(recolha_curl_setopt_long(h, CURLOPT_FOLLOWLOCATION, 0), "FOLLOWLOCATION")
        // A declared size past the cap is refused before the transfer; the
        // write callback caps what actually arrives (after decompression).
        try Self.check(recolha_curl_setopt_off(h, CURLOPT_MAXFILESIZE_LARGE, curl_off_t(WireProtocol.maxResponseBytes)), "MAXFILESIZE_LARGE")
        try Self.check(recolha_curl_setopt_string(h, CURLOPT_ACCEPT_ENCODING, "gzip"), "ACCEPT_ENCODING")
        try Self.check(recolha_curl_setopt_string(h, CURLOPT_USERAGENT, "recolha/1"), "USERAGENT")
        if let cacert { try Self.check(recolha_curl_setopt_string(h, CURLOPT_CAINFO, cacert), "CAINFO") }
        try Self.check(recolha_curl_setopt_write(h, CURLOPT_WRITEFUNCTION) { data, size, count, context in
            let box = Unmanaged<Buffer>.fromOpaque(context!).takeUnretainedValue()
            guard box.data.count + size * count <= box.limit else {
                box.tooLarge = true
                return 0  // libcurl stops the transfer with CURLE_WRITE_ERROR
            }
            box.data.append(UnsafeRawPointer(data!).assumingMemoryBound(to: UInt8.self), count: size * count)
            return size * count
        }, "WRITEFUNCTION")
        try Self.check(recolha_curl_setopt_write(h, CURLOPT_HEADERFUNCTION) { data, size, count, context in
            let box = Unmanaged<Buffer>.fromOpaque(context!).takeUnretainedValue()
            guard box.headers.count < 200 else { return 0 }
            let line = String(decoding: UnsafeRawBufferPointer(start: data, count: size * count), as: UTF8.self)
            if let colon = line.firstIndex(of: ":") {
                let name = line[..<colon].lowercased()
                box.headers[name] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespacesAndNewlines)
            } else if line.hasPrefix("HTTP/") {
                box.headers = [:]  // a new response (after 100-continue): start over
            }
            return size * count
        }, "HEADERFUNCTION")
    }

    /// A curl_easy_setopt result as a typed error: an option libcurl refuses
    /// (an old libcurl, a build without TLS) is said, never ignored.
    static func check(_ code: CURLcode, _ option: String) throws(TransportError) {
        guard code == CURLE_OK else {
            throw TransportError(kind: .other, Message(.netOption, ["option": .text("\(option)"), "detail": .text(String(cString: curl_easy_strerror(code)))]),
                                 retryable: false)
        }
    }

    deinit { curl_easy_cleanup(handle) }

    final class Buffer {
        var data = Data()
        var headers: [String: String] = [:]
        /// The largest answer accepted, after decompression.
        var limit = WireProtocol.maxResponseBytes
        var tooLarge = false
    }

    public func send(_ request: HTTPRequest) throws(TransportError) -> HTTPResponse {
        var g = SystemRandomNumberGenerator()
        var attempt = 1
        while true {
            do {
                let response = try once(request)
                if RetryPolicy.retries(status: response.status), attempt < retry.attempts {
                    sleep(retry.delay(beforeAttempt: attempt, retryAfter: response.headers["retry-after"], using: &g))
                    attempt += 1
                    continue
                }
                return response
            } catch {
                guard error.retryable, attempt < retry.attempts else { throw error }
                sleep(retry.delay(beforeAttempt: attempt, retryAfter: nil, using: &g))
                attempt += 1
            }
        }
    }

    /// One attempt, no retry.
    func once(_ request: HTTPRequest) throws(TransportError) -> HTTPResponse {
        let h = handle
        let buffer = Buffer()
        let context = Unmanaged.passRetained(buffer)
        defer { context.release() }
        try Self.check(recolha_curl_setopt_pointer(h, CURLOPT_WRITEDATA, context.toOpaque()), "WRITEDATA")
        try Self.check(recolha_curl_setopt_pointer(h, CURLOPT_HEADERDATA, context.toOpaque()), "HEADERDATA")
        try Self.check(recolha_curl_setopt_string(h, CURLOPT_URL, baseURL + request.path), "URL")

        var body = request.body
        var headers = request.headers
        // A file's bytes (photos, recordings) are sent as they are: they do not compress.
        if let b = body, compressRequests, b.count > 512, headers["Content-Type"] != "application/octet-stream", let z = try? Gzip.compress(b) {
            body = z
            headers["Content-Encoding"] = "gzip"
        }
        var list: UnsafeMutablePointer<curl_slist>? = nil
        for (k, v) in headers { list = curl_slist_append(list, "\(k): \(v)") }
        list = curl_slist_append(list, "Expect:")  // no 100-continue round trip
        defer { curl_slist_free_all(list) }
        try Self.check(recolha_curl_setopt_slist(h, CURLOPT_HTTPHEADER, list), "HTTPHEADER")

        let code: CURLcode
        if request.method == "GET" {
            try Self.check(recolha_curl_setopt_long(h, CURLOPT_HTTPGET, 1), "HTTPGET")
            code = curl_easy_perform(h)
        } else {
            let payload = body ?? Data()
            try Self.check(recolha_curl_setopt_long(h, CURLOPT_POST, 1), "POST")
            // PUT (a piece of a media file) is a POST with another verb; reset after.
            if request.method != "POST" { try Self.check(recolha_curl_setopt_string(h, CURLOPT_CUSTOMREQUEST, request.method), "CUSTOMREQUEST") }
            defer { if request.method != "POST" { recolha_curl_setopt_pointer(h, CURLOPT_CUSTOMREQUEST, nil) } }
            try Self.check(recolha_curl_setopt_off(h, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(payload.count)), "POSTFIELDSIZE_LARGE")
            let (set, performed) = payload.withUnsafeBytes { raw -> (CURLcode, CURLcode) in
                let set = recolha_curl_setopt_pointer(h, CURLOPT_POSTFIELDS, UnsafeMutableRawPointer(mutating: raw.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!))
                guard set == CURLE_OK else { return (set, CURLE_OK) }
                defer { recolha_curl_setopt_pointer(h, CURLOPT_POSTFIELDS, nil) }  // clearing a pointer option cannot fail
                return (set, curl_easy_perform(h))
            }
            try Self.check(set, "POSTFIELDS")
            code = performed
        }
        if buffer.tooLarge || code == CURLE_FILESIZE_EXCEEDED {
            throw TransportError(kind: .other, Message(.netTooLarge, ["bytes": .int(WireProtocol.maxResponseBytes)]), retryable: false)
        }
        guard code == CURLE_OK else { throw Self.error(code) }
        var status = 0
        try Self.check(recolha_curl_getinfo_long(h, CURLINFO_RESPONSE_CODE, &status), "RESPONSE_CODE")
        return HTTPResponse(status: status, headers: buffer.headers, body: buffer.data)
    }

    /// A libcurl result code as a typed error (curl_easy_strerror), marked
    /// retryable when a later try may succeed.
    static func error(_ code: CURLcode) -> TransportError {
        let text = String(cString: curl_easy_strerror(code))
        switch code {
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY, CURLE_COULDNT_CONNECT:
            return TransportError(kind: .unreachable, Message(.netUnreachable, ["detail": .text(text)]), retryable: true)
        case CURLE_OPERATION_TIMEDOUT:
            return TransportError(kind: .timeout, Message(.netTimeout, ["detail": .text(text)]), retryable: true)
        case CURLE_SEND_ERROR, CURLE_RECV_ERROR, CURLE_GOT_NOTHING, CURLE_PARTIAL_FILE:
            return TransportError(kind: .interrupted, Message(.netBroke, ["detail": .text(text)]), retryable: true)
        case CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CONNECT_ERROR, CURLE_SSL_CACERT_BADFILE, CURLE_SSL_CERTPROBLEM:
            return TransportError(kind: .tls, Message(.netCertificate, ["detail": .text(text)]), retryable: false)
        case CURLE_URL_MALFORMAT, CURLE_UNSUPPORTED_PROTOCOL:
            return TransportError(kind: .badURL, Message(.netBadURL, ["detail": .text(text)]), retryable: false)
        case CURLE_BAD_CONTENT_ENCODING:
            return TransportError(kind: .interrupted, Message(.netBadCompression, ["detail": .text(text)]), retryable: true)
        default:
            return TransportError(kind: .other, Message(.netFailed, ["detail": .text(text)]), retryable: false)
        }
    }
}

extension CurlTransport {
    /// The libcurl this process runs on (`recolha --version`).
    public static var libcurlVersion: String {
        // "libcurl/7.88.1 OpenSSL/3.0.17 zlib/1.2.13 ...": the first word's version.
        guard let text = curl_version() else { return "unknown" }
        let first = String(cString: text).split(separator: " ").first ?? ""
        return first.split(separator: "/").dropFirst().first.map(String.init) ?? "unknown"
    }
}
