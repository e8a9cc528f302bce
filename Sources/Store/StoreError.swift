import Forms

/// Everything the store refuses, each with what to do about it.
///
/// Messages name records, forms and fields but never quote an answer:
/// this is health data.
public enum StoreError: Error, Sendable, CustomStringConvertible {
    /// No store file at the path.
    case missing(path: String)
    /// The file exists but is not a SQLite database, or not Recolha's.
    case notAStore(path: String)
    /// A newer Recolha migrated this store.
    case newerStore(path: String)
    /// The file or its folder cannot be created, opened or written.
    case cannotOpen(path: String, reason: String)
    case diskFull(path: String)
    case notInitialized(path: String)
    case alreadyInitialized(path: String, enumerator: String)
    case unknownForm(id: String)
    case unknownRecord(id: String)
    case ambiguousRecord(prefix: String, matches: Int)
    case recordDeleted(id: String)
    case formMismatch(record: String, form: String)
    /// A form id and version already held with a different definition.
    case formChanged(id: String, version: String)
    /// Answers that break the form's rules; nothing was written.
    case invalid([AnswerProblem], finalizing: Bool)
    /// A review this device may not write, or of a record that cannot take it.
    case reviewRefused(String)
    /// Any other SQLite failure.
    case database(String)

    public var description: String {
        switch self {
        case .missing(let p):
            return "no Recolha store at \(p): run `recolha init --enumerator NAME` first, or pass --store PATH"
        case .notAStore(let p):
            return "\(p) is not a Recolha store: pass --store with the path of a store made by `recolha init`"
        case .newerStore(let p):
            return "\(p) was written by a newer Recolha: upgrade recolha to open it (nothing was changed)"
        case .cannotOpen(let p, let r):
            return "cannot open the store \(p): \(r): check the path and its permissions"
        case .diskFull(let p):
            return "the disk holding \(p) is full: nothing was saved; free some space and try again"
        case .notInitialized(let p):
            return "the store \(p) has no device yet: run `recolha init --enumerator NAME`"
        case .alreadyInitialized(let p, let e):
            return "the store \(p) is already set up for enumerator \(e): nothing was changed"
        case .unknownForm(let id):
            return "no form \(id) in this store: add it with `recolha forms add FILE` (see `recolha forms list`)"
        case .unknownRecord(let id):
            return "no record \(id) in this store: see `recolha list`"
        case .ambiguousRecord(let p, let n):
            return "\(n) records start with \(p): give more of the record id"
        case .recordDeleted(let id):
            return "record \(id) is deleted: nothing was changed"
        case .formMismatch(let r, let f):
            return "record \(r) belongs to form \(f), not the one given"
        case .formChanged(let id, let v):
            return "form \(id) version \(v) is already in the store with a different definition: give the changed form a new version in its settings sheet"
        case .invalid(let problems, let finalizing):
            let head = finalizing
                ? "cannot finalize: \(problems.count) problem\(problems.count == 1 ? "" : "s"), nothing was saved"
                : "\(problems.count) problem\(problems.count == 1 ? "" : "s") with the answers, nothing was saved"
            return head + ":\n" + problems.map { "  \($0)" }.joined(separator: "\n")
        case .reviewRefused(let m):
            return m + ": nothing was changed"
        case .database(let m):
            return "the store failed: \(m)"
        }
    }
}
