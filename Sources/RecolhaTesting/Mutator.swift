import Foundation

/// Seeded inputs for fuzz tests: mutations of real seeds (bit flips,
/// inserted, deleted and repeated bytes, hostile tokens, splices) and
/// generated JSON trees. The same seed gives the same inputs, so a failure
/// names the input that caused it.
public struct Mutator {
    var random: SeededRandom

    public init(seed: UInt64) { random = SeededRandom(seed: seed &+ 0x9E37_79B9_7F4A_7C15) }

    public mutating func next() -> UInt64 { random.next() }

    public mutating func int(_ n: Int) -> Int { n <= 0 ? 0 : Int(next() % UInt64(n)) }

    /// Byte strings that break hand-written parsers.
    public static let tokens: [String] = [
        "\"\\ud800\\u0041\"", "\\ud800", "\\udc00", "\\u0000", "\\uD83D\\uDE00", "\\u", "\\x", "\\", "\"", "\u{0}",
        "1e999", "-1e-999", "-", "0x10", "NaN", "Infinity", "-0", "00", "1.", ".5", "9223372036854775808",
        "[", "]", "{", "}", ":", ",", "null", "true", "false", "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
        "${", "}", "(", ")", "'", "‘other’", "/data/", "..", "not(", "selected(", "if(", "concat(", " and ", " or ", "div", "mod",
        "\u{FEFF}", "\u{202E}", "é", "\u{10FFFF}", String(repeating: "a", count: 300),
    ].map { $0 }

    /// One mutation (or a few) of `seed`, spliced with `other` sometimes.
    public mutating func mutate(_ seed: [UInt8], other: [UInt8] = []) -> [UInt8] {
        var b = seed
        for _ in 0...int(4) {
            switch int(8) {
            case 0 where !b.isEmpty:
                let i = int(b.count); b[i] ^= UInt8(1 << int(8))
            case 1:
                b.insert(UInt8(truncatingIfNeeded: next()), at: int(b.count + 1))
            case 2 where !b.isEmpty:
                let i = int(b.count); let n = min(b.count - i, 1 + int(16)); b.removeSubrange(i..<(i + n))
            case 3:
                let t = Array(Self.tokens[int(Self.tokens.count)].utf8); b.insert(contentsOf: t, at: int(b.count + 1))
            case 4 where !b.isEmpty:
                let i = int(b.count); let n = min(b.count - i, 1 + int(32))
                let chunk = Array(b[i..<(i + n)]); b.insert(contentsOf: chunk, at: int(b.count + 1))
            case 5 where !other.isEmpty && !b.isEmpty:
                let cut = int(b.count), from = int(other.count)
                b = Array(b[..<cut]) + Array(other[from...])
            case 6 where !b.isEmpty:
                let i = int(b.count); b[i] = [0x00, 0x22, 0x5C, 0x7B, 0x7D, 0x5B, 0x5D, 0xFF, 0xC3, 0xED, 0x80][int(11)]
            default:
                if !b.isEmpty { b.removeLast(min(b.count, 1 + int(8))) }
            }
        }
        return b
    }

    /// A random JSON text: objects, arrays, strings with escapes (valid and
    /// not), numbers at the edges.
    public mutating func json(depth: Int = 0) -> String {
        switch depth > 4 ? 2 + int(4) : int(7) {
        case 0:
            var parts: [String] = []
            let n = int(5)
            for _ in 0..<n { let k = string(); parts.append(k + ":" + json(depth: depth + 1)) }
            return "{" + parts.joined(separator: ",") + "}"
        case 1:
            var parts: [String] = []
            let n = int(5)
            for _ in 0..<n { parts.append(json(depth: depth + 1)) }
            return "[" + parts.joined(separator: ",") + "]"
        case 2, 3: return string()
        case 4: return ["0", "-0", "1", "-1", "1.5", "1e308", "1e309", "-1e-400", "123456789012345678901234567890", "0.1", "3"][int(11)]
        case 5: return ["true", "false", "null"][int(3)]
        default: return String(int(100_000))
        }
    }

    public mutating func string() -> String {
        var s = "\""
        let n = int(12)
        for _ in 0..<n {
            switch int(10) {
            case 0: s += ["\\n", "\\t", "\\\"", "\\\\", "\\/", "\\b", "\\f", "\\r"][int(8)]
            case 1: s += String(format: "\\u%04x", int(0x10000))
            case 2: s += "\\ud83d\\ude00"
            case 3: s += ["\\ud800", "\\udfff", "\\ud800\\u0041", "\\ud800\\ud800"][int(4)]
            case 4: s += ["é", "ã", "ç", "\u{1F600}", "中"][int(5)]
            default: s += String(UnicodeScalar(UInt8(97 + int(26))))
            }
        }
        return s + "\""
    }
}
