import Foundation

/// A JSON value, for answers files and `--json` output.
public enum JSONValue: Hashable, Sendable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// Parses JSON text (RFC 8259) with Foundation's decoder: no
    /// hand-written parsing of outside bytes.
    /// - Throws: `JSONSyntaxError` saying what is wrong (never the text itself).
    public static func parse(_ data: Data) throws(JSONSyntaxError) -> JSONValue {
        do {
            return try JSONDecoder().decode(JSONValue.self, from: data)
        } catch let e as JSONSyntaxError {
            throw e
        } catch {
            throw JSONSyntaxError(error)
        }
    }

    /// Compact JSON text with keys in the given order first, then sorted.
    public func text(pretty: Bool = false, indent: String = "", keyOrder: [String] = []) -> String {
        let nl = pretty ? "\n" : ""
        let inner = pretty ? indent + "  " : ""
        switch self {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .number(let n):
            if n == n.rounded(), abs(n) < 1e15 { return String(Int64(n)) }
            return n.isFinite ? String(n) : "null"
        case .string(let s): return JSONText.quote(s)
        case .array(let items):
            if items.isEmpty { return "[]" }
            return "[" + nl + items.map { inner + $0.text(pretty: pretty, indent: inner, keyOrder: keyOrder) }
                .joined(separator: "," + nl) + nl + indent + "]"
        case .object(let o):
            if o.isEmpty { return "{}" }
            let rank = Dictionary(keyOrder.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
            let keys = o.keys.sorted { a, b in
                switch (rank[a], rank[b]) {
                case let (x?, y?): return x < y
                case (_?, nil): return true
                case (nil, _?): return false
                default: return a < b
                }
            }
            let sep = pretty ? ": " : ":"
            return "{" + nl + keys.map { inner + JSONText.quote($0) + sep + o[$0]!.text(pretty: pretty, indent: inner, keyOrder: keyOrder) }
                .joined(separator: "," + nl) + nl + indent + "}"
        }
    }
}

/// Where JSON text stops making sense.
public struct JSONSyntaxError: Error, Hashable, Sendable, CustomStringConvertible {
    public var message: String
    public init(message: String) { self.message = message }
    public var description: String { message }

    /// Foundation's decoding error in words, with where it happened but no
    /// part of the text (it may be health data).
    init(_ error: any Error) {
        func path(_ c: DecodingError.Context) -> String {
            let p = c.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
            return p.isEmpty ? "" : " at \(p)"
        }
        switch error {
        case DecodingError.dataCorrupted(let c):
            if let under = c.underlyingError as NSError?, let index = under.userInfo["NSJSONSerializationErrorIndex"] as? Int {
                message = "malformed JSON at byte \(index)"
            } else {
                message = "malformed JSON\(path(c))"
            }
        case DecodingError.typeMismatch(_, let c), DecodingError.valueNotFound(_, let c): message = "unexpected value\(path(c))"
        default: message = "malformed JSON"
        }
    }
}

extension JSONValue: Codable {
    /// Deepest nesting accepted: answers files need four levels.
    static let maxDepth = 64

    public init(from decoder: any Decoder) throws {
        guard decoder.codingPath.count < Self.maxDepth else {
            throw JSONSyntaxError(message: "JSON nested more than \(Self.maxDepth) levels deep")
        }
        if var list = try? decoder.unkeyedContainer() {
            var out: [JSONValue] = []
            while !list.isAtEnd { out.append(try list.decode(JSONValue.self)) }
            self = .array(out)
            return
        }
        if let object = try? decoder.container(keyedBy: AnyKey.self) {
            var out: [String: JSONValue] = [:]
            for key in object.allKeys { out[key.stringValue] = try object.decode(JSONValue.self, forKey: key) }
            self = .object(out)
            return
        }
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else {
            let d = try c.decode(Double.self)
            guard d.isFinite else { throw JSONSyntaxError(message: "a number too large to hold") }
            self = .number(d)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .null: try c.encodeNil()
        case .bool(let b): try c.encode(b)
        case .number(let n): try c.encode(n)
        case .string(let s): try c.encode(s)
        case .array(let a): try c.encode(a)
        case .object(let o): try c.encode(o)
        }
    }

    struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}
