/// The identity of one version: the site that wrote it and that site's
/// sequence number. Written `SITE-SEQ`, e.g. `3fa2c4d1e0b9a877-42`.
public struct VersionID: Hashable, Sendable, Codable, Comparable, CustomStringConvertible {
    public var site: SiteID
    public var seq: Int64

    public init(site: SiteID, seq: Int64) {
        self.site = site
        self.seq = seq
    }

    /// Parses `SITE-SEQ`, else nil.
    public init?(_ text: String) {
        guard let dash = text.firstIndex(of: "-"),
              let site = SiteID(String(text[..<dash])),
              let seq = Int64(text[text.index(after: dash)...]), seq > 0
        else { return nil }
        self.init(site: site, seq: seq)
    }

    public var description: String { "\(site.rawValue)-\(seq)" }

    public static func < (a: VersionID, b: VersionID) -> Bool {
        a.site != b.site ? a.site < b.site : a.seq < b.seq
    }

    public init(from decoder: any Decoder) throws {
        let raw = try decoder.singleValueContainer().decode(String.self)
        guard let id = VersionID(raw) else {
            throw DecodingError.dataCorrupted(.init(
                codingPath: decoder.codingPath, debugDescription: "a version id is SITE-SEQ"))
        }
        self = id
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }
}
