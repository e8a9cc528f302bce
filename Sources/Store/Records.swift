import Forms
import Sync

/// A record as the store holds it: the merged answers of all its versions.
public struct StoredRecord: Sendable, Hashable {
    public var id: String
    public var formID: String
    public var formVersion: String
    public var status: String
    public var deleted: Bool
    public var answers: Answers
    /// Fields whose versions disagree (and `_deleted` for a delete that
    /// missed a concurrent edit).
    public var conflicts: [String]
    public var author: String
    public var device: String
    public var createdAt: Int64
    public var updatedAt: Int64
    /// The shown review (nil when nobody reviewed it) and the state people
    /// see (`received` for a finalized record nobody reviewed, nil for a draft).
    public var review: Review?
    public var reviewState: Review.State?
}

/// A record without its answers, as `list` shows it.
public struct RecordSummary: Sendable, Hashable {
    public var id: String
    public var formID: String
    public var formVersion: String
    public var status: String
    public var deleted: Bool
    public var conflicts: Int
    public var author: String
    public var updatedAt: Int64
    /// The shown review, nil when nobody reviewed the record.
    public var review: Review?
    /// As people see it: `received` for a finalized record nobody reviewed.
    public var reviewState: Review.State? {
        review?.state ?? (status == RecordStatus.finalized ? .received : nil)
    }
}

/// What to save: the whole set of answers a record should hold.
public struct SaveRequest: Sendable {
    /// The record to change; nil makes a new one.
    public var record: String?
    public var form: Form
    public var answers: Answers
    /// Move the record to `finalized` (all required answers must be there).
    public var finalize: Bool
    /// Clear answers of questions that are not relevant (as ODK does), or
    /// refuse them as problems (an answers file that says something the
    /// form would not ask).
    public var clearIrrelevant: Bool
    /// Paths the person set just now: written even when equal to the shown
    /// value, so that setting a conflicting field resolves it.
    public var touched: Set<String>
    /// Repeat instances that exist without answers yet (`staff[k].`).
    public var openInstances: Set<String>

    public init(record: String? = nil, form: Form, answers: Answers, finalize: Bool = false,
                clearIrrelevant: Bool = true, touched: Set<String> = [], openInstances: Set<String> = []) {
        self.record = record
        self.form = form
        self.answers = answers
        self.finalize = finalize
        self.clearIrrelevant = clearIrrelevant
        self.touched = touched
        self.openInstances = openInstances
    }
}

public struct SaveResult: Sendable, Hashable {
    public var record: String
    /// How many versions the save appended to the change log.
    public var versions: Int
    /// Answers cleared because their questions are no longer relevant.
    public var cleared: [String]
    public var status: String
}

public enum RecordStatus {
    public static let draft = "draft"
    public static let finalized = "finalized"
}
