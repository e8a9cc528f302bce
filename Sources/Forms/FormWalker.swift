/// One screen of an interactive capture: a question, or "add another?" of a
/// repeat group.
public enum CaptureStep: Hashable, Sendable {
    case question(path: String, name: String, scope: [String: String])
    /// `prefix` is where new instances go; `count` how many exist.
    case addRepeat(name: String, prefix: String, scope: [String: String], count: Int)

    /// Identity that survives a change of answers (a new instance changes `count`).
    public var id: String {
        switch self {
        case .question(let path, _, _): return "q:" + path
        case .addRepeat(let name, let prefix, _, _): return "r:" + prefix + name
        }
    }
}

extension FormRules {
    /// The steps of a capture for these answers, in order: every relevant
    /// question (calculations are not asked) and, after the instances of each
    /// relevant repeat, a step asking whether to add another.
    public func steps(_ answers: Answers, openInstances: Set<String> = []) -> [CaptureStep] {
        var out: [CaptureStep] = []
        func walk(_ nodes: [Node], prefix: String, scope: [String: String]) {
            let ctx = context(answers, scope: scope)
            for node in nodes {
                switch node {
                case .question(let q):
                    guard !q.type.isAutomatic, q.relevant?.isTrue(in: ctx) ?? true else { continue }
                    out.append(.question(path: prefix + q.name, name: q.name, scope: scope))
                case .group(let g):
                    guard g.relevant?.isTrue(in: ctx) ?? true else { continue }
                    guard g.isRepeat else { walk(g.children, prefix: prefix, scope: scope); continue }
                    let keys = instanceKeys(answers, g.name, prefix, openInstances)
                    for key in keys {
                        var inner = scope
                        inner[g.name] = key
                        walk(g.children, prefix: Answers.prefix(prefix, repeat: g.name, key: key), scope: inner)
                    }
                    out.append(.addRepeat(name: g.name, prefix: prefix, scope: scope, count: keys.count))
                }
            }
        }
        walk(form.nodes, prefix: "", scope: [:])
        return out
    }

    /// Fills relevant unanswered questions that have a default, as a new
    /// record starts.
    public func applyDefaults(_ input: Answers) -> Answers {
        var answers = input
        for f in fields(answers) where f.relevant && answers[f.path] == nil {
            guard var d = f.question.defaultValue, !f.question.type.isAutomatic else { continue }
            let ctx = context(answers, scope: f.scope)
            if let e = f.question.dynamicDefault {
                d = e.evaluate(in: ctx).asString
                if d.isEmpty || d == "NaN" { continue }
            }
            let choices = ctx.choices(for: f.question)
            if case .success(let a) = Answer.parse(d, for: f.question, choices: choices) {
                answers[f.path] = a
            }
        }
        return answers
    }
}

extension FormRules {
    /// How many instances a repeat with `repeat_count` has in this scope
    /// (0 to 1,000), or nil when the form lets the person decide.
    public func repeatCount(_ g: Group, answers: Answers, scope: [String: String]) -> Int? {
        guard let e = g.repeatCount else { return nil }
        let n = e.evaluate(in: context(answers, scope: scope)).asNumber
        guard n.isFinite, n > 0 else { return 0 }
        return Int(min(n, 1000).rounded(.down))
    }

    /// Gives each start-geopoint question outside repeats the device's
    /// position as a new record starts (`recolha capture --position`).
    public func withStartPosition(_ input: Answers, position: String) -> Answers {
        var answers = input
        for q in form.orderedQuestions where q.type == .startGeopoint && q.repeats.isEmpty && answers[q.name] == nil {
            answers[q.name] = .text(position)
        }
        return answers
    }

    /// Fills the metadata questions the device answers itself: start, today,
    /// deviceid and username when a record is made, end when it is finalized.
    public func fillMetadata(_ input: Answers, isNew: Bool, finalizing: Bool, deviceID: String, username: String) -> Answers {
        var answers = input
        // Metadata outside repeats (every form seen so far) needs no walk of the form.
        let targets: [Field] = !form.deviceFilledInRepeats
            ? form.deviceFilled.map { Field(question: $0, path: $0.name, scope: [:], relevant: true) }
            : fields(answers).filter { $0.question.type.isMetadata || $0.question.type == .hidden }
        for f in targets {
            let value: String?
            switch f.question.type {
            case .start where isNew: value = Timestamp.iso(ms: nowMs, utcOffsetSeconds: utcOffsetSeconds)
            case .today where isNew: value = DateText.date(days: Int((Double(nowMs + Int64(utcOffsetSeconds) * 1000) / 86_400_000).rounded(.down)))
            case .deviceid where isNew: value = "recolha:" + deviceID
            case .username where isNew: value = username
            // A hidden question holds its default; a laptop has no phone number or SIM.
            case .hidden where isNew: value = f.question.defaultValue
            case .end where finalizing: value = Timestamp.iso(ms: nowMs, utcOffsetSeconds: utcOffsetSeconds)
            default: value = nil
            }
            if let value, answers[f.path] == nil || f.question.type == .end { answers[f.path] = .text(value) }
        }
        return answers
    }
}
