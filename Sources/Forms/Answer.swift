import Foundation

/// One answer as it is stored: text (also select_one, date, datetime,
/// geopoint and calculate results), a whole number, a decimal, or the
/// choices of a select_multiple.
public enum Answer: Hashable, Sendable {
    case text(String)
    case integer(Int)
    case decimal(Double)
    case choices([String])
    /// A photo, recording, video or file (its hash, name and size).
    case file(FileAnswer)

    /// Canonical JSON text: the same answer always gives the same bytes, so
    /// versions compare by text.
    public var json: String {
        switch self {
        case .text(let s): return JSONText.quote(s)
        case .integer(let i): return String(i)
        case .decimal(let d): return JSONText.number(d)
        case .choices(let c): return "[" + c.map(JSONText.quote).joined(separator: ",") + "]"
        case .file(let f): return f.json
        }
    }

    /// Reads canonical JSON text back; nil when it is not an answer.
    ///
    /// The two shapes nearly every stored answer has (a string with no
    /// escapes, a whole number) are read directly (the standard library
    /// parses the number); everything else goes through Foundation's JSON
    /// decoder. Both are fuzzed against each other (FuzzTests).
    public init?(json: String) {
        if let fast = Self.fast(json) { self = fast; return }
        guard let value = try? JSONValue.parse(Data(json.utf8)) else { return nil }
        self.init(jsonValue: value, integral: !json.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }))
    }

    /// A quoted string without escapes or control characters, a list of
    /// such strings as stored (`["a","b"]`, no spaces), or a whole number;
    /// nil for anything else.
    static func fast(_ json: String) -> Answer? {
        let u = json.utf8
        guard let first = u.first else { return nil }
        func plain(_ inner: Substring.UTF8View) -> Bool {
            !inner.contains(where: { $0 == UInt8(ascii: "\\") || $0 == UInt8(ascii: "\"") || $0 < 0x20 })
        }
        if first == UInt8(ascii: "\""), u.count >= 2, u.last == UInt8(ascii: "\"") {
            let inner = Substring(json).utf8.dropFirst().dropLast()
            guard plain(inner) else { return nil }
            return .text(String(json.dropFirst().dropLast()))
        }
        if first == UInt8(ascii: "["), u.last == UInt8(ascii: "]") {
            let inner = Substring(json).dropFirst().dropLast()
            if inner.isEmpty { return .choices([]) }
            // No item holds a comma unescaped without also holding a quote.
            var items: [String] = []
            for piece in inner.split(separator: ",", omittingEmptySubsequences: false) {
                let b = piece.utf8
                guard b.count >= 2, b.first == UInt8(ascii: "\""), b.last == UInt8(ascii: "\""),
                      plain(piece.dropFirst().dropLast().utf8) else { return nil }
                items.append(String(piece.dropFirst().dropLast()))
            }
            return .choices(items)
        }
        // A whole number: optional minus, digits, no leading zero.
        let digits = first == UInt8(ascii: "-") ? u.dropFirst() : u[...]
        // At most 15 digits: larger numbers go the decoder's way (as a Double).
        guard let d0 = digits.first, digits.count <= 15, digits.allSatisfy({ (48...57).contains($0) }),
              d0 != 48 || digits.count == 1, let i = Int(json) else { return nil }
        return .integer(i)
    }

    /// Reads a stored JSON value; `integral` says whether a number was
    /// written without a fraction (an integer, not a decimal).
    public init?(jsonValue value: JSONValue, integral: Bool = true) {
        switch value {
        case .string(let s): self = .text(s)
        case .number(let n):
            if integral, let i = Int(exactly: n) { self = .integer(i) } else { self = .decimal(n) }
        case .array(let items):
            var out: [String] = []
            for item in items {
                guard case .string(let s) = item else { return nil }
                out.append(s)
            }
            self = .choices(out)
        case .object:
            guard let f = FileAnswer(jsonValue: value) else { return nil }
            self = .file(f)
        default: return nil
        }
    }

    /// The value expressions see.
    public var xvalue: XValue {
        switch self {
        case .text(let s): return .string(s)
        case .integer(let i): return .number(Double(i))
        case .decimal(let d): return .number(d)
        case .choices(let c): return .string(c.joined(separator: " "))
        case .file(let f): return .string(f.name)
        }
    }

    /// As a person would read it (choice names, not labels).
    public var display: String {
        switch self {
        case .text(let s): return s
        case .integer(let i): return String(i)
        case .decimal(let d): return XValue.format(d)
        case .choices(let c): return c.joined(separator: " ")
        case .file(let f): return f.name
        }
    }

    /// As JSON for `show --json` and the answers file.
    public var jsonValue: JSONValue {
        switch self {
        case .text(let s): return .string(s)
        case .integer(let i): return .number(Double(i))
        case .decimal(let d): return .number(d)
        case .choices(let c): return .array(c.map(JSONValue.string))
        case .file(let f): return f.jsonValue
        }
    }
}

/// Canonical JSON spelling of strings and numbers.
public enum JSONText {
    public static func quote(_ s: String) -> String {
        // Most text needs no escape: one scan of its bytes finds out.
        if !s.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
            return "\"" + s + "\""
        }
        var out = "\""
        out.reserveCapacity(s.utf8.count + 2)
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 {
                    let hex = String(u.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out + "\""
    }

    public static func number(_ d: Double) -> String {
        guard d.isFinite else { return "null" }
        if d == d.rounded(), abs(d) < 1e15 { return String(Int64(d)) + ".0" }
        return String(d)
    }
}
