import Foundation
import Forms
import Store

/// An interactive capture or edit: one question at a time, every answer
/// saved as it is given, `:back` and `:save`, then a summary and finalize.
struct CaptureSession {
    let store: Store
    let form: Form
    let language: String
    let rules: FormRules
    let ui: UIText
    var recordID: String?
    var answers: Answers
    var status: String
    /// Repeat instances added in this session that have no answer yet.
    var open: Set<String> = []
    /// Ids of the steps answered, for :back.
    var history: [String] = []
    /// The groups around the last question shown, with its repeat instances.
    var lastHeading: [String] = []
    /// The supervisor's review when the record was returned: its comment
    /// is shown first, each field comment beside its question.
    let review: RecordReview?

    enum Outcome { case next(newInstance: String?), back, stop }

    init(store: Store, form: Form, language: String, record: StoredRecord?) {
        self.store = store
        self.form = form
        self.language = language
        self.rules = FormRules(form: form, language: language, nowMs: Store.wallClock(),
                               utcOffsetSeconds: TimeZone.current.secondsFromGMT())
        self.ui = UIText(language: language)
        self.recordID = record?.id
        self.answers = record?.answers ?? Answers()
        self.status = record?.status ?? RecordStatus.draft
        self.review = record?.review?.state == .hasIssues ? record?.review : nil
    }

    func text(_ l: Localized) -> String? { l.text(language, fallback: form.defaultLanguage) }

    mutating func run() throws {
        print(ui.title(form.title(language), form: form.id, version: form.version, record: recordID))
        print(ui.help)
        if let review {
            print("\n\(ui.returned)")
            if let c = review.comment { print("    \"\(c)\"") }
            for (name, c) in (review.fields ?? [:]).sorted(by: { $0.key < $1.key }) { print("    \(name): \"\(c)\"") }
        }
        var currentID = rules.steps(answers, openInstances: open).first?.id
        while let id = currentID {
            let steps = rules.steps(answers, openInstances: open)
            guard let index = steps.firstIndex(where: { $0.id == id }) else {
                currentID = steps.first { !history.contains($0.id) }?.id
                continue
            }
            let outcome: Outcome
            switch steps[index] {
            case .question(let path, let name, let scope):
                outcome = try ask(path: path, question: form.questions[name]!, scope: scope,
                                  position: "\(index + 1)/\(steps.count)")
            case .addRepeat(let name, let prefix, let scope, let count):
                outcome = askRepeat(form.groups[name]!, prefix: prefix, scope: scope, count: count)
            }
            switch outcome {
            case .stop:
                finishDraft()
                return
            case .back:
                if let previous = history.popLast() { currentID = previous } else { print(ui.atStart) }
            case .next(let instance):
                history.append(id)
                let fresh = rules.steps(answers, openInstances: open)
                if let instance, let first = fresh.first(where: { $0.id.hasPrefix("q:" + instance) }) {
                    currentID = first.id
                } else if let at = fresh.firstIndex(where: { $0.id == id }) {
                    currentID = at + 1 < fresh.count ? fresh[at + 1].id : nil
                } else {
                    currentID = fresh.first { !history.contains($0.id) }?.id
                }
            }
        }
        try finish()
    }

    mutating func finishDraft() {
        if let recordID { print(ui.keptDraft(recordID)) } else { print(ui.nothingSaved) }
    }

    mutating func finish() throws {
        guard let recordID else { print(ui.nothingSaved); return }
        print("\n== \(ui.summary) ==")
        for f in rules.fields(answers) where f.relevant {
            guard let a = answers[f.path], f.question.type != .note else { continue }
            print("  \(text(f.question.label) ?? f.question.name): \(Labels.display(a, question: f.question, form: form, language: language))")
        }
        guard status != RecordStatus.finalized else {
            print(ui.finalized(recordID))
            return
        }
        while true {
            guard let line = Console.line("\(ui.finalizeNow) \(ui.yesNo) ") else { print(ui.keptDraft(recordID)); return }
            guard let yes = UIText.yes(line.trimmingCharacters(in: .whitespaces)) else { continue }
            guard yes else { print(ui.keptDraft(recordID)); return }
            do {
                try store.save(SaveRequest(record: recordID, form: form, answers: answers, finalize: true,
                                           openInstances: open))
                status = RecordStatus.finalized
                print(ui.finalized(recordID))
            } catch {
                guard case .invalid(let problems, _) = error else { throw error }
                for p in problems { print("  ! \(ui.say(p.worded))") }
                print(ui.keptDraft(recordID))
            }
            return
        }
    }

    mutating func heading(for q: Question, scope: [String: String]) {
        // A new group, or another instance of the same repeat.
        let here = q.enclosing.map { $0 + (scope[$0].map { "[" + $0 + "]" } ?? "") }
        guard here != lastHeading else { return }
        lastHeading = here
        guard let inner = q.enclosing.last, let g = form.groups[inner] else { return }
        var title = text(g.label) ?? g.name
        if g.isRepeat, let key = scope[g.name] {
            let prefix = Self.prefix(of: g.name, scope: scope, form: form)
            let n = (answers.instances(of: g.name, under: prefix) + open.compactMap { o -> String? in
                guard o.hasPrefix(prefix + g.name + "[") else { return nil }
                return String(o.dropFirst((prefix + g.name + "[").count).prefix { $0 != "]" })
            }).sorted().firstIndex(of: key).map { $0 + 1 } ?? 1
            title += " #\(n)"
        }
        print("\n-- \(title) --")
    }

    /// The path prefix where instances of a repeat live, for this scope.
    static func prefix(of repeatName: String, scope: [String: String], form: Form) -> String {
        guard let g = form.groups[repeatName] else { return "" }
        var prefix = ""
        for outer in g.enclosing where form.groups[outer]?.isRepeat == true {
            if let k = scope[outer] { prefix = Answers.prefix(prefix, repeat: outer, key: k) }
        }
        return prefix
    }

    /// Replaces `${name}` in a label with the answer in this scope.
    func fill(_ label: String, scope: [String: String]) -> String {
        guard label.contains("${") else { return label }
        var out = ""
        var rest = Substring(label)
        while let open = rest.range(of: "${"), let close = rest[open.upperBound...].firstIndex(of: "}") {
            out += rest[..<open.lowerBound]
            let name = String(rest[open.upperBound..<close]).trimmingCharacters(in: .whitespaces)
            out += rules.context(answers, scope: scope).value(of: name).asString
            rest = rest[rest.index(after: close)...]
        }
        return out + rest
    }

    mutating func ask(path: String, question q: Question, scope: [String: String], position: String) throws -> Outcome {
        heading(for: q, scope: scope)
        let ctx = rules.context(answers, scope: scope)
        let required = q.required?.isTrue(in: ctx) ?? false
        print("\n[\(position)] \(fill(text(q.label) ?? q.name, scope: scope))\(required ? " *" : "")")
        if let hint = text(q.hint) { print("    \(fill(hint, scope: scope))") }
        if let guidance = text(q.guidance) { print("    › \(fill(guidance, scope: scope))") }
        if let note = review?.fields?[path] ?? review?.fields?[q.name] { print("    >> \(ui.supervisorSays): \"\(note)\"") }
        let choices = ctx.choices(for: q)
        let shown = choices.enumerated().map { i, c in
            "\(i + 1). \(text(c.label) ?? c.name)" + (c.image(language, fallback: form.defaultLanguage).map { " [\(ui.say(Message(.captureImage, ["file": .text($0)])))]" } ?? "")
        }
        // `likert`, `minimal` and `horizontal` lay the choices out in a row.
        let inRow = ["likert", "minimal", "horizontal", "horizontal-compact"].contains { q.appearance?.lowercased().contains($0) == true }
        if inRow, !shown.isEmpty { print("  " + shown.joined(separator: "   ")) } else { shown.forEach { print("  " + $0) } }
        func appearance(_ word: String) -> Bool { q.appearance?.lowercased().split(separator: " ").contains { $0 == word } == true }
        switch q.type {
        case .selectMultiple: print("    (\(ui.multiHint))")
        case .rank: print("    (\(ui.say(Message(.captureRankHint, ["count": .int(choices.count)]))))")
        case .geopoint: print("    (\(ui.geoHint))")
        case .date: print("    (\(ui.dateHint))")
        case .time: print("    (\(ui.say(Message(.captureTimeHint))))")
        case .acknowledge: print("    (\(ui.say(Message(.captureAckHint))))")
        case .geotrace, .geoshape: print("    (\(ui.say(Message(.captureTraceHint))))")
        case .image, .audio, .video, .file:
            print("    (\(ui.say(Message(.captureFileHint, ["limit": .text(FileAnswer.size(q.maxFileSize))]))))")
            if let px = q.maxPixels { print("    (\(ui.say(Message(.captureMaxPixels, ["pixels": .int(px)]))))") }
        case .text where appearance("multiline"): print("    (\(ui.say(Message(.captureMultilineHint))))")
        case .text where appearance("numbers"): print("    (\(ui.say(Message(.captureNumbersHint))))")
        case .range:
            let p = q.parameters
            print("    (\(ui.say(Message(.captureRangeHint, ["start": .text(XValue.format(p.start)), "end": .text(XValue.format(p.end)), "step": .text(XValue.format(p.step))]))))")
        default: break
        }
        let existing = answers[path]
        if let existing {
            print("    \(ui.current): \(Labels.display(existing, question: q, form: form, language: language)) — \(ui.keepHint)")
        } else if let d = q.defaultValue {
            print("    \(ui.defaultWord): \(d) — \(ui.keepHint)")
        }
        while true {
            // A note or a read-only question is shown, not asked.
            let shownOnly = q.type == .note || q.readOnly
            guard let raw = Console.line(shownOnly ? "\(ui.pressEnter) " : "> ") else { return .stop }
            let line = raw.trimmingCharacters(in: .whitespaces)
            switch line {
            case ":back": return .back
            case ":save", ":quit": return .stop
            default: break
            }
            if q.type == .note { return .next(newInstance: nil) }
            var input = line
            // `multiline`: more lines until an empty one.
            if q.type == .text, appearance("multiline"), !line.isEmpty {
                while let more = Console.line("… "), !more.trimmingCharacters(in: .whitespaces).isEmpty {
                    input += "\n" + more
                }
            }
            // `numbers`: a text typed with digits (a code, a phone number), as Collect's number pad.
            if q.type == .text, appearance("numbers"), !input.allSatisfy({ $0.isASCII && ($0.isNumber || "+-. ".contains($0)) }) {
                print("  ! \(ui.say(Message(.captureNumbersOnly)))")
                continue
            }
            if q.readOnly {
                // Shown, never typed: it keeps its default.
                guard existing == nil, let d = q.defaultValue else { return .next(newInstance: nil) }
                input = d
            }
            if input.isEmpty {
                if existing != nil { return .next(newInstance: nil) }
                if let d = q.defaultValue { input = d } else if required {
                    print("  ! \(text(q.requiredMessage) ?? ui.required)")
                    continue
                } else {
                    return .next(newInstance: nil)
                }
            }
            let answer: Answer
            switch try store.answer(input, for: q, choices: choices) {
            case .failure(let e):
                print("  ! \(ui.say(e.message))")
                continue
            case .success(let a): answer = a
            }
            var tentative = answers
            tentative[path] = answer
            let field = FormRules.Field(question: q, path: path, scope: scope, relevant: true)
            if let reason = rules.check(answer, field: field, answers: tentative) {
                print("  ! \(ui.say(reason))")
                continue
            }
            do {
                let result = try store.save(SaveRequest(record: recordID, form: form, answers: tentative,
                                                        touched: [path], openInstances: open))
                recordID = result.record
                answers = try store.record(result.record).answers
                open = open.filter { o in !answers.values.keys.contains { $0.hasPrefix(o) } }
                return .next(newInstance: nil)
            } catch {
                guard case .invalid(let problems, _) = error else { throw error }
                for p in problems { print("  ! \(ui.say(p.worded))") }
            }
        }
    }

    mutating func askRepeat(_ g: Group, prefix: String, scope: [String: String], count: Int) -> Outcome {
        let label = text(g.label) ?? g.name
        // `repeat_count`: as many instances as the form says, never asked.
        if let wanted = rules.repeatCount(g, answers: answers, scope: scope) {
            guard count < wanted else { return .next(newInstance: nil) }
            let instance = Answers.prefix(prefix, repeat: g.name, key: RepeatKey.make(ms: Store.wallClock(), index: count))
            open.insert(instance)
            return .next(newInstance: instance)
        }
        while true {
            guard let line = Console.line("\n\(ui.add(label, first: count == 0)) \(ui.yesNo) ") else { return .stop }
            let t = line.trimmingCharacters(in: .whitespaces)
            if t == ":back" { return .back }
            if t == ":save" || t == ":quit" { return .stop }
            guard let yes = UIText.yes(t) else { continue }
            guard yes else { return .next(newInstance: nil) }
            let key = RepeatKey.make(ms: Store.wallClock(), index: count)
            let instance = Answers.prefix(prefix, repeat: g.name, key: key)
            open.insert(instance)
            return .next(newInstance: instance)
        }
    }
}
