/// The merged state of one record, computed from all of its versions.
public struct RecordState: Hashable, Sendable {
    public var record: String
    /// Every field's state, meta fields (`_status`, `_deleted`) included.
    public var fields: [String: FieldState]

    public init<S: Sequence>(record: String, versions: S) where S.Element == Version {
        self.record = record
        var grouped: [String: [Version]] = [:]
        for v in versions where v.record == record {
            grouped[v.field, default: []].append(v)
        }
        fields = grouped.mapValues { FieldState(versions: $0) }
    }

    /// Shown values of the question fields (meta fields left out); a cleared
    /// field is absent.
    public var values: [String: String] {
        var out: [String: String] = [:]
        for (field, state) in fields where !MetaField.isMeta(field) {
            if let v = state.value { out[field] = v }
        }
        return out
    }

    public var status: String? {
        fields[MetaField.status]?.value.flatMap(Self.unquote)
    }

    public var isDeleted: Bool { fields[MetaField.deleted]?.value == "true" }

    /// Fields whose heads disagree, plus `_deleted` when a delete did not see
    /// an edit made at the same time (a concurrent delete and edit).
    public var conflicts: [String] {
        var out = fields.filter { $0.value.isConflict }.map(\.key)
        if isDeleted && !out.contains(MetaField.deleted) && deleteMissedEdits {
            out.append(MetaField.deleted)
        }
        return out.sorted()
    }

    /// True when some field head was not named by any delete version: an edit
    /// the deleting person never saw.
    public var deleteMissedEdits: Bool { !missedByDelete.isEmpty }

    /// Heads of other fields that no delete head names as a parent: edits
    /// made at the same time as the delete, in no particular order
    /// (`conflictVersions` puts them in the canonical one).
    public var missedByDelete: [Version] {
        guard let deletes = fields[MetaField.deleted] else { return [] }
        var seen: Set<VersionID> = []
        for head in deletes.heads { seen.formUnion(head.parents) }
        return fields.filter { $0.key != MetaField.deleted }.values
            .flatMap(\.heads).filter { !seen.contains($0.id) }
    }

    /// The versions a conflict of `field` shows, in the one order every
    /// device prints (docs/sync-protocol.md, "Canonical order"): the shown
    /// version first, then the others newest first by clock, then site id.
    /// For `_deleted` with a single delete head: the delete, then the edits
    /// it did not see.
    public func conflictVersions(of field: String) -> [Version] {
        guard let state = fields[field], let shown = state.winner else { return [] }
        var others = Array(state.heads.dropFirst())
        if field == MetaField.deleted && state.heads.count < 2 { others += missedByDelete }
        return [shown] + others.sorted { $0.clock > $1.clock }
    }

    /// The ids a new version of `field` must name as parents: its current heads.
    public func parents(of field: String) -> [VersionID] {
        (fields[field]?.heads ?? []).map(\.id).sorted()
    }

    /// The parents of a delete (or restore): the heads of every field, so
    /// that an edit the deleter did not see shows up as a conflict.
    public func parentsForDelete() -> [VersionID] {
        fields.values.flatMap { $0.heads.map(\.id) }.sorted()
    }

    private static func unquote(_ json: String) -> String? {
        guard json.count >= 2, json.first == "\"", json.last == "\"" else { return nil }
        return String(json.dropFirst().dropLast())
    }
}
