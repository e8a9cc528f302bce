/// The merged state of one field: its heads, its shown value and whether the
/// heads disagree.
///
/// A function of the set of versions alone, so every replica holding the same
/// versions computes the same state whatever the order they arrived in.
public struct FieldState: Hashable, Sendable {
    /// Versions no other version of this field names as parent, greatest
    /// clock first.
    public var heads: [Version]

    /// Computes the heads of a field from all of its versions (duplicates allowed).
    public init<S: Sequence>(versions: S) where S.Element == Version {
        // Most fields have one version: no tables to build.
        if let one = versions as? [Version], one.count == 1 {
            heads = one[0].parents.contains(one[0].id) ? [] : one
            return
        }
        var byID: [VersionID: Version] = [:]
        var replaced: Set<VersionID> = []
        for v in versions {
            byID[v.id] = v
            replaced.formUnion(v.parents)
        }
        heads = byID.values.filter { !replaced.contains($0.id) }.sorted { $0.clock > $1.clock }
    }

    /// The shown version: the head with the greatest clock (then site id).
    public var winner: Version? { heads.first }

    /// The shown value (canonical JSON text), nil when cleared or never set.
    public var value: String? { winner?.value }

    /// More than one head holding different values: a person must choose.
    ///
    /// Heads that agree (two devices both finalized, both typed "yes") are not
    /// a conflict; the next edit names them all as parents.
    public var isConflict: Bool {
        guard let first = heads.first else { return false }
        return heads.dropFirst().contains { $0.value != first.value }
    }
}
