import Foundation
import Forms
import GRDB

/// A form held by the store, as `forms list` shows it.
public struct FormSummary: Sendable, Hashable {
    public var id: String
    public var version: String
    public var title: String
    public var records: Int
}

public enum FormAddResult: Sendable, Equatable {
    case added, unchanged
}

extension Store {
    /// Adds a loaded form (its id and version from settings).
    /// - Returns: `.unchanged` when the same definition is already held.
    /// - Throws: `StoreError.formChanged` when the id and version are held
    ///   with another definition: a changed form needs a new version.
    @discardableResult
    public func addForm(_ form: Form) throws(StoreError) -> FormAddResult {
        let text = Self.canonicalDefinition(form.definition)
        let at = now()
        return try write { db in
            if let existing = try String.fetchOne(
                db, sql: "SELECT definition FROM forms WHERE form_id = ? AND version = ?",
                arguments: [form.id, form.version]) {
                if existing == text { return .unchanged }
                throw StoreError.formChanged(id: form.id, version: form.version)
            }
            try db.execute(
                sql: "INSERT INTO forms (form_id, version, title, definition, added_at) VALUES (?, ?, ?, ?, ?)",
                arguments: [form.id, form.version, form.title, text, at])
            return .added
        }
    }

    static func canonicalDefinition(_ d: FormDefinition) -> String {
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        return String(decoding: (try? enc.encode(d)) ?? Data(), as: UTF8.self)
    }

    public func forms() throws(StoreError) -> [FormSummary] {
        try read { db in
            try Row.fetchAll(db, sql: """
                SELECT f.form_id, f.version, f.title,
                       (SELECT count(*) FROM records r WHERE r.form_id = f.form_id AND r.form_version = f.version
                        AND r.deleted = 0) AS n
                FROM forms f ORDER BY f.form_id, f.added_at
                """).map { FormSummary(id: $0[0], version: $0[1], title: $0[2], records: $0[3]) }
        }
    }

    /// The form `id` at `version`, or its most recently added version.
    /// - Throws: `StoreError.unknownForm`.
    public func form(id: String, version: String? = nil) throws(StoreError) -> Form {
        let text: String? = try read { db in
            if let version {
                return try String.fetchOne(db, sql: "SELECT definition FROM forms WHERE form_id = ? AND version = ?",
                                           arguments: [id, version])
            }
            return try String.fetchOne(db, sql: "SELECT definition FROM forms WHERE form_id = ? ORDER BY added_at DESC, rowid DESC LIMIT 1",
                                       arguments: [id])
        }
        guard let text else { throw .unknownForm(id: version.map { "\(id) version \($0)" } ?? id) }
        do {
            return try Form.load(json: Data(text.utf8))
        } catch {
            throw .database("the stored form \(id) no longer loads: \(error.problems.first.map(String.init(describing:)) ?? "")")
        }
    }
}
