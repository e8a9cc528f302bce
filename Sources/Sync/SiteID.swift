/// The random identity of one device (or server) that writes versions.
///
/// Sixteen lowercase hex digits: short enough for every version id, random
/// enough (64 bits) that two devices never pick the same.
public struct SiteID: Hashable, Sendable, Codable, Comparable, CustomStringConvertible {
    public let rawValue: String

    /// Accepts 16 lowercase hex digits, else nil.
    public init?(_ rawValue: String) {
        guard rawValue.utf8.count == 16,
              rawValue.utf8.allSatisfy({ ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) })
        else { return nil }
        self.rawValue = rawValue
    }

    /// A fresh random site id.
    public static func random<G: RandomNumberGenerator>(using generator: inout G) -> SiteID {
        let n = UInt64.random(in: .min ... .max, using: &generator)
        let hex = String(n, radix: 16)
        return SiteID(String(repeating: "0", count: 16 - hex.count) + hex)!
    }

    public static func random() -> SiteID {
        var g = SystemRandomNumberGenerator()
        return random(using: &g)
    }

    public static func < (a: SiteID, b: SiteID) -> Bool { a.rawValue < b.rawValue }
    public var description: String { rawValue }

    public init(from decoder: any Decoder) throws {
        let raw = try decoder.singleValueContainer().decode(String.self)
        guard let id = SiteID(raw) else {
            throw DecodingError.dataCorrupted(.init(
                codingPath: decoder.codingPath, debugDescription: "a site id is 16 lowercase hex digits"))
        }
        self = id
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(rawValue)
    }
}
