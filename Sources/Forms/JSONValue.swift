import Foundation

/// A JSON value, for answers files and `--json` output.
public enum JSONValue: Hashable, Sendable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// Parses JSON text (RFC 8259).
    /// - Throws: `JSONSyntaxError` with the byte offset of the first problem.
    public static func parse(_ data: Data) throws(JSONSyntaxError) -> JSONValue {
        var p = JSONParser(bytes: [UInt8](data))
        p.skipSpace()
        let v = try p.value(depth: 0)
        p.skipSpace()
        guard p.i == p.bytes.count else { throw p.error("unexpected text after the JSON value") }
        return v
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
    public var offset: Int
    public var description: String { "\(message) at byte \(offset)" }
}

struct JSONParser {
    let bytes: [UInt8]
    var i = 0

    func error(_ m: String) -> JSONSyntaxError { JSONSyntaxError(message: m, offset: i) }

    mutating func skipSpace() {
        while i < bytes.count, bytes[i] == 32 || bytes[i] == 9 || bytes[i] == 10 || bytes[i] == 13 { i += 1 }
    }

    mutating func literal(_ word: String, _ v: JSONValue) throws(JSONSyntaxError) -> JSONValue {
        let w = Array(word.utf8)
        guard i + w.count <= bytes.count, Array(bytes[i..<(i + w.count)]) == w else { throw error("invalid literal") }
        i += w.count
        return v
    }

    mutating func value(depth: Int) throws(JSONSyntaxError) -> JSONValue {
        guard depth < 64 else { throw error("nested too deeply") }
        guard i < bytes.count else { throw error("unexpected end of JSON") }
        switch bytes[i] {
        case UInt8(ascii: "{"):
            i += 1
            var out: [String: JSONValue] = [:]
            skipSpace()
            if i < bytes.count, bytes[i] == UInt8(ascii: "}") { i += 1; return .object(out) }
            while true {
                skipSpace()
                guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { throw error("expected a quoted key") }
                let key = try string()
                skipSpace()
                guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else { throw error("expected ':'") }
                i += 1
                skipSpace()
                out[key] = try value(depth: depth + 1)
                skipSpace()
                guard i < bytes.count else { throw error("unexpected end of JSON") }
                if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
                if bytes[i] == UInt8(ascii: "}") { i += 1; return .object(out) }
                throw error("expected ',' or '}'")
            }
        case UInt8(ascii: "["):
            i += 1
            var out: [JSONValue] = []
            skipSpace()
            if i < bytes.count, bytes[i] == UInt8(ascii: "]") { i += 1; return .array(out) }
            while true {
                skipSpace()
                out.append(try value(depth: depth + 1))
                skipSpace()
                guard i < bytes.count else { throw error("unexpected end of JSON") }
                if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
                if bytes[i] == UInt8(ascii: "]") { i += 1; return .array(out) }
                throw error("expected ',' or ']'")
            }
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): return try literal("true", .bool(true))
        case UInt8(ascii: "f"): return try literal("false", .bool(false))
        case UInt8(ascii: "n"): return try literal("null", .null)
        default: return try number()
        }
    }

    mutating func number() throws(JSONSyntaxError) -> JSONValue {
        let start = i
        if i < bytes.count, bytes[i] == UInt8(ascii: "-") { i += 1 }
        while i < bytes.count, (48...57).contains(bytes[i]) || bytes[i] == 46 || bytes[i] == 101 || bytes[i] == 69
            || ((bytes[i] == 43 || bytes[i] == 45) && (bytes[i - 1] == 101 || bytes[i - 1] == 69)) { i += 1 }
        guard i > start, let text = String(bytes: bytes[start..<i], encoding: .utf8),
              text.first != ".", let d = Double(text), d.isFinite
        else { i = start; throw error("invalid value") }
        return .number(d)
    }

    mutating func string() throws(JSONSyntaxError) -> String {
        i += 1
        var out: [UInt8] = []
        while i < bytes.count {
            let b = bytes[i]
            if b == UInt8(ascii: "\"") {
                i += 1
                guard let s = String(bytes: out, encoding: .utf8) else { throw error("invalid UTF-8 in string") }
                return s
            }
            if b < 0x20 { throw error("control character in string") }
            if b == UInt8(ascii: "\\") {
                i += 1
                guard i < bytes.count else { break }
                switch bytes[i] {
                case UInt8(ascii: "n"): out.append(10)
                case UInt8(ascii: "t"): out.append(9)
                case UInt8(ascii: "r"): out.append(13)
                case UInt8(ascii: "b"): out.append(8)
                case UInt8(ascii: "f"): out.append(12)
                case UInt8(ascii: "/"): out.append(47)
                case UInt8(ascii: "\\"): out.append(92)
                case UInt8(ascii: "\""): out.append(34)
                case UInt8(ascii: "u"):
                    var code = try hex4()
                    if (0xD800...0xDBFF).contains(code), i + 2 < bytes.count,
                       bytes[i + 1] == UInt8(ascii: "\\"), bytes[i + 2] == UInt8(ascii: "u") {
                        i += 2
                        let low = try hex4()
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    }
                    guard let scalar = Unicode.Scalar(code) else { throw error("invalid \\u escape") }
                    out.append(contentsOf: Array(String(Character(scalar)).utf8))
                default: throw error("invalid escape")
                }
                i += 1
                continue
            }
            out.append(b)
            i += 1
        }
        throw error("unclosed string")
    }

    mutating func hex4() throws(JSONSyntaxError) -> UInt32 {
        guard i + 4 < bytes.count, let v = UInt32(String(decoding: bytes[(i + 1)...(i + 4)], as: UTF8.self), radix: 16)
        else { throw error("invalid \\u escape") }
        i += 4
        return v
    }
}
