/// A value while an expression is evaluated, with XPath 1.0's conversions.
public enum XValue: Hashable, Sendable {
    case string(String)
    case number(Double)
    case bool(Bool)
    /// The answers of one question in every instance of a repeat.
    case list([String])

    public var asString: String {
        switch self {
        case .string(let s): return s
        case .number(let n): return XValue.format(n)
        case .bool(let b): return b ? "true" : "false"
        case .list(let l): return l.first ?? ""
        }
    }

    /// Numbers as XPath reads them; a date (`YYYY-MM-DD`) or datetime reads
    /// as days since 1970-01-01, as ODK's JavaRosa does, so dates compare.
    public var asNumber: Double {
        switch self {
        case .number(let n): return n
        case .bool(let b): return b ? 1 : 0
        case .string(let s): return XValue.number(from: s)
        case .list(let l): return l.first.map(XValue.number(from:)) ?? .nan
        }
    }

    public var asBool: Bool {
        switch self {
        case .bool(let b): return b
        case .number(let n): return n != 0 && !n.isNaN
        case .string(let s): return !s.isEmpty
        case .list(let l): return !l.isEmpty
        }
    }

    static func number(from s: String) -> Double {
        let t = s.trimmingSpaces
        if t.isEmpty { return .nan }
        if let d = Double(t) { return d }
        if let days = DateText.days(t) { return days }
        return .nan
    }

    /// Integers without a fraction, others as Swift prints them.
    public static func format(_ n: Double) -> String {
        if n.isNaN { return "NaN" }
        if n.isInfinite { return n > 0 ? "Infinity" : "-Infinity" }
        if n == n.rounded(), abs(n) < 1e15 { return String(Int64(n)) }
        return String(n)
    }
}

/// ISO dates and datetimes as text, to and from days since 1970-01-01.
public enum DateText {
    /// Days since 1970-01-01 for `YYYY-MM-DD` or `YYYY-MM-DDTHH:MM[:SS[.fff]][Z|±HH:MM]`.
    public static func days(_ s: String) -> Double? {
        let u = Array(s.utf8)
        guard u.count >= 10, u[4] == 45, u[7] == 45,
              let y = digits(u, 0, 4), let m = digits(u, 5, 2), let d = digits(u, 8, 2),
              isValid(year: y, month: m, day: d)
        else { return nil }
        var total = Double(daysFromCivil(y, m, d))
        if u.count == 10 { return total }
        guard u.count >= 16, u[10] == 84 || u[10] == 32, u[13] == 58,
              let hh = digits(u, 11, 2), let mm = digits(u, 14, 2), hh < 24, mm < 60
        else { return nil }
        var seconds = Double(hh * 3600 + mm * 60)
        var i = 16
        if i < u.count, u[i] == 58 {
            guard let ss = digits(u, i + 1, 2), ss < 61 else { return nil }
            seconds += Double(ss)
            i += 3
            if i < u.count, u[i] == 46 {
                var j = i + 1
                var frac = 0.0, scale = 0.1
                while j < u.count, u[j] >= 48, u[j] <= 57 {
                    frac += Double(u[j] - 48) * scale; scale /= 10; j += 1
                }
                guard j > i + 1 else { return nil }
                seconds += frac
                i = j
            }
        }
        if i < u.count {
            if u[i] == 90, i + 1 == u.count {
                // Z
            } else if (u[i] == 43 || u[i] == 45), u.count == i + 6 || u.count == i + 5 {
                let colon = u.count == i + 6
                guard let oh = digits(u, i + 1, 2), let om = digits(u, i + (colon ? 4 : 3), 2) else { return nil }
                let offset = Double(oh * 3600 + om * 60)
                seconds -= u[i] == 43 ? offset : -offset
            } else {
                return nil
            }
        }
        total += seconds / 86400
        return total
    }

    /// `YYYY-MM-DD` for a day count since 1970-01-01.
    public static func date(days: Int) -> String {
        let (y, m, d) = civilFromDays(days)
        return pad(y, 4) + "-" + pad(m, 2) + "-" + pad(d, 2)
    }

    public static func isValid(year: Int, month: Int, day: Int) -> Bool {
        guard (1...12).contains(month), day >= 1 else { return false }
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
        let lengths = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        return day <= lengths[month - 1]
    }

    static func pad(_ n: Int, _ width: Int) -> String {
        let s = String(n)
        return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
    }

    private static func digits(_ u: [UInt8], _ at: Int, _ n: Int) -> Int? {
        guard at + n <= u.count else { return nil }
        var v = 0
        for k in at..<(at + n) {
            guard u[k] >= 48, u[k] <= 57 else { return nil }
            v = v * 10 + Int(u[k] - 48)
        }
        return v
    }

    // Howard Hinnant's days_from_civil / civil_from_days.
    static func daysFromCivil(_ y0: Int, _ m: Int, _ d: Int) -> Int {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }

    static func civilFromDays(_ z0: Int) -> (Int, Int, Int) {
        let z = z0 + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp + (mp < 10 ? 3 : -9)
        return (m <= 2 ? y + 1 : y, m, d)
    }
}
