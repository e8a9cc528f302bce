import Words
/// Applies a form to a record's answers: calculations, relevance, types,
/// choices, constraints and required answers.
public struct FormRules: Sendable {
    public let form: Form
    public let language: String
    public let nowMs: Int64
    public let utcOffsetSeconds: Int

    public init(form: Form, language: String? = nil, nowMs: Int64, utcOffsetSeconds: Int = 0) {
        self.form = form
        self.language = language ?? form.defaultLanguage
        self.nowMs = nowMs
        self.utcOffsetSeconds = utcOffsetSeconds
    }

    public func context(_ answers: Answers, scope: [String: String] = [:], current: XValue = .string("")) -> AnswerContext {
        AnswerContext(form: form, answers: answers, scope: scope, current: current,
                      nowMs: nowMs, utcOffsetSeconds: utcOffsetSeconds)
    }

    /// One question in one repeat instance (or outside any).
    public struct Field {
        public var question: Question
        public var path: String
        public var scope: [String: String]
        /// False when its own relevant, or a group's around it, is false.
        public var relevant: Bool

        public init(question: Question, path: String, scope: [String: String], relevant: Bool) {
            self.question = question
            self.path = path
            self.scope = scope
            self.relevant = relevant
        }
    }

    /// Every field the answers could hold, in sheet order, with its relevance.
    /// - Parameter openInstances: repeat instances that exist without answers yet.
    public func fields(_ answers: Answers, openInstances: Set<String> = []) -> [Field] {
        var out: [Field] = []
        func walk(_ nodes: [Node], prefix: String, scope: [String: String], relevant: Bool) {
            // One context for every node at this level (a save walks the form several times).
            let ctx = context(answers, scope: scope)
            for node in nodes {
                switch node {
                case .question(let q):
                    let ok = relevant && (q.relevant?.isTrue(in: ctx) ?? true)
                    out.append(Field(question: q, path: prefix + q.name, scope: scope, relevant: ok))
                case .group(let g):
                    let ok = relevant && (g.relevant?.isTrue(in: ctx) ?? true)
                    if g.isRepeat {
                        for key in instanceKeys(answers, g.name, prefix, openInstances) {
                            var inner = scope
                            inner[g.name] = key
                            walk(g.children, prefix: Answers.prefix(prefix, repeat: g.name, key: key),
                                 scope: inner, relevant: ok)
                        }
                    } else {
                        walk(g.children, prefix: prefix, scope: scope, relevant: ok)
                    }
                }
            }
        }
        walk(form.nodes, prefix: "", scope: [:], relevant: true)
        return out
    }

    func instanceKeys(_ answers: Answers, _ name: String, _ prefix: String, _ open: Set<String>) -> [String] {
        var keys = Set(answers.instances(of: name, under: prefix))
        let start = prefix + name + "["
        for o in open where o.hasPrefix(start) {
            let rest = o.dropFirst(start.count)
            if let close = rest.firstIndex(of: "]"), rest[rest.index(after: close)...] == "." {
                keys.insert(String(rest[..<close]))
            }
        }
        return keys.sorted()
    }

    /// Runs every calculation and clears the answers of questions that are
    /// not relevant, as ODK does when a record is saved.
    /// - Returns: the new answers and the paths cleared because they were
    ///   not relevant.
    /// - Parameter previous: the answers as saved before, which a `trigger`
    ///   compares with (nil for a new record).
    public func settle(_ input: Answers, openInstances: Set<String> = [], previous: Answers? = nil) -> (answers: Answers, cleared: [String]) {
        let (answers, cleared, _) = settleKeepingFields(input, openInstances: openInstances, previous: previous)
        return (answers, cleared)
    }

    /// `settle`, and the fields of its last pass when that pass changed
    /// nothing: the fields of the settled answers, which `problems` can take
    /// instead of walking the form once more.
    public func settleKeepingFields(_ input: Answers, openInstances: Set<String> = [], previous: Answers? = nil)
        -> (answers: Answers, cleared: [String], fields: [Field]?) {
        var answers = input
        var cleared: [String] = []
        // A decimal typed as a whole number is still a decimal: keep one
        // spelling so an unchanged answer never makes a new version.
        for (path, a) in answers.values {
            if case .integer(let i) = a, form.questions[Self.name(of: path)]?.type == .decimal {
                answers[path] = .decimal(Double(i))
            }
        }
        // Calculations may read each other and relevance may read
        // calculations: a few passes reach a fixed point for any sane form.
        // A pass computes first and clears only when no calculation it
        // changed is read: relevance judged on a stale calculation would
        // clear an answer that belongs.
        var settledFields: [Field]?
        let passes = 8
        for attempt in 0..<passes {
            // Whether a change could alter what this pass read: a name some
            // rule reads, or anything inside a repeat (instances come and go).
            var rereads = false
            func changedAt(_ f: Field) {
                if !rereads { rereads = !f.scope.isEmpty || form.settleReads.contains(f.question.name) }
            }
            let pass = fields(answers, openInstances: openInstances)
            var irrelevant: [Field] = []
            for f in pass {
                if let trigger = f.question.trigger {
                    // Only a change of its trigger (re)computes it, or clears it without a calculation.
                    let now = context(answers, scope: f.scope).value(of: trigger)
                    let before = previous.map { context($0, scope: f.scope).value(of: trigger) } ?? .string("")
                    guard now.asString != before.asString, f.relevant else {
                        if !f.relevant { irrelevant.append(f) }
                        continue
                    }
                    let new = computed(f, answers)
                    if answers[f.path] != new { answers[f.path] = new; changedAt(f) }
                } else if f.question.type == .calculate || f.question.readOnly, f.question.calculation != nil {
                    // A read-only question with a calculation shows what it computes, as in ODK.
                    let new = f.relevant ? computed(f, answers) : nil
                    if answers[f.path] != new { answers[f.path] = new; changedAt(f) }
                } else if !f.relevant {
                    irrelevant.append(f)
                }
            }
            // (A form whose calculations never settle still has its irrelevant answers cleared, on the last pass.)
            if rereads && attempt < passes - 1 { continue }
            for f in irrelevant where answers[f.path] != nil {
                answers[f.path] = nil
                cleared.append(f.path)
                changedAt(f)
            }
            if !rereads { settledFields = pass; break }
        }
        return (answers, cleared, settledFields)
    }

    /// What a field's calculation gives here, as its question's answer: text
    /// for a calculate, else read as the question reads a typed answer; nil
    /// when empty, NaN, not such an answer, or there is no calculation.
    func computed(_ f: Field, _ answers: Answers) -> Answer? {
        guard let calc = f.question.calculation else { return nil }
        let ctx = context(answers, scope: f.scope)
        let s = calc.evaluate(in: ctx).asString
        if s.isEmpty || s == "NaN" { return nil }
        if f.question.type == .calculate { return .text(s) }
        return try? Answer.parse(s, for: f.question, choices: ctx.choices(for: f.question)).get()
    }

    /// The question name at the end of a path.
    public static func name(of path: String) -> String {
        // The last "]." by bytes: Foundation's backwards search bridged
        // every path to NSString (6% of the server's push).
        let u = path.utf8
        var i = u.endIndex
        while i != u.startIndex {
            let dot = u.index(before: i)
            guard dot != u.startIndex else { break }
            let close = u.index(before: dot)
            if u[dot] == UInt8(ascii: "."), u[close] == UInt8(ascii: "]") { return String(path[i...]) }
            i = dot
        }
        return path
    }

    /// Every problem with the answers: unknown fields, wrong types, choices
    /// not on offer, failed constraints and, when finalizing, required
    /// answers that are missing. Messages never quote an answer.
    /// - Parameter walked: `fields(answers)` when the caller has it already.
    public func problems(_ answers: Answers, finalizing: Bool, walked: [Field]? = nil) -> [AnswerProblem] {
        var out: [AnswerProblem] = []
        // How many answers sit on a field of the form: all of them, unless
        // some are unknown (only then are their paths collected).
        var onFields = 0
        let walked = walked ?? fields(answers)
        for f in walked {
            let q = f.question
            let answer = answers[f.path]
            if answer != nil { onFields += 1 }
            guard f.relevant else { continue }
            if let a = answer {
                if let reason = check(a, field: f, answers: answers) {
                    out.append(AnswerProblem(field: answers.positional(f.path), reason: reason))
                }
            } else if finalizing, !q.type.isAutomatic, q.type != .note, let req = q.required,
                      req.isTrue(in: context(answers, scope: f.scope)) {
                out.append(AnswerProblem(field: answers.positional(f.path), reason: message(q.requiredMessage) ?? Message(.answerRequired)))
            }
        }
        if onFields != answers.values.count {
            let known = Set(walked.map(\.path))
            for path in answers.values.keys.sorted() where !known.contains(path) {
                out.append(AnswerProblem(field: answers.positional(path), reason: Message(.answerNotInForm, ["form": .text(form.id)])))
            }
        }
        out += repeatCountProblems(answers, finalizing: finalizing)
        return out
    }

    /// A repeat with `repeat_count` has exactly that many instances, as
    /// interactive capture makes them: an answers file or an edit may give
    /// fewer while a draft, never more, and exactly as many to finalize.
    func repeatCountProblems(_ answers: Answers, finalizing: Bool) -> [AnswerProblem] {
        var out: [AnswerProblem] = []
        for g in form.groups.values.sorted(by: { $0.row < $1.row }) where g.isRepeat && g.repeatCount != nil {
            // Every instance of the repeats around it, each with its scope.
            var places: [(prefix: String, scope: [String: String])] = [("", [:])]
            for r in g.enclosing where form.groups[r]?.isRepeat == true {
                places = places.flatMap { p in
                    answers.instances(of: r, under: p.prefix).map { (Answers.prefix(p.prefix, repeat: r, key: $0), p.scope.merging([r: $0]) { $1 }) }
                }
            }
            for p in places {
                let ctx = context(answers, scope: p.scope)
                guard ctx.isRelevant(enclosing: g.enclosing, relevant: g.relevant),
                      let wanted = repeatCount(g, answers: answers, scope: p.scope) else { continue }
                let have = answers.instances(of: g.name, under: p.prefix).count
                if have > wanted || (finalizing && have != wanted) {
                    out.append(AnswerProblem(field: answers.positional(p.prefix + g.name),
                                             reason: Message(.answerRepeatCount, ["have": .int(have), "count": .int(wanted)])))
                }
            }
        }
        return out
    }

    /// What is wrong with one answer of a relevant field, or nil.
    public func check(_ a: Answer, field f: Field, answers: Answers) -> Message? {
        let q = f.question
        if let reason = a.problem(for: q) { return reason }
        if q.type.hasChoices {
            let ctx = context(answers, scope: f.scope)
            let picked: [String]
            switch a {
            case .text(let s): picked = [s]
            case .choices(let c): picked = c
            default: picked = []
            }
            if picked.contains(where: { !ctx.offers(q, $0) }) {
                return Message(q.choiceFilter == nil ? .answerNotOffered : .answerNotOfferedNow, ["list": .text(q.listName ?? "")])
            }
            // A ranking orders every choice on offer.
            if q.type == .rank, !picked.isEmpty {
                let offered = Set(ctx.choices(for: q).map(\.name))
                if Set(picked) != offered { return Message(.answerRankAll, ["count": .int(offered.count)]) }
            }
        }
        if let c = q.constraint, !c.isTrue(in: context(answers, scope: f.scope, current: a.xvalue)) {
            return message(q.constraintMessage) ?? Message(.answerConstraint, ["constraint": .text(q.constraintText ?? "")])
        }
        return nil
    }

    /// The form's own message in the rules' language, as the form wrote it.
    func message(_ text: Localized) -> Message? {
        text.isEmpty ? nil : text.text(language, fallback: form.defaultLanguage).map(Message.verbatim)
    }
}

/// One problem with one answer: the field path and what is wrong with it.
public struct AnswerProblem: Hashable, Sendable, CustomStringConvertible {
    public var field: String
    public var message: Message
    public init(field: String, reason: Message) {
        self.field = field
        self.message = reason
    }
    /// In English (logs, tests); `worded.localized` for a person.
    public var reason: String { message.description }
    /// "field: reason", as a message.
    public var worded: Message { Message(.answerProblem, ["field": .text(field), "reason": .message(message)]) }
    public var description: String { worded.description }
}
