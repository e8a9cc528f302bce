import Words
import Foundation

/// A supervisor's verdict on a finalized record, or the enumerator's
/// correction of a returned one: the value of the record's `_review` field.
/// It syncs like any answer (a signed version with its own history);
/// concurrent verdicts are heads with different values, a conflict.
///
/// The value is canonical JSON: keys sorted, absent parts left out, so two
/// devices writing the same verdict write the same text.
public struct Review: Hashable, Sendable, Codable {
    public enum State: String, Sendable, Codable, CaseIterable {
        /// Finalized and waiting for review (also what a reopened verdict says).
        case received
        case approved
        /// Returned to the enumerator, with a comment.
        case hasIssues = "has_issues"
        case rejected
        /// Edited and finalized again by the enumerator after `hasIssues`.
        case corrected
    }

    public var state: State
    /// The comment for the whole record.
    public var comment: String?
    /// Comments per field (a question's name, or a repeat's field path).
    public var fields: [String: String]?

    public init(state: State, comment: String? = nil, fields: [String: String]? = nil) {
        self.state = state
        self.comment = comment?.isEmpty == true ? nil : comment
        self.fields = fields?.isEmpty == true ? nil : fields
    }

    /// Bounds on what a review may hold (a comment is a few sentences).
    public static let maxComment = 2000
    public static let maxFields = 200
    public static let maxFieldName = 200

    /// What is wrong with this review, or nil. Names no comment text.
    public var problem: Message? {
        if let comment, comment.count > Self.maxComment { return Message(.reviewCommentTooLong, ["max": .int(Self.maxComment)]) }
        if (state == .hasIssues || state == .rejected) && comment == nil && fields == nil {
            return Message(.reviewNeedsComment)
        }
        if let fields {
            if fields.count > Self.maxFields { return Message(.reviewTooManyFields, ["max": .int(Self.maxFields)]) }
            for (name, text) in fields {
                if name.isEmpty || name.count > Self.maxFieldName || MetaField.isMeta(name) {
                    return Message(.reviewFieldUnnamed)
                }
                if text.isEmpty || text.count > Self.maxComment {
                    return Message(.reviewFieldCommentBad, ["field": .text(name), "max": .int(Self.maxComment)])
                }
            }
        }
        return nil
    }

    /// The canonical JSON text of this review.
    public var json: String {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding strings and a dictionary of strings cannot fail.
        return String(decoding: (try? e.encode(self)) ?? Data(), as: UTF8.self)
    }

    /// Reads a `_review` value (bytes from elsewhere: strict, bounded).
    /// - Returns: nil for anything that is not a review within bounds.
    public static func parse(_ json: String?) -> Review? {
        guard let json, json.utf8.count <= 64 * 1024,
              let r = try? JSONDecoder().decode(Review.self, from: Data(json.utf8)), r.problem == nil
        else { return nil }
        return r
    }

    enum CodingKeys: String, CodingKey { case state, comment, fields }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(state: try c.decode(State.self, forKey: .state),
                  comment: try c.decodeIfPresent(String.self, forKey: .comment),
                  fields: try c.decodeIfPresent([String: String].self, forKey: .fields))
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(state, forKey: .state)
        try c.encodeIfPresent(comment, forKey: .comment)
        try c.encodeIfPresent(fields, forKey: .fields)
    }
}

extension RecordState {
    /// The record's review as shown (the `_review` head that wins), nil when
    /// none was written or the shown value is not a review.
    public var review: Review? { Review.parse(fields[MetaField.review]?.value) }

    /// The review state as people see it: a finalized record nobody has
    /// reviewed is `received`; a draft has none.
    public var reviewState: Review.State? {
        if let review { return review.state }
        return status == "finalized" ? .received : nil
    }
}
