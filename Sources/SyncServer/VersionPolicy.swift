import Forms
import Foundation
import Sync

/// Published forms, loaded once each (forms never change under an id and version).
final class FormCache: @unchecked Sendable {
    private var forms: [String: Form] = [:]
    private let lock = NSLock()
    let storage: any ServerStorage

    init(storage: any ServerStorage) { self.storage = storage }

    func form(id: String, version: String) async throws -> Form? {
        let key = id + "\u{1}" + version
        if let f = lock.withLock({ forms[key] }) { return f }
        guard let published = try await storage.form(id: id, version: version),
              let form = try? Form.load(json: Data(published.definition.utf8)) else { return nil }
        lock.withLock { forms[key] = form }
        return form
    }
}

/// The checks every pushed version passes before it enters the set.
enum VersionRules {
    /// A record's status is its writer's; reviews are `_review`.
    static let statuses: Set<String> = ["draft", "finalized"]
    static let maxValueBytes = 64 * 1024

    /// The reason to refuse `v` from `device` of `user`, or nil. Messages name
    /// ids and fields, never values.
    static func check(_ v: Version, owner: String?, device: DeviceRecord, user: UserRecord, forms: [String: Form], now: Int64) -> Message? {
        writerProblem(v, device: device, user: user, now: now) ?? ownerProblem(v, owner: owner, user: user)
            ?? contentProblem(v, user: user, forms: forms)
    }

    /// The one check that needs the stored record (its owner); the others
    /// run before a push enters the storage's transaction, outside the
    /// single writer.
    static func ownerProblem(_ v: Version, owner: String?, user: UserRecord) -> Message? {
        if let owner, owner != user.name, !user.role.seesAll {
            return Message(.rejectNotOwner, ["record": .text(v.record), "owner": .text(owner)])
        }
        return nil
    }

    /// Who wrote the version and when.
    static func writerProblem(_ v: Version, device: DeviceRecord, user: UserRecord, now: Int64) -> Message? {
        if !device.speaksFor(v.id.site) {
            return Message(.rejectNotThisSite, ["version": .text(v.id.description), "site": .text(v.id.site.rawValue), "device": .text(device.site.rawValue)])
        }
        if v.author != user.name {
            return Message(.rejectOtherAuthor, ["version": .text(v.id.description), "user": .text(user.name)])
        }
        if v.clock.ms > now + WireProtocol.maxClockAheadMs {
            let minutes = (v.clock.ms - now) / 60_000
            return Message(.rejectClockAhead, ["minutes": .int(Int(minutes))])
        }
        return nil
    }

    /// The version against its form: a field it has, an answer it accepts.
    static func contentProblem(_ v: Version, user: UserRecord, forms: [String: Form]) -> Message? {
        contentProblem(v, user: user, form: forms[v.form + "\u{1}" + v.formVersion])
    }

    /// The same, with the version's form looked up already (a changeset's
    /// versions share one).
    static func contentProblem(_ v: Version, user: UserRecord, form: Form?) -> Message? {
        guard let form else {
            return Message(.rejectFormNotPublished, ["form": .text(v.form), "version": .text(v.formVersion)])
        }
        if (v.value?.utf8.count ?? 0) > maxValueBytes { return Message(.rejectTooLarge, ["field": .text(v.field), "bytes": .int(maxValueBytes)]) }
        switch v.field {
        case MetaField.status:
            guard let value = v.value, value.hasPrefix("\""), value.hasSuffix("\""),
                  statuses.contains(String(value.dropFirst().dropLast()))
            else { return Message(.rejectStatus) }
            return nil
        case MetaField.review:
            guard let review = Review.parse(v.value) else {
                return Message(.rejectReviewShape)
            }
            if !user.role.seesAll && review.state != .corrected {
                return Message(.rejectRoleCannotReview, ["role": .text(user.role.rawValue)])
            }
            for name in (review.fields?.keys ?? [:].keys).sorted() where form.questions[FormRules.name(of: name)] == nil {
                return Message(.rejectReviewField, ["record": .text(v.record), "name": .text(name), "form": .text(form.id)])
            }
            return nil
        case MetaField.deleted:
            return v.value == "true" || v.value == "false" ? nil : Message(.rejectDeleted)
        default:
            let name = FormRules.name(of: v.field)
            guard let q = form.questions[name],
                  q.repeats.count == v.field.filter({ $0 == "[" }).count
            else { return Message(.rejectNotAQuestion, ["field": .text(v.field), "form": .text(form.id), "version": .text(form.version)]) }
            guard let json = v.value else { return nil }
            guard let answer = Answer(json: json) else { return Message(.rejectNotAnAnswer, ["field": .text(v.field)]) }
            var normalized = answer
            if case .integer(let i) = answer, q.type == .decimal { normalized = .decimal(Double(i)) }
            if let reason = normalized.problem(for: q) { return Message(.rejectField, ["field": .text(v.field), "reason": .message(reason)]) }
            if q.type.hasChoices {
                let names = ChoiceNames.shared.names(form, q)
                let picked: [String]
                switch normalized {
                case .text(let s): picked = [s]
                case .choices(let c): picked = c
                default: picked = []
                }
                if picked.contains(where: { !names.contains($0) }) {
                    return Message(.rejectField, ["field": .text(v.field), "reason": .message(Message(.answerNotOffered, ["list": .text(q.listName ?? "")]))])
                }
            }
            return nil
        }
    }
}

/// Choice names per form and list, computed once: a push checks thousands
/// of select answers against the same lists.
final class ChoiceNames: @unchecked Sendable {
    static let shared = ChoiceNames()
    private var cache: [String: Set<String>] = [:]
    private let lock = NSLock()

    func names(_ form: Form, _ q: Question) -> Set<String> {
        let key = form.id + "\u{1}" + form.version + "\u{1}" + (q.listName ?? "")
        if let hit = lock.withLock({ cache[key] }) { return hit }
        let names = Set(form.choices(for: q).map(\.name))
        lock.withLock { cache[key] = names }
        return names
    }
}
