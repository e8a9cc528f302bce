import Foundation
import Sync

/// The golden exchanges and merge scenarios of sync-fixtures/.
public enum Fixtures {
    public struct Exchange: @unchecked Sendable, CustomStringConvertible {
        public var name: String
        public var user: String?
        public var steps: [[String: Any]]
        public var description: String { name }
    }

    public struct Merge: @unchecked Sendable, CustomStringConvertible {
        public var name: String
        public var record: String
        /// Versions as wire JSON objects.
        public var versions: [[String: Any]]
        public var deliveries: [[String]]
        public var values: [String: String]
        public var status: String
        public var deleted: Bool
        public var conflicts: [String]
        public var description: String { name }
    }

    static func files(_ folder: String) -> [String] {
        let dir = Package.path("sync-fixtures/" + folder)
        return ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { $0.hasSuffix(".json") }.sorted()
            .map { dir + "/" + $0 }
    }

    static func object(_ path: String) -> [String: Any] {
        try! JSONSerialization.jsonObject(with: FileManager.default.contents(atPath: path)!) as! [String: Any]
    }

    /// Signature test vectors (sync-fixtures/signatures): keys, messages
    /// and signatures computed by an independent Ed25519 implementation.
    public static var signatures: [[String: Any]] { files("signatures").map(object) }

    public static let exchanges: [Exchange] = files("exchanges").map { path in
        let o = object(path)
        return Exchange(name: o["name"] as! String, user: o["as"] as? String, steps: o["steps"] as! [[String: Any]])
    }

    public static let merges: [Merge] = files("merges").map { path in
        let o = object(path)
        let e = o["expect"] as! [String: Any]
        return Merge(name: o["name"] as! String, record: o["record"] as! String, versions: o["versions"] as! [[String: Any]],
                     deliveries: o["deliveries"] as! [[String]], values: e["values"] as! [String: String],
                     status: e["status"] as! String, deleted: e["deleted"] as! Bool, conflicts: e["conflicts"] as! [String])
    }

    /// Replaces `$NAME` placeholders in every string of a JSON value.
    public static func fill(_ value: Any, _ vars: [String: String]) -> Any {
        switch value {
        case let s as String:
            if let exact = vars[s], s.hasPrefix("$") {
                if let n = Int64(exact), ["$NOW", "$FUTURE"].contains(s) { return n }
                return exact
            }
            var out = s
            for (k, v) in vars.sorted(by: { $0.key.count > $1.key.count }) { out = out.replacingOccurrences(of: k, with: v) }
            return out
        case let a as [Any]: return a.map { fill($0, vars) }
        case let o as [String: Any]: return o.mapValues { fill($0, vars) }
        default: return value
        }
    }

    /// Signs every changeset of a request body whose signature is `$SIGN`
    /// with `identity` (after `fill`): fixtures cannot hold signatures of
    /// content that changes per run (record ids, clocks).
    public static func sign(_ body: Any, with identity: SiteIdentity) -> Any {
        guard var o = body as? [String: Any], let list = o["changesets"] as? [Any] else { return body }
        o["changesets"] = list.map { item -> Any in
            guard var c = item as? [String: Any], c["signature"] as? String == "$SIGN" else { return item }
            // Another site's changeset: well formed, but no key of ours signs it.
            c["signature"] = String(repeating: "0", count: 128)
            guard let data = try? JSONSerialization.data(withJSONObject: c),
                  let decoded = try? JSONDecoder().decode(Changeset.self, from: data),
                  decoded.site == identity.site,
                  let again = try? JSONEncoder().encode(decoded.signed(by: identity)),
                  let object = try? JSONSerialization.jsonObject(with: again) else { return c }
            return object
        }
        return o
    }

    /// Where `actual` differs from `expected` (`$ANY`, `$CONTAINS:` allowed), or nil.
    public static func mismatch(_ expected: Any, _ actual: Any?, at path: String = "") -> String? {
        if let s = expected as? String {
            if s == "$ANY" { return actual == nil ? "\(path): missing" : nil }
            if s.hasPrefix("$CONTAINS:") {
                guard let a = actual as? String, a.contains(s.dropFirst("$CONTAINS:".count)) else { return "\(path): \(String(describing: actual)) lacks \(s)" }
                return nil
            }
            return (actual as? String) == s ? nil : "\(path): expected \(s), got \(String(describing: actual))"
        }
        if let o = expected as? [String: Any] {
            guard let a = actual as? [String: Any] else { return "\(path): expected an object" }
            for (k, v) in o { if let m = mismatch(v, a[k], at: path + "." + k) { return m } }
            if Set(a.keys) != Set(o.keys) { return "\(path): keys \(a.keys.sorted()) instead of \(o.keys.sorted())" }
            return nil
        }
        if let e = expected as? [Any] {
            guard let a = actual as? [Any], a.count == e.count else { return "\(path): expected \(e.count) items, got \(String(describing: actual))" }
            for (i, v) in e.enumerated() { if let m = mismatch(v, a[i], at: "\(path)[\(i)]") { return m } }
            return nil
        }
        if let n = expected as? NSNumber {
            guard let a = actual as? NSNumber, a == n else { return "\(path): expected \(n), got \(String(describing: actual))" }
            return nil
        }
        return nil
    }
}
