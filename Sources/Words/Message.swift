import Synchronization

/// The languages Recolha speaks to people.
public enum Lang: String, Sendable, CaseIterable {
    case en, pt

    /// The language every command speaks unless told otherwise: set once by
    /// the CLI from `--lang`, the store's preference or the environment.
    public static var current: Lang {
        get { chosen.withLock { $0 } }
        set { chosen.withLock { $0 = newValue } }
    }

    private static let chosen = Mutex<Lang>(.en)
}

/// One thing said to a person: a key of the catalogue and its parameters.
///
/// Library errors and server refusals carry messages, not sentences, so the
/// device words them in its own language; `description` is the English
/// wording (logs, the server, tests).
public struct Message: Hashable, Sendable, CustomStringConvertible {
    /// The key's code. Kept as text so that a message's memory layout does
    /// not depend on how many keys the catalogue has: an enum's spare
    /// values move as cases are added, and a module an incremental build
    /// did not recompile then read a nil message as a garbage key.
    private let code: String
    public var args: [String: Arg]

    public var key: Key { Key(rawValue: code) ?? .verbatim }

    public init(_ key: Key, _ args: [String: Arg] = [:]) {
        self.code = key.rawValue
        self.args = args
    }

    /// A parameter: text as given, a number or a time worded per language,
    /// or another message worded in the same language.
    public indirect enum Arg: Hashable, Sendable, ExpressibleByStringInterpolation, ExpressibleByIntegerLiteral {
        case text(String)
        case int(Int)
        /// Milliseconds since 1970, shown as a date and time (UTC).
        case time(Int64)
        case message(Message)
        case lines([Message])

        public init(stringLiteral value: String) { self = .text(value) }
        public init(integerLiteral value: Int) { self = .int(value) }
    }

    public func text(_ language: Lang) -> String {
        Template.render(Catalogue.template(key, language), args, language)
    }

    /// In the language chosen for this process.
    public var localized: String { text(Lang.current) }

    public var description: String { text(.en) }
}

public extension Message {
    /// Text that is already in the reader's language (a form's own
    /// constraint message, a name): passed through as it is.
    static func verbatim(_ text: String) -> Message { Message(.verbatim, ["text": .text(text)]) }
}

/// The catalogue: one exhaustive table per language (English.swift,
/// Portuguese.swift), so a message without a translation does not compile.
public enum Catalogue {
    public static func template(_ key: Key, _ language: Lang) -> String {
        switch language {
        case .en: return english(key)
        case .pt: return portuguese(key)
        }
    }
}

/// `{name}` is a parameter; `{name?one|other}` picks by whether the number
/// `name` is 1. A literal brace is passed as a parameter.
public enum Template {
    public static func render(_ template: String, _ args: [String: Message.Arg], _ language: Lang) -> String {
        var out = ""
        var rest = Substring(template)
        while let open = rest.firstIndex(of: "{") {
            out += rest[..<open]
            guard let close = rest[open...].firstIndex(of: "}") else { break }
            let inside = rest[rest.index(after: open)..<close]
            rest = rest[rest.index(after: close)...]
            if let q = inside.firstIndex(of: "?") {
                let name = String(inside[..<q])
                let forms = inside[inside.index(after: q)...].split(separator: "|", omittingEmptySubsequences: false)
                var one = false
                if case .int(let n)? = args[name] { one = n == 1 }
                out += forms.count == 2 ? (one ? forms[0] : forms[1]) : ""
            } else {
                out += args[String(inside)].map { word($0, language) } ?? "{\(inside)}"
            }
        }
        return out + rest
    }

    static func word(_ arg: Message.Arg, _ language: Lang) -> String {
        switch arg {
        case .text(let s): return s
        case .int(let n): return Numbers.format(n, language)
        case .time(let ms): return Dates.format(ms, language)
        case .message(let m): return m.text(language)
        case .lines(let ms): return ms.map { "  " + $0.text(language) }.joined(separator: "\n")
        }
    }

    /// The parameter names a template uses (the catalogue test compares them).
    public static func parameters(_ template: String) -> Set<String> {
        var names: Set<String> = []
        var rest = Substring(template)
        while let open = rest.firstIndex(of: "{"), let close = rest[open...].firstIndex(of: "}") {
            let inside = rest[rest.index(after: open)..<close]
            names.insert(String(inside.split(separator: "?", maxSplits: 1).first ?? inside))
            rest = rest[rest.index(after: close)...]
        }
        return names
    }
}

/// Numbers as each language writes them: 12,345 in English; 12 345 in
/// Mozambique (a space between thousands, CLDR pt_MZ).
public enum Numbers {
    public static func format(_ n: Int, _ language: Lang) -> String {
        let digits = String(n.magnitude)
        guard digits.count > 4 || (language == .en && digits.count > 3) else { return n < 0 ? "-" + digits : digits }
        let separator: Character = language == .pt ? "\u{00A0}" : ","
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0, (digits.count - i) % 3 == 0 { out.append(separator) }
            out.append(c)
        }
        return n < 0 ? "-" + out : out
    }

    public static func format(_ d: Double, decimals: Int, _ language: Lang) -> String {
        let scale = Double(Int(pow10(decimals)))
        let rounded = (d * scale).rounded() / scale
        let whole = Int(rounded.magnitude)
        var text = format(whole, language)
        if decimals > 0 {
            let fraction = Int(((rounded.magnitude - Double(whole)) * scale).rounded())
            let f = String(fraction)
            text += (language == .pt ? "," : ".") + String(repeating: "0", count: decimals - f.count) + f
        }
        return rounded < 0 ? "-" + text : text
    }

    private static func pow10(_ n: Int) -> Int { (0..<n).reduce(1) { r, _ in r * 10 } }
}

/// Dates and times as each language reads them (UTC, as the store keeps
/// them): 2026-11-29 14:05 in English, 29/11/2026 14:05 in Portuguese.
public enum Dates {
    public static func format(_ ms: Int64, _ language: Lang) -> String {
        let (y, m, d, hh, mm) = civil(ms)
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        switch language {
        case .en: return "\(y)-\(two(m))-\(two(d)) \(two(hh)):\(two(mm)) UTC"
        case .pt: return "\(two(d))/\(two(m))/\(y) \(two(hh)):\(two(mm)) UTC"
        }
    }

    /// Days-from-civil inverted (Howard Hinnant's algorithm), no Foundation.
    static func civil(_ ms: Int64) -> (Int, Int, Int, Int, Int) {
        let seconds = ms >= 0 ? ms / 1000 : (ms - 999) / 1000
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let rest = Int(seconds - days * 86_400)
        let z = Int(days) + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
        return (y, m, d, rest / 3600, rest % 3600 / 60)
    }
}
