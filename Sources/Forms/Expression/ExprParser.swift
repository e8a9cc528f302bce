/// Parses XLSForm expressions: `${name}`, `.`, numbers, strings, + - * div
/// mod, = != < <= > >=, and, or, function calls and parentheses.
///
/// Precedence follows XPath 1.0: or < and < equality < relational <
/// additive < multiplicative < unary minus.
public struct ExprParser {
    enum Token: Equatable {
        case number(Double)
        case string(String)
        case ref(String)
        case name(String)
        case dot
        case op(String)
        case lparen, rparen, comma
        /// `/`, `[` and `]`: only in `instance('x')/root/item[...]/column`.
        case slash, lbracket, rbracket
        case end
    }

    private var tokens: [(Token, Int)] = []
    private var pos = 0

    /// Parses one expression.
    /// - Throws: `ExprSyntaxError` naming what is wrong and where.
    public static func parse(_ text: String) throws(ExprSyntaxError) -> Expr {
        var p = ExprParser()
        p.tokens = try tokenize(Array(text.unicodeScalars))
        let e = try p.parseOr()
        if case (let t, let at) = p.tokens[p.pos], t != .end {
            throw ExprSyntaxError(message: "unexpected \(describe(t))", offset: at)
        }
        return e
    }

    private static func describe(_ t: Token) -> String {
        switch t {
        case .number(let n): return "number \(n)"
        case .string(let s): return "string '\(s)'"
        case .ref(let r): return "${\(r)}"
        case .name(let n): return "'\(n)'"
        case .dot: return "'.'"
        case .op(let o): return "'\(o)'"
        case .lparen: return "'('"
        case .rparen: return "')'"
        case .comma: return "','"
        case .slash: return "'/'"
        case .lbracket: return "'['"
        case .rbracket: return "']'"
        case .end: return "end of expression"
        }
    }

    private static func isNameStart(_ c: Unicode.Scalar) -> Bool {
        c == "_" || c.properties.isAlphabetic
    }

    private static func isNameChar(_ c: Unicode.Scalar) -> Bool {
        isNameStart(c) || ("0"..."9").contains(c) || c == "-" || c == "." || c == ":"
    }

    private static func tokenize(_ s: [Unicode.Scalar]) throws(ExprSyntaxError) -> [(Token, Int)] {
        var out: [(Token, Int)] = []
        var i = 0
        while i < s.count {
            let c = s[i]
            let start = i
            switch c {
            case " ", "\t", "\n", "\r":
                i += 1
            case "$":
                guard i + 1 < s.count, s[i + 1] == "{" else {
                    throw ExprSyntaxError(message: "'$' must start ${name}", offset: i)
                }
                var j = i + 2
                while j < s.count, s[j] != "}" { j += 1 }
                guard j < s.count else { throw ExprSyntaxError(message: "unclosed ${", offset: i) }
                let name = String(String.UnicodeScalarView(s[(i + 2)..<j])).trimmingSpaces
                guard !name.isEmpty else { throw ExprSyntaxError(message: "empty ${}", offset: i) }
                out.append((.ref(name), start))
                i = j + 1
            case "'", "\"":
                var j = i + 1
                while j < s.count, s[j] != c { j += 1 }
                guard j < s.count else { throw ExprSyntaxError(message: "unclosed string", offset: i) }
                out.append((.string(String(String.UnicodeScalarView(s[(i + 1)..<j]))), start))
                i = j + 1
            case "(": out.append((.lparen, start)); i += 1
            case ")": out.append((.rparen, start)); i += 1
            case ",": out.append((.comma, start)); i += 1
            case "+", "-", "*", "=":
                out.append((.op(String(c)), start)); i += 1
            case "!":
                guard i + 1 < s.count, s[i + 1] == "=" else {
                    throw ExprSyntaxError(message: "'!' must be followed by '='", offset: i)
                }
                out.append((.op("!="), start)); i += 2
            case "<", ">":
                if i + 1 < s.count, s[i + 1] == "=" {
                    out.append((.op(String(c) + "="), start)); i += 2
                } else {
                    out.append((.op(String(c)), start)); i += 1
                }
            case "0"..."9", ".":
                if c == ".", !(i + 1 < s.count && ("0"..."9").contains(s[i + 1])) {
                    if i + 1 < s.count, s[i + 1] == "." {
                        throw ExprSyntaxError(message: "'..' paths are not supported: use ${name}", offset: i)
                    }
                    out.append((.dot, start)); i += 1
                    continue
                }
                var j = i
                var seenDot = false
                while j < s.count, ("0"..."9").contains(s[j]) || (s[j] == "." && !seenDot) {
                    if s[j] == "." { seenDot = true }
                    j += 1
                }
                let text = String(String.UnicodeScalarView(s[i..<j]))
                guard let n = Double(text) else { throw ExprSyntaxError(message: "bad number '\(text)'", offset: i) }
                out.append((.number(n), start))
                i = j
            case "/": out.append((.slash, start)); i += 1
            case "[": out.append((.lbracket, start)); i += 1
            case "]": out.append((.rbracket, start)); i += 1
            default:
                guard isNameStart(c) else {
                    throw ExprSyntaxError(message: "unexpected character '\(c)'", offset: i)
                }
                var j = i + 1
                while j < s.count, isNameChar(s[j]) { j += 1 }
                out.append((.name(String(String.UnicodeScalarView(s[i..<j]))), start))
                i = j
            }
        }
        out.append((.end, s.count))
        return out
    }

    private var current: Token { tokens[pos].0 }
    private var offset: Int { tokens[pos].1 }

    private mutating func binaryOp(_ ops: Set<String>) -> BinaryOp? {
        let text: String
        switch current {
        case .op(let o): text = o
        case .name(let n) where n == "and" || n == "or" || n == "div" || n == "mod": text = n
        default: return nil
        }
        guard ops.contains(text), let op = BinaryOp(rawValue: text) else { return nil }
        pos += 1
        return op
    }

    private mutating func parseLevel(
        _ ops: Set<String>, next: (inout ExprParser) throws(ExprSyntaxError) -> Expr
    ) throws(ExprSyntaxError) -> Expr {
        var lhs = try next(&self)
        while let op = binaryOp(ops) {
            let rhs = try next(&self)
            lhs = .binary(op, lhs, rhs)
        }
        return lhs
    }

    private mutating func parseOr() throws(ExprSyntaxError) -> Expr {
        try parseLevel(["or"]) { (p: inout ExprParser) throws(ExprSyntaxError) in try p.parseAnd() }
    }
    private mutating func parseAnd() throws(ExprSyntaxError) -> Expr {
        try parseLevel(["and"]) { (p: inout ExprParser) throws(ExprSyntaxError) in try p.parseEquality() }
    }
    private mutating func parseEquality() throws(ExprSyntaxError) -> Expr {
        try parseLevel(["=", "!="]) { (p: inout ExprParser) throws(ExprSyntaxError) in try p.parseRelational() }
    }
    private mutating func parseRelational() throws(ExprSyntaxError) -> Expr {
        try parseLevel(["<", "<=", ">", ">="]) { (p: inout ExprParser) throws(ExprSyntaxError) in try p.parseAdditive() }
    }
    private mutating func parseAdditive() throws(ExprSyntaxError) -> Expr {
        try parseLevel(["+", "-"]) { (p: inout ExprParser) throws(ExprSyntaxError) in try p.parseMultiplicative() }
    }
    private mutating func parseMultiplicative() throws(ExprSyntaxError) -> Expr {
        try parseLevel(["*", "div", "mod"]) { (p: inout ExprParser) throws(ExprSyntaxError) in try p.parseUnary() }
    }

    private mutating func parseUnary() throws(ExprSyntaxError) -> Expr {
        if current == .op("-") {
            pos += 1
            return .negate(try parseUnary())
        }
        return try parsePrimary()
    }

    /// `instance('x')/root/item`, then an optional `[predicate]` (bare names
    /// are the item's columns) and an optional `/column`.
    private mutating func parseInstancePath() throws(ExprSyntaxError) -> Expr {
        pos += 2  // instance (
        guard case .string(let id) = current else {
            throw ExprSyntaxError(message: "instance() names its list in quotes, e.g. instance('facilities')", offset: offset)
        }
        pos += 1
        guard current == .rparen else { throw ExprSyntaxError(message: "expected ')'", offset: offset) }
        pos += 1
        for _ in 0..<2 {
            guard current == .slash, case .name = tokens[pos + 1].0 else {
                throw ExprSyntaxError(message: "instance('\(id)') is read as instance('\(id)')/root/item[...]/column", offset: offset)
            }
            pos += 2
        }
        var predicate: Expr?
        if current == .lbracket {
            pos += 1
            predicate = try parseOr()
            guard current == .rbracket else { throw ExprSyntaxError(message: "expected ']'", offset: offset) }
            pos += 1
        }
        var column: String?
        if current == .slash {
            guard case .name(let c) = tokens[pos + 1].0 else { throw ExprSyntaxError(message: "expected a column name after '/'", offset: offset) }
            column = c
            pos += 2
        }
        if current == .slash || current == .lbracket {
            throw ExprSyntaxError(message: "instance('\(id)') is read as instance('\(id)')/root/item[...]/column", offset: offset)
        }
        return .instance(id, predicate: predicate, column: column)
    }

    private mutating func parsePrimary() throws(ExprSyntaxError) -> Expr {
        let at = offset
        switch current {
        case .number(let n): pos += 1; return .number(n)
        case .string(let s): pos += 1; return .string(s)
        case .ref(let r): pos += 1; return .ref(r)
        case .dot: pos += 1; return .current
        case .lparen:
            pos += 1
            let e = try parseOr()
            guard current == .rparen else { throw ExprSyntaxError(message: "expected ')'", offset: offset) }
            pos += 1
            return e
        case .name("instance") where tokens.count > pos + 3 && tokens[pos + 1].0 == .lparen:
            return try parseInstancePath()
        case .name(let n):
            pos += 1
            guard current == .lparen else { return .column(n) }
            pos += 1
            var args: [Expr] = []
            if current != .rparen {
                while true {
                    args.append(try parseOr())
                    if current == .comma { pos += 1; continue }
                    break
                }
            }
            guard current == .rparen else {
                throw ExprSyntaxError(message: "expected ')' or ',' in call to \(n)()", offset: offset)
            }
            pos += 1
            return .call(n, args)
        case .slash:
            throw ExprSyntaxError(message: "XPath paths are not supported: use ${name}, or instance('list')/root/item[...]/column", offset: at)
        case .end:
            throw ExprSyntaxError(message: "expression ends too early", offset: at)
        default:
            throw ExprSyntaxError(message: "unexpected \(Self.describe(current))", offset: at)
        }
    }
}

extension String {
    var trimmingSpaces: String {
        // Most text starts and ends with a visible ASCII character.
        if let f = utf8.first, let l = utf8.last, f > 0x20, f < 0x7F, l > 0x20, l < 0x7F { return self }
        var s = Substring(self)
        while let f = s.first, f.isWhitespace { s.removeFirst() }
        while let l = s.last, l.isWhitespace { s.removeLast() }
        return String(s)
    }
}
