/// A parsed XLSForm expression (the XPath subset ODK forms use).
public indirect enum Expr: Hashable, Sendable {
    case number(Double)
    case string(String)
    /// `${name}`: the answer of another question.
    case ref(String)
    /// `.`: the answer being checked (constraints).
    case current
    /// A bare name: a column of the choices sheet (choice_filter only).
    case column(String)
    case negate(Expr)
    case binary(BinaryOp, Expr, Expr)
    case call(String, [Expr])
    /// `instance('x')/root/item[predicate]/column`: the rows of the choice
    /// list or form file `x` the predicate keeps (bare names in it are the
    /// row's columns), and one column of each (else their names).
    case instance(String, predicate: Expr?, column: String?)

    /// Every `${name}` the expression reads.
    public var references: [String] {
        switch self {
        case .ref(let n): return [n]
        case .negate(let e): return e.references
        case .binary(_, let l, let r): return l.references + r.references
        case .call(_, let args): return args.flatMap(\.references)
        case .instance(_, let p, _): return p?.references ?? []
        default: return []
        }
    }

    /// Every list or file `instance('x')` reads.
    public var instances: [String] {
        switch self {
        case .negate(let e): return e.instances
        case .binary(_, let l, let r): return l.instances + r.instances
        case .call(_, let args): return args.flatMap(\.instances)
        case .instance(let id, let p, _): return [id] + (p?.instances ?? [])
        default: return []
        }
    }

    /// Every function the expression calls.
    public var functions: [String] {
        switch self {
        case .negate(let e): return e.functions
        case .binary(_, let l, let r): return l.functions + r.functions
        case .call(let name, let args): return [name] + args.flatMap(\.functions)
        case .instance(_, let p, _): return p?.functions ?? []
        default: return []
        }
    }

    /// The first argument of every call of `name` (for pulldata's file).
    public func firstArguments(of name: String) -> [Expr] {
        switch self {
        case .negate(let e): return e.firstArguments(of: name)
        case .binary(_, let l, let r): return l.firstArguments(of: name) + r.firstArguments(of: name)
        case .call(let n, let args): return (n == name ? Array(args.prefix(1)) : []) + args.flatMap { $0.firstArguments(of: name) }
        case .instance(_, let p, _): return p?.firstArguments(of: name) ?? []
        default: return []
        }
    }

    /// Every bare choice-column name the expression reads.
    public var columns: [String] {
        switch self {
        case .column(let n): return [n]
        case .negate(let e): return e.columns
        case .binary(_, let l, let r): return l.columns + r.columns
        case .call(_, let args): return args.flatMap(\.columns)
        default: return []
        }
    }
}

public enum BinaryOp: String, Hashable, Sendable {
    case or, and
    case eq = "=", ne = "!="
    case lt = "<", le = "<=", gt = ">", ge = ">="
    case add = "+", sub = "-", mul = "*", div, mod
}

/// Why an expression could not be parsed; `offset` counts characters.
public struct ExprSyntaxError: Error, Hashable, Sendable, CustomStringConvertible {
    public var message: String
    public var offset: Int
    public var description: String { "\(message) at character \(offset + 1)" }
}
