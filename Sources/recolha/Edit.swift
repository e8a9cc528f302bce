import ArgumentParser
import Forms
import Store
import Words

extension Recolha {
    struct Edit: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Change a record's answers, interactively or with --set.",
            discussion: """
                --set name=value sets one answer (repeat this option for several); an empty value clears it.
                Inside a repeat, name its instance by position: staff[2].cadre=nurse (staff[N+1] adds one).
                select_multiple takes names separated by spaces; geopoint takes `lat lon [alt accuracy]`.
                """)

        @OptionGroup var store: StoreOptions
        @Argument(help: "The record id (or a unique prefix of it).") var recordID: String
        @Option(name: .customLong("set"), help: "An answer to set: name=value.") var assignments: [String] = []
        @Flag(help: "Print the result as JSON.") var json = false

        func validate() throws {
            for a in assignments where !a.contains("=") {
                throw ValidationError(Message(.editSetShape, ["given": .text(a)]).localized)
            }
        }

        func run() throws {
            let (s, record, form) = try store.changeableRecord(recordID)
            let id = record.id
            let lang = store.code(for: form, store: s)
            guard !assignments.isEmpty else {
                var session = CaptureSession(store: s, form: form, language: lang, record: record)
                try session.run()
                return
            }
            var answers = record.answers
            var touched: Set<String> = []
            var problems: [AnswerProblem] = []
            let rules = FormRules(form: form, language: lang, nowMs: Store.wallClock())
            for assignment in assignments {
                let eq = assignment.firstIndex(of: "=")!
                let name = String(assignment[..<eq]).trimmingCharacters(in: .whitespaces)
                let text = String(assignment[assignment.index(after: eq)...])
                guard let path = answers.resolve(positional: name, form: form, makeKey: {
                    RepeatKey.make(ms: Store.wallClock())
                }), let q = form.questions[FormRules.name(of: path)] else {
                    problems.append(AnswerProblem(field: name, reason: Message(.answerNotInFormRepeat, ["form": .text(form.id)])))
                    continue
                }
                touched.insert(path)
                if text.trimmingCharacters(in: .whitespaces).isEmpty { answers[path] = nil; continue }
                let scope = rules.fields(answers).first { $0.path == path }?.scope ?? [:]
                switch try s.answer(text, for: q, choices: rules.context(answers, scope: scope).choices(for: q)) {
                case .success(let a): answers[path] = a
                case .failure(let e): problems.append(AnswerProblem(field: path, reason: e.message))
                }
            }
            if !problems.isEmpty { throw StoreError.invalid(problems, finalizing: false) }
            let result = try s.save(SaveRequest(record: id, form: form, answers: answers, touched: touched))
            if json {
                JSONOut.print(.object(["id": .string(id), "status": .string(result.status),
                                       "versions": .number(Double(result.versions)),
                                       "cleared": .array(result.cleared.map(JSONValue.string))]))
            } else {
                say(.savedEdit, ["record": .text(id), "count": .int(result.versions)])
                for c in result.cleared { print("  " + Message(.clearedNotRelevant, ["field": .text(c)]).localized) }
            }
        }
    }

    struct Finalize: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Mark a record finished; refuses while a required answer is missing.")
        @OptionGroup var store: StoreOptions
        @Argument(help: "The record id (or a unique prefix of it).") var recordID: String
        @Flag(help: "Print the result as JSON.") var json = false

        func run() throws {
            let (s, record, form) = try store.changeableRecord(recordID)
            let id = record.id
            let result = try s.save(SaveRequest(record: id, form: form, answers: record.answers, finalize: true))
            if json {
                JSONOut.print(.object(["id": .string(id), "status": .string(result.status)]))
            } else if result.versions == 0 {
                say(.alreadyFinalized, ["record": .text(id)])
            } else {
                say(.finalizedRecord, ["record": .text(id)])
            }
        }
    }

    struct Delete: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete a record (a tombstone that syncs; the history is kept).")
        @OptionGroup var store: StoreOptions
        @Argument(help: "The record id (or a unique prefix of it).") var recordID: String
        @Flag(help: "Do not ask for confirmation.") var yes = false

        func run() throws {
            let s = try store.open()
            let id = try s.resolveRecordID(recordID)
            if !yes {
                guard let answer = Console.line(Message(.deleteAsk, ["record": .text(id)]).localized) else {
                    throw CLIError(.deleteNeedsYes, code: .usage)
                }
                guard ["y", "yes", "s", "sim"].contains(answer.trimmingCharacters(in: .whitespaces).lowercased()) else {
                    say(.nothingDeleted)
                    return
                }
            }
            try s.delete(record: id)
            say(.deletedRecord, ["record": .text(id)])
        }
    }
}
