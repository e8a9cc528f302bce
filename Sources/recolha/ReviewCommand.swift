import ArgumentParser
import Store
import Sync
import Words

/// Sync's `Review` (inside `Recolha`, `Review` is this command and `Sync` the sync command).
typealias RecordReview = Sync.Review

extension RecordReview.State: ExpressibleByArgument {}

extension Recolha {
    struct Review: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Approve, return or reject a finalized record (supervisors and admins).",
            discussion: """
                The verdict is a signed change like any edit: it reaches the server with the next
                `recolha sync`, and the enumerator's device with theirs (directly, through a hub or
                in a bundle). A returned record shows its comments on the enumerator's device;
                when they fix it and it stays finalized, it comes back as corrected.
                Exit codes: 3 refused (an enumerator's device, a draft, a missing comment), 4 no such record.
                """)
        @OptionGroup var store: StoreOptions
        @Argument(help: "The record id (or a unique prefix of it).") var recordID: String
        @Flag(help: "Approve the record.") var approve = false
        @Option(name: .customLong("return"), help: "Return the record to its enumerator, saying what to fix.") var returnMessage: String?
        @Option(help: "Reject the record, saying why.") var reject: String?
        @Flag(help: "Undo a decision: the record waits for review again.") var reopen = false
        @Option(help: ArgumentHelp("A comment on one question, shown beside it on the enumerator's device (repeatable).",
                                   valueName: "NAME=MESSAGE"))
        var field: [String] = []
        @Option(help: "A comment for an approval or a reopening.") var comment: String?

        func validate() throws {
            let chosen = [approve, returnMessage != nil, reject != nil, reopen].filter { $0 }.count
            guard chosen == 1 else { throw ValidationError(Message(.reviewGiveOne).localized) }
            if comment != nil && (returnMessage != nil || reject != nil) {
                throw ValidationError(Message(.reviewNoComment).localized)
            }
            if !field.isEmpty && returnMessage == nil { throw ValidationError(Message(.reviewFieldWithReturn).localized) }
            for f in field where !f.contains("=") || f.hasPrefix("=") {
                throw ValidationError(Message(.reviewFieldShape, ["given": .text(String(f.prefix(40)))]).localized)
            }
        }

        func run() throws {
            var fields: [String: String] = [:]
            for f in field {
                let parts = f.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                fields[String(parts[0])] = String(parts[1])
            }
            let verdict: RecordReview
            if approve { verdict = .init(state: .approved, comment: comment) }
            else if let m = returnMessage { verdict = .init(state: .hasIssues, comment: m, fields: fields) }
            else if let m = reject { verdict = .init(state: .rejected, comment: m) }
            else { verdict = .init(state: .received, comment: comment) }
            let s = try store.open()
            let id = try s.resolveRecordID(recordID)
            try s.review(record: id, verdict)
            let said: Key
            switch verdict.state {
            case .approved: said = .reviewApproved
            case .hasIssues: said = .reviewReturnedTo
            case .rejected: said = .reviewRejectedSaid
            default: said = .reviewReopenedFor
            }
            say(.reviewDone, ["said": .message(Message(said)), "record": .text(id)])
        }
    }
}
