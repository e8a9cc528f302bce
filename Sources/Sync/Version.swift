/// One change to one field of one record: the unit that sync moves.
///
/// Versions form a grow-only set. `value` is canonical JSON text (nil clears
/// the field); the rules here never look inside it beyond equality.
public struct Version: Hashable, Sendable, Codable {
    public var id: VersionID
    public var record: String
    public var form: String
    public var formVersion: String
    public var field: String
    public var value: String?
    public var clock: HLC
    /// The versions of the same field this one replaced (the heads its
    /// writer saw). A record delete names the heads of every field.
    public var parents: [VersionID]
    public var author: String

    public init(
        id: VersionID, record: String, form: String, formVersion: String,
        field: String, value: String?, clock: HLC, parents: [VersionID], author: String
    ) {
        self.id = id
        self.record = record
        self.form = form
        self.formVersion = formVersion
        self.field = field
        self.value = value
        self.clock = clock
        self.parents = parents
        self.author = author
    }

    enum CodingKeys: String, CodingKey {
        case id, record, form, formVersion = "form_version", field, value, clock, parents, author
    }
}

/// Fields that belong to the record rather than to a question.
public enum MetaField {
    /// `"true"` when the record is deleted (a tombstone), `"false"` when restored.
    public static let deleted = "_deleted"
    /// The record's status: `"draft"`, `"finalized"`, ...
    public static let status = "_status"
    /// The record's review: a `Review` as canonical JSON (docs/sync-protocol.md, Review).
    public static let review = "_review"

    /// Recolha's own fields; a question may be called `_1` (pyxform allows it).
    public static func isMeta(_ field: String) -> Bool { field == deleted || field == status || field == review }
}
