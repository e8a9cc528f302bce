import ArgumentParser
import Foundation
import Forms
import Store
import Sync
import Words

extension Recolha {
    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List records.")
        @OptionGroup var store: StoreOptions
        @Option(help: "Only records of this form.") var form: String?
        @Option(help: "Only records with this status (draft, finalized).") var status: String?
        @Option(help: "Only records in this review state (received, approved, has_issues, rejected, corrected).")
        var reviewState: RecordReview.State?
        @Flag(help: "Only records a supervisor returned (review state has_issues), with the comments.") var returned = false
        @Flag(help: "Include deleted records.") var deleted = false
        @Flag(help: "Every matching record (a terminal shows the newest \(Self.page) unless asked).") var all = false
        @Flag(help: "Print as JSON (every matching record).") var json = false
        static let page = 50

        func validate() throws {
            if returned && reviewState != nil { throw ValidationError(Message(.listReturnedOrState).localized) }
        }

        func run() throws {
            // People read a page, scripts read everything: a store of
            // 100,000 records lists as fast as one of 1,000.
            let (records, matching) = try store.open().records(
                form: form, status: status, reviewState: returned ? .hasIssues : reviewState, includeDeleted: deleted,
                newest: json || all ? nil : Self.page)
            if json {
                JSONOut.print(.array(records.map { r in
                    var o: [String: JSONValue] = [
                        "id": .string(r.id), "form_id": .string(r.formID), "form_version": .string(r.formVersion),
                        "status": .string(r.status), "author": .string(r.author),
                        "updated_at": .string(Time.iso(r.updatedAt)), "conflicts": .number(Double(r.conflicts)),
                    ]
                    if r.deleted { o["deleted"] = .bool(true) }
                    if let state = r.reviewState { o["review_state"] = .string(state.rawValue) }
                    if let review = r.review { o["review"] = ReviewText.json(review) }
                    return .object(o)
                }), keyOrder: JSONOut.recordKeys)
                return
            }
            if records.isEmpty { say(returned ? .listNoneReturned : .listNone); return }
            for r in records {
                var line = "\(r.id)  \(r.formID) v\(r.formVersion)  \(Worded.status(r.status).localized)  \(r.author)  \(Time.shown(r.updatedAt))"
                if let state = r.reviewState, state != .received { line += "  \(Worded.state(state).localized)" }
                if r.deleted { line += "  " + Message(.listDeleted).localized }
                if r.conflicts > 0 { line += "  " + Message(.listConflicts, ["count": .int(r.conflicts)]).localized }
                print(line)
                if returned, let review = r.review { ReviewText.lines(review).forEach { print("    " + $0) } }
            }
            if matching > records.count {
                say(.listNewest, ["shown": .int(records.count), "count": .int(matching)])
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one record's answers.")
        @OptionGroup var store: StoreOptions
        @Argument(help: "The record id (or a unique prefix of it).") var recordID: String
        @Flag(help: "Print as JSON, in the shape of an answers file.") var json = false

        func run() throws {
            let s = try store.open()
            let record = try s.record(try s.resolveRecordID(recordID))
            let form = try s.formOfRecord(record)
            if json {
                JSONOut.print(.object(RecordJSON.object(record, form: form)), keyOrder: JSONOut.recordKeys)
                return
            }
            let lang = store.code(for: form, store: s)
            print(Message(.showHead, ["record": .text(record.id), "title": .text(form.title(lang)), "version": .text(record.formVersion),
                                      "status": .message(Worded.status(record.status))]).localized
                  + (record.deleted ? "  " + Message(.showDeleted).localized : ""))
            say(.showBy, ["author": .text(record.author), "time": .time(record.updatedAt)])
            if !record.conflicts.isEmpty {
                say(.showConflicts, ["fields": .text(record.conflicts.joined(separator: ", "))])
            }
            if let state = record.reviewState {
                say(.showReview, ["state": .message(Worded.state(state))])
                if let review = record.review { ReviewText.lines(review).forEach { print("  " + $0) } }
            }
            let rules = FormRules(form: form, language: lang, nowMs: Store.wallClock())
            for f in rules.fields(record.answers) {
                guard let a = record.answers[f.path] else { continue }
                let label = f.question.label.text(lang, fallback: form.defaultLanguage) ?? f.question.name
                print("  \(f.path): \(Labels.display(a, question: f.question, form: form, language: lang))  (\(label))")
            }
        }
    }
}

enum RecordJSON {
    static func object(_ r: StoredRecord, form: Form) -> [String: JSONValue] {
        var o = r.answers.json(form: form)
        o["id"] = .string(r.id)
        o["form_id"] = .string(r.formID)
        o["form_version"] = .string(r.formVersion)
        o["status"] = .string(r.status)
        // Under a `_` name, which no question may have.
        if let state = r.reviewState { o["_review"] = ReviewText.json(r.review ?? Review(state: state)) }
        return o
    }
}

enum Time {
    /// For scripts (JSON): ISO 8601 in local time.
    static func iso(_ ms: Int64) -> String {
        Timestamp.iso(ms: ms, utcOffsetSeconds: TimeZone.current.secondsFromGMT())
    }

    /// For people: as their language writes dates.
    static func shown(_ ms: Int64) -> String { Dates.format(ms, Lang.current) }
}

enum Labels {
    /// An answer with its choice labels, as a person reads it.
    static func display(_ a: Answer, question q: Question, form: Form, language: String) -> String {
        form.display(a, question: q, language: language, withNames: true)
    }
}

/// How a review reads, in text and JSON.
enum ReviewText {
    static func json(_ r: Review) -> JSONValue {
        var o: [String: JSONValue] = ["state": .string(r.state.rawValue)]
        if let c = r.comment { o["comment"] = .string(c) }
        if let f = r.fields { o["fields"] = .object(f.mapValues { .string($0) }) }
        return .object(o)
    }

    /// The comment, then one line per field comment, by field name.
    static func lines(_ r: Review) -> [String] {
        (r.comment.map { ["\"\($0)\""] } ?? []) + (r.fields ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key): \"\($0.value)\"" }
    }
}
