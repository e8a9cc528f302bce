/// Evaluates a form's expressions against a record's answers, from inside
/// one repeat instance (`scope` maps each repeat around it to its key).
public struct AnswerContext: ExprContext {
    public let form: Form
    public let answers: Answers
    public var scope: [String: String]
    public var current: XValue
    public var choice: Choice?
    public let nowMs: Int64
    public let utcOffsetSeconds: Int

    public init(form: Form, answers: Answers, scope: [String: String] = [:], current: XValue = .string(""),
                nowMs: Int64, utcOffsetSeconds: Int = 0) {
        self.form = form
        self.answers = answers
        self.scope = scope
        self.current = current
        self.nowMs = nowMs
        self.utcOffsetSeconds = utcOffsetSeconds
    }

    /// The paths a question has when seen from this scope: one inside the
    /// current instance, or one per instance of a repeat outside it.
    func paths(_ name: String, repeats: [String]) -> (paths: [String], isList: Bool) {
        var prefixes = [""]
        var isList = false
        for r in repeats {
            if let key = scope[r] {
                prefixes = prefixes.map { Answers.prefix($0, repeat: r, key: key) }
            } else {
                isList = true
                prefixes = prefixes.flatMap { p in
                    answers.instances(of: r, under: p).map { Answers.prefix(p, repeat: r, key: $0) }
                }
            }
        }
        return (prefixes.map { $0 + name }, isList)
    }

    public func value(of name: String) -> XValue {
        guard let repeats = form.repeatsOf[name] else {
            // A group or repeat: count() of a repeat counts its instances.
            if let g = form.groups[name], g.isRepeat {
                let outer = g.enclosing.filter { form.groups[$0]?.isRepeat == true }
                let prefixes = paths("", repeats: outer).paths
                return .list(prefixes.flatMap { answers.instances(of: name, under: $0) })
            }
            return .string("")
        }
        if repeats.isEmpty { return answers[name]?.xvalue ?? .string("") }
        let (paths, isList) = paths(name, repeats: repeats)
        if isList { return .list(paths.compactMap { answers[$0]?.xvalue.asString }) }
        return answers[paths[0]]?.xvalue ?? .string("")
    }

    /// One cell of a choice or file row: name, label (per language) or another column.
    func cell(_ c: Choice, _ col: String) -> String? {
        if col == "name" { return c.name }
        if col == "label" { return c.label.text(form.defaultLanguage, fallback: form.defaultLanguage) }
        if col.hasPrefix("label::") { return c.label.text(Language(column: String(col.dropFirst(7))).code, fallback: form.defaultLanguage) }
        return c.columns[col]
    }

    public func pull(instance: String, column: String, keyColumn: String, key: String) -> XValue {
        guard let rows = form.choiceLists[instance + ".csv"], let row = rows.first(where: { cell($0, keyColumn) == key }) else { return .string("") }
        return .string(cell(row, column) ?? "")
    }

    public func items(instance: String, predicate: Expr?, column: String?) -> XValue {
        guard let rows = form.instanceRows(instance) else { return .list([]) }
        var ctx = self
        let kept = rows.filter { row in
            guard let predicate else { return true }
            ctx.choice = row
            return predicate.isTrue(in: ctx)
        }
        return .list(kept.map { row in column.map { cell(row, $0) ?? "" } ?? row.name })
    }

    public func column(_ name: String) -> XValue {
        guard let choice else { return .string("") }
        return .string(cell(choice, name) ?? "")
    }

    /// Whether a question (or group) is relevant here: its own condition and
    /// those of every group around it.
    public func isRelevant(enclosing: [String], relevant: Expr?) -> Bool {
        for g in enclosing {
            if let e = form.groups[g]?.relevant, !e.isTrue(in: self) { return false }
        }
        return relevant?.isTrue(in: self) ?? true
    }

    /// Whether a choice of that name is on offer here: in the question's
    /// list and passing its choice_filter. Only that name's rows are tried.
    public func offers(_ q: Question, _ name: String) -> Bool {
        guard let list = q.listName, let at = form.choicePositions[list]?[name] else { return false }
        guard let filter = q.choiceFilter, let rows = form.choiceLists[list] else { return true }
        var ctx = self
        return at.contains { i in
            ctx.choice = rows[i]
            return filter.isTrue(in: ctx)
        }
    }

    /// The choices of a question that pass its choice_filter here.
    public func choices(for q: Question) -> [Choice] {
        let all = form.choices(for: q)
        guard let filter = q.choiceFilter else { return all }
        var ctx = self
        return all.filter { c in
            ctx.choice = c
            return filter.isTrue(in: ctx)
        }
    }
}
