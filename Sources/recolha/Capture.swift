import ArgumentParser
import Foundation
import Forms
import Store
import Words

extension Recolha {
    struct Capture: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Fill in a survey: one question at a time, or from an answers file.",
            discussion: """
                Interactive: type an answer and press Enter; `:back` goes to the previous question,
                `:save` stops and keeps a draft. Every answer is saved as it is given.
                With --answers FILE.json nothing is written when any answer has a problem.
                """)

        @OptionGroup var store: StoreOptions
        @Argument(help: "The form id.") var formID: String
        @Option(help: "A JSON object of answers keyed by question name.") var answers: String?
        @Flag(help: "Finalize the record (all required answers must be given).") var finalize = false
        @Flag(help: "Print the result as JSON.") var json = false
        @Option(parsing: .unconditional, help: "Where the device is as the record starts, for start-geopoint questions: \"LAT LON [ALT ACC]\" (a southern latitude starts with -).")
        var position: String?

        func validate() throws {
            if finalize && answers == nil {
                throw ValidationError(Message(.finalizeGoesWithAnswers).localized)
            }
            if let position, Geopoint(position) == nil {
                throw ValidationError(Message(.capturePositionShape).localized)
            }
        }

        func run() throws {
            let s = try store.open()
            let form = try s.form(id: formID)
            guard let answers else {
                var session = CaptureSession(store: s, form: form, language: store.code(for: form, store: s), record: nil)
                if let position { session.answers = session.rules.withStartPosition(session.answers, position: position) }
                try session.run()
                return
            }
            let object = try AnswersFile.read(answers)
            let now = Store.wallClock()
            // A file an answer names is found beside the answers file.
            let folder = (URL(fileURLWithPath: answers).deletingLastPathComponent().path)
            var kept: StoreError?
            let (read, problems) = Answers.read(object, form: form, makeKey: { RepeatKey.make(ms: now, index: $0) }) { q, path in
                do throws(StoreError) { return try s.answer(path, for: q, choices: [], folder: folder) } catch { kept = error; return .failure(AnswerError(.answerMediaPath)) }
            }
            if let kept { throw kept }
            let rules = FormRules(form: form, language: store.code(for: form, store: s), nowMs: now)
            if !problems.isEmpty {
                // Report these with any rule problems of the answers that did read.
                let more = rules.problems(rules.settle(read).answers, finalizing: finalize)
                    .filter { p in !problems.contains { $0.field == p.field } }
                throw StoreError.invalid(problems + more, finalizing: finalize)
            }
            var started = rules.applyDefaults(read)
            if let position { started = rules.withStartPosition(started, position: position) }
            let result = try s.save(SaveRequest(form: form, answers: started, finalize: finalize, clearIrrelevant: false))
            if json {
                JSONOut.print(.object(["id": .string(result.record), "status": .string(result.status),
                                       "versions": .number(Double(result.versions))]))
            } else {
                say(.saved, ["record": .text(result.record), "status": .message(Worded.status(result.status)), "count": .int(result.versions)])
            }
        }
    }
}

enum AnswersFile {
    /// Reads an answers file: one JSON object.
    static func read(_ path: String) throws -> [String: JSONValue] {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw CLIError(.cannotRead, ["path": .text(path), "reason": .text((error as NSError).localizedDescription)], code: .notFound)
        }
        let value: JSONValue
        do {
            value = try JSONValue.parse(data)
        } catch {
            throw CLIError(.answersNotJSON, ["path": .text(path), "reason": .text("\(error)")], code: .usage)
        }
        guard case .object(let o) = value else {
            throw CLIError(.answersNotObject, ["path": .text(path)], code: .usage)
        }
        return o
    }
}
