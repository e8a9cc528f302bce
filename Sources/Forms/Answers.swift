/// The answers of one record, keyed by field path.
///
/// A path is the question's name, prefixed by the repeat instances around it:
/// `facility_name`, `staff[m3k9x2a1001f3c2].cadre`. Names are unique in a
/// form, so groups need not appear in paths. Instance keys sort in the order
/// the instances were added.
public struct Answers: Hashable, Sendable {
    public var values: [String: Answer]

    public init(_ values: [String: Answer] = [:]) {
        self.values = values
    }

    public subscript(path: String) -> Answer? {
        get { values[path] }
        set { values[path] = newValue }
    }

    /// The keys of the instances of `repeatName` under `prefix`, in order.
    public func instances(of repeatName: String, under prefix: String) -> [String] {
        let start = prefix + repeatName + "["
        var keys: Set<String> = []
        for path in values.keys where path.hasPrefix(start) {
            let rest = path.dropFirst(start.count)
            if let close = rest.firstIndex(of: "]") { keys.insert(String(rest[..<close])) }
        }
        return keys.sorted()
    }

    /// The path as a person writes it: each instance key replaced by the
    /// instance's position from 1 (`staff[2].cadre`).
    public func positional(_ path: String) -> String {
        guard path.contains("[") else { return path }
        var out = ""
        var prefix = ""
        var rest = Substring(path)
        while let open = rest.firstIndex(of: "["), let close = rest[open...].firstIndex(of: "]") {
            let name = String(rest[..<open])
            let key = String(rest[rest.index(after: open)..<close])
            let n = instances(of: name, under: prefix).firstIndex(of: key).map { String($0 + 1) } ?? key
            out += name + "[" + n + "]"
            prefix = Answers.prefix(prefix, repeat: name, key: key)
            rest = rest[rest.index(after: close)...]
            if rest.first == "." { out += "."; rest = rest.dropFirst() }
        }
        return out + rest
    }

    /// The prefix of the paths inside one repeat instance.
    public static func prefix(_ parent: String, repeat name: String, key: String) -> String {
        parent + name + "[" + key + "]."
    }
}

/// Keys for new repeat instances: sortable by when they were added, with a
/// random tail so two devices adding at once never collide.
public enum RepeatKey {
    public static func make(ms: Int64, index: Int = 0) -> String {
        var g = SystemRandomNumberGenerator()
        return make(ms: ms, index: index, using: &g)
    }

    public static func make<G: RandomNumberGenerator>(ms: Int64, index: Int, using g: inout G) -> String {
        let time = String(max(ms, 0), radix: 36)
        let idx = String(index, radix: 36)
        let tail = String(UInt32.random(in: 0..<0x100000, using: &g), radix: 16)
        return String(repeating: "0", count: max(0, 9 - time.count)) + time
            + String(repeating: "0", count: max(0, 3 - idx.count)) + idx
            + String(repeating: "0", count: max(0, 5 - tail.count)) + tail
    }
}
