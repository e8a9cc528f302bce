import Words
import Foundation

/// The functions expressions may call, with how many arguments each takes.
public enum Functions {
    public static let arity: [String: ClosedRange<Int>] = [
        "not": 1...1, "selected": 2...2, "count-selected": 1...1, "selected-at": 2...2,
        "string-length": 1...1, "regex": 2...2, "if": 3...3, "coalesce": 2...2,
        "concat": 0...64, "number": 1...1, "int": 1...1, "round": 1...2,
        "today": 0...0, "now": 0...0, "true": 0...0, "false": 0...0,
        "boolean": 1...1, "string": 1...1, "contains": 2...2, "starts-with": 2...2,
        "ends-with": 2...2, "substr": 2...3, "count": 1...1, "sum": 1...1,
        "floor": 1...1, "ceiling": 1...1, "abs": 1...1, "min": 1...64, "max": 1...64,
        "pow": 2...2, "date": 1...1, "uuid": 0...1, "normalize-space": 1...1,
        // Reads a CSV published with the form (--media NAME.csv).
        "pulldata": 4...4,
    ]

    /// The problem with a call, or nil when the function exists and the
    /// number of arguments fits.
    public static func check(_ name: String, argumentCount: Int) -> Message? {
        guard let range = arity[name] else { return Message(.formUnknownFunction, ["name": .text(name)]) }
        guard range.contains(argumentCount) else {
            if range.lowerBound == range.upperBound {
                return Message(.formArity, ["name": .text(name), "want": .int(range.lowerBound), "given": .int(argumentCount)])
            }
            return Message(.formArityRange, ["name": .text(name), "low": .int(range.lowerBound), "high": .int(range.upperBound),
                                             "given": .int(argumentCount)])
        }
        return nil
    }
}

private final class RegexCache: @unchecked Sendable {
    private var cache: [String: NSRegularExpression?] = [:]
    private let lock = NSLock()

    func regex(_ pattern: String) -> NSRegularExpression? {
        lock.lock()
        defer { lock.unlock() }
        if let hit = cache[pattern] { return hit }
        let compiled = try? NSRegularExpression(pattern: pattern)
        cache[pattern] = compiled
        return compiled
    }
}

private let regexCache = RegexCache()

extension Expr {
    /// Evaluates the expression. Never throws: as in XPath, a bad conversion
    /// gives NaN or the empty string, and an unknown function (refused when
    /// the form loads) gives the empty string.
    public func evaluate<C: ExprContext>(in ctx: C) -> XValue {
        switch self {
        case .number(let n): return .number(n)
        case .string(let s): return .string(s)
        case .ref(let name): return ctx.value(of: name)
        case .current: return ctx.current
        case .column(let name): return ctx.column(name)
        case .negate(let e): return .number(-e.evaluate(in: ctx).asNumber)
        case .binary(let op, let l, let r): return Expr.binary(op, l, r, ctx)
        case .call(let name, let args): return Expr.call(name, args, ctx)
        case .instance(let id, let predicate, let column): return ctx.items(instance: id, predicate: predicate, column: column)
        }
    }

    /// Evaluates and converts to a boolean.
    public func isTrue<C: ExprContext>(in ctx: C) -> Bool { evaluate(in: ctx).asBool }

    private static func binary<C: ExprContext>(_ op: BinaryOp, _ l: Expr, _ r: Expr, _ ctx: C) -> XValue {
        switch op {
        case .or: return .bool(l.isTrue(in: ctx) || r.isTrue(in: ctx))
        case .and: return .bool(l.isTrue(in: ctx) && r.isTrue(in: ctx))
        default: break
        }
        let a = l.evaluate(in: ctx), b = r.evaluate(in: ctx)
        switch op {
        case .eq: return .bool(equal(a, b))
        case .ne: return .bool(!equal(a, b))
        case .lt: return .bool(a.asNumber < b.asNumber)
        case .le: return .bool(a.asNumber <= b.asNumber)
        case .gt: return .bool(a.asNumber > b.asNumber)
        case .ge: return .bool(a.asNumber >= b.asNumber)
        case .add: return .number(a.asNumber + b.asNumber)
        case .sub: return .number(a.asNumber - b.asNumber)
        case .mul: return .number(a.asNumber * b.asNumber)
        case .div: return .number(a.asNumber / b.asNumber)
        case .mod: return .number(a.asNumber.truncatingRemainder(dividingBy: b.asNumber))
        case .or, .and: fatalError("handled above")
        }
    }

    /// XPath equality: booleans compare as booleans, then numbers as numbers,
    /// else strings; a list equals a value when any of its items does.
    static func equal(_ a: XValue, _ b: XValue) -> Bool {
        if case .list(let items) = a { return items.contains { equal(.string($0), b) } }
        if case .list(let items) = b { return items.contains { equal(a, .string($0)) } }
        switch (a, b) {
        case (.bool, _), (_, .bool): return a.asBool == b.asBool
        case (.number, _), (_, .number): return a.asNumber == b.asNumber
        default: return a.asString == b.asString
        }
    }

    private static func tokens(_ v: XValue) -> [Substring] {
        v.asString.split(whereSeparator: { $0 == " " })
    }

    /// Calls `body` with each space-separated token of ASCII text as bytes
    /// (until it returns true); false, without calling, when the text is not
    /// ASCII (whose characters compare as Unicode does, not byte by byte).
    static func asciiTokens(_ text: String, _ body: (UnsafeBufferPointer<UInt8>.SubSequence) -> Bool) -> Bool? {
        var text = text
        return text.withUTF8 { h -> Bool? in
            guard !h.contains(where: { $0 >= 0x80 }) else { return nil }
            var i = 0
            while i < h.count {
                while i < h.count && h[i] == 0x20 { i += 1 }
                let start = i
                while i < h.count && h[i] != 0x20 { i += 1 }
                if i > start && body(h[start..<i]) { return true }
            }
            return false
        }
    }

    /// `selected(list, name)` without splitting the list into new strings.
    static func selected(_ list: String, _ name: String) -> Bool {
        var name = name
        let found: Bool?? = name.withUTF8 { n in
            guard !n.contains(where: { $0 >= 0x80 }) else { return nil }
            return asciiTokens(list) { $0.elementsEqual(n) }
        }
        if let found = found ?? nil { return found }
        return list.split(whereSeparator: { $0 == " " }).contains(Substring(name))
    }

    /// `count-selected(list)` without splitting the list into new strings.
    static func countSelected(_ list: String) -> Int {
        var n = 0
        if asciiTokens(list, { _ in n += 1; return false }) != nil { return n }
        return list.split(whereSeparator: { $0 == " " }).count
    }

    private static func call<C: ExprContext>(_ name: String, _ args: [Expr], _ ctx: C) -> XValue {
        func arg(_ i: Int) -> XValue { args[i].evaluate(in: ctx) }
        switch name {
        case "if": return args[0].isTrue(in: ctx) ? arg(1) : arg(2)
        case "not": return .bool(!args[0].isTrue(in: ctx))
        case "true": return .bool(true)
        case "false": return .bool(false)
        case "boolean": return .bool(arg(0).asBool)
        case "string": return .string(arg(0).asString)
        case "number": return .number(arg(0).asNumber)
        case "int":
            let n = arg(0).asNumber
            return .number(n.isFinite ? n.rounded(.towardZero) : n)
        case "round":
            let n = arg(0).asNumber
            let digits = args.count > 1 ? arg(1).asNumber : 0
            guard n.isFinite, digits.isFinite else { return .number(n) }
            let scale = pow(10, digits.rounded(.towardZero))
            return .number((n * scale + 0.5).rounded(.down) / scale)
        case "floor": return .number(arg(0).asNumber.rounded(.down))
        case "ceiling": return .number(arg(0).asNumber.rounded(.up))
        case "abs": return .number(abs(arg(0).asNumber))
        case "pow": return .number(pow(arg(0).asNumber, arg(1).asNumber))
        case "min", "max":
            let values = args.flatMap { e -> [Double] in
                if case .list(let l) = e.evaluate(in: ctx) { return l.map(XValue.number(from:)) }
                return [e.evaluate(in: ctx).asNumber]
            }
            if values.isEmpty || values.contains(where: \.isNaN) { return .number(.nan) }
            return .number(name == "min" ? values.min()! : values.max()!)
        case "selected": return .bool(selected(arg(0).asString, arg(1).asString.trimmingSpaces))
        case "count-selected": return .number(Double(countSelected(arg(0).asString)))
        case "selected-at":
            let t = tokens(arg(0))
            let i = Int(arg(1).asNumber.isFinite ? arg(1).asNumber : -1)
            return .string(i >= 0 && i < t.count ? String(t[i]) : "")
        case "string-length": return .number(Double(arg(0).asString.count))
        case "normalize-space":
            return .string(arg(0).asString.split(whereSeparator: \.isWhitespace).joined(separator: " "))
        case "regex":
            let s = arg(0).asString
            guard let re = regexCache.regex(arg(1).asString) else { return .bool(false) }
            return .bool(re.firstMatch(in: s, range: NSRange(s.startIndex..., in: s)) != nil)
        case "pulldata":
            return ctx.pull(instance: arg(0).asString, column: arg(1).asString, keyColumn: arg(2).asString, key: arg(3).asString)
        case "coalesce":
            let a = arg(0)
            return a.asString.isEmpty ? arg(1) : a
        case "concat":
            return .string(args.map { e -> String in
                if case .list(let l) = e.evaluate(in: ctx) { return l.joined() }
                return e.evaluate(in: ctx).asString
            }.joined())
        case "contains": return .bool(arg(0).asString.contains(arg(1).asString) || arg(1).asString.isEmpty)
        case "starts-with": return .bool(arg(0).asString.hasPrefix(arg(1).asString))
        case "ends-with": return .bool(arg(0).asString.hasSuffix(arg(1).asString))
        case "substr":
            let s = Array(arg(0).asString)
            let start = max(0, Int(clamping: arg(1).asNumber))
            let end = args.count > 2 ? min(s.count, Int(clamping: arg(2).asNumber)) : s.count
            return .string(start < end ? String(s[start..<end]) : "")
        case "count":
            switch arg(0) {
            case .list(let l): return .number(Double(l.count))
            case let v: return .number(v.asString.isEmpty ? 0 : 1)
            }
        case "sum":
            switch arg(0) {
            case .list(let l): return .number(l.reduce(0) { $0 + XValue.number(from: $1) })
            case let v: return .number(v.asNumber)
            }
        case "today":
            let localMs = ctx.nowMs + Int64(ctx.utcOffsetSeconds) * 1000
            return .string(DateText.date(days: Int((Double(localMs) / 86_400_000).rounded(.down))))
        case "now":
            return .string(Timestamp.iso(ms: ctx.nowMs, utcOffsetSeconds: ctx.utcOffsetSeconds))
        case "date":
            let v = arg(0)
            if case .number(let n) = v, n.isFinite { return .string(DateText.date(days: Int(n.rounded(.down)))) }
            let n = v.asNumber
            return n.isFinite ? .string(DateText.date(days: Int(n.rounded(.down)))) : .string("")
        case "uuid": return .string(UUID().uuidString.lowercased())
        default: return .string("")
        }
    }
}

extension Int {
    init(clamping d: Double) {
        if d.isNaN { self = 0 } else if d >= Double(Int.max) { self = .max }
        else if d <= Double(Int.min) { self = .min } else { self = Int(d) }
    }
}

/// ISO 8601 timestamps with a local offset, as ODK writes `now()`.
public enum Timestamp {
    public static func iso(ms: Int64, utcOffsetSeconds: Int) -> String {
        let local = ms + Int64(utcOffsetSeconds) * 1000
        let days = Int((Double(local) / 86_400_000).rounded(.down))
        var rest = Int(local - Int64(days) * 86_400_000)
        let h = rest / 3_600_000; rest %= 3_600_000
        let m = rest / 60_000; rest %= 60_000
        let s = rest / 1000, milli = rest % 1000
        let off = abs(utcOffsetSeconds)
        let sign = utcOffsetSeconds < 0 ? "-" : "+"
        return DateText.date(days: days) + "T" + DateText.pad(h, 2) + ":" + DateText.pad(m, 2) + ":"
            + DateText.pad(s, 2) + "." + DateText.pad(milli, 3)
            + sign + DateText.pad(off / 3600, 2) + ":" + DateText.pad(off % 3600 / 60, 2)
    }
}
