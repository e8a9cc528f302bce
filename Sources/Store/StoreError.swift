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
    case cannotOpen(path: String, reason: Message)
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
    case reviewRefused(Message)
    /// Any other SQLite failure (the detail is technical: SQLite's own words).
    case database(Message)

    public static func database(_ detail: String) -> StoreError { .database(.verbatim(detail)) }

    /// What to say, in the catalogue's words.
    public var message: Message {
        switch self {
        case .missing(let p): return Message(.storeMissing, ["path": .text(p)])
        case .notAStore(let p): return Message(.storeNotAStore, ["path": .text(p)])
        case .newerStore(let p): return Message(.storeNewer, ["path": .text(p)])
        case .cannotOpen(let p, let r): return Message(.storeCannotOpen, ["path": .text(p), "reason": .message(r)])
        case .diskFull(let p): return Message(.storeDiskFull, ["path": .text(p)])
        case .notInitialized(let p): return Message(.storeNotInitialized, ["path": .text(p)])
        case .alreadyInitialized(let p, let e): return Message(.storeAlreadyInitialized, ["path": .text(p), "enumerator": .text(e)])
        case .unknownForm(let id): return Message(.storeUnknownForm, ["form": .text(id)])
        case .unknownRecord(let id): return Message(.storeUnknownRecord, ["record": .text(id)])
        case .ambiguousRecord(let p, let n): return Message(.storeAmbiguousRecord, ["prefix": .text(p), "count": .int(n)])
        case .recordDeleted(let id): return Message(.storeRecordDeleted, ["record": .text(id)])
        case .formMismatch(let r, let f): return Message(.storeFormMismatch, ["record": .text(r), "form": .text(f)])
        case .formChanged(let id, let v): return Message(.storeFormChanged, ["form": .text(id), "version": .text(v)])
        case .invalid(let problems, let finalizing):
            return Message(finalizing ? .storeCannotFinalize : .storeInvalid,
                           ["count": .int(problems.count), "problems": .lines(problems.map(\.worded))])
        case .reviewRefused(let m): return Message(.storeReviewRefused, ["reason": .message(m)])
        case .database(let m): return Message(.storeFailed, ["reason": .message(m)])
        }
    }

    /// In English (logs, tests); `message.localized` for a person.
    public var description: String { message.description }
}
