import Foundation
import Words

/// One HTTP exchange of the sync protocol.
public struct HTTPRequest: Sendable {
    public var method: String
    public var path: String
    public var headers: [String: String]
    public var body: Data?

    public init(method: String, path: String, headers: [String: String] = [:], body: Data? = nil) {
        self.method = method; self.path = path; self.headers = headers; self.body = body
    }
}

public struct HTTPResponse: Sendable {
    public var status: Int
    /// Header names lowercased.
    public var headers: [String: String]
    /// The body, already decompressed.
    public var body: Data

    public init(status: Int, headers: [String: String], body: Data) {
        self.status = status; self.headers = headers; self.body = body
    }
}

/// Sends requests to the sync server; `CurlTransport` is the real one.
public protocol Transport {
    /// Sends one request, retrying what is worth retrying.
    /// - Throws: `TransportError` when no answer could be had; an HTTP error
    ///   status is an answer, not an error.
    func send(_ request: HTTPRequest) throws(TransportError) -> HTTPResponse
}

/// Why no answer came back from the server.
public struct TransportError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable { case unreachable, timeout, tls, badURL, interrupted, other }
    public var kind: Kind
    public var words: Message
    /// Marked at creation: worth another try later (litestream's IsAutoRecoverable).
    public var retryable: Bool

    public init(kind: Kind, _ words: Message, retryable: Bool) {
        self.kind = kind; self.words = words; self.retryable = retryable
    }

    /// In English (logs, tests).
    public var message: String { words.description }
    public var description: String { message }
}

/// When and how long to wait before retrying: exponential backoff with full
/// jitter, honouring Retry-After; network errors, 5xx and 429 only.
public struct RetryPolicy: Sendable {
    public var attempts: Int
    public var baseDelay: Double
    public var maxDelay: Double

    public init(attempts: Int = 5, baseDelay: Double = 0.5, maxDelay: Double = 30) {
        self.attempts = attempts; self.baseDelay = baseDelay; self.maxDelay = maxDelay
    }

    public static let none = RetryPolicy(attempts: 1)

    /// Retry an answer with this status? Never a 4xx but 429.
    public static func retries(status: Int) -> Bool { status == 429 || (500...599).contains(status) }

    /// Seconds to wait before attempt `n` (1-based, after a failure), given a
    /// Retry-After header if the server sent one.
    public func delay<G: RandomNumberGenerator>(beforeAttempt n: Int, retryAfter: String?, using g: inout G) -> Double {
        if let retryAfter, let seconds = Double(retryAfter.trimmingCharacters(in: .whitespaces)), seconds >= 0 {
            return min(seconds, maxDelay * 2)
        }
        let ceiling = min(maxDelay, baseDelay * pow(2, Double(n - 1)))
        return Double.random(in: 0...ceiling, using: &g)
    }
}
