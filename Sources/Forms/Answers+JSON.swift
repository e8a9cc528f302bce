import Words
extension Answers {
    /// Reads an answers file: one JSON object keyed by question name, a
    /// repeat as an array of objects keyed by the names inside it.
    /// - Returns: the answers and every problem found (field, reason); keys
    ///   of new repeat instances come from `makeKey(index)`; a media
    ///   question's value (a path) goes to `attach`, which keeps the file.
    public static func read(
        _ object: [String: JSONValue], form: Form, makeKey: (Int) -> String,
        attach: (Question, String) -> Result<Answer, AnswerError> = { _, _ in .failure(.init(.answerMediaPath)) }
    ) -> (Answers, [AnswerProblem]) {
        var answers = Answers()
        var problems: [AnswerProblem] = []
        var counter = 0
        func level(_ nodes: [Node]) -> [String: Node] {
            var out: [String: Node] = [:]
            for n in nodes {
                switch n {
                case .question(let q): out[q.name] = n
                case .group(let g) where g.isRepeat: out[g.name] = n
                case .group(let g): out.merge(level(g.children)) { a, _ in a }
                }
            }
            return out
        }
        func read(_ object: [String: JSONValue], nodes: [Node], prefix: String, shown: String) {
            let here = level(nodes)
            for key in object.keys.sorted() {
                let value = object[key]!
                let path = prefix + key
                let shownPath = shown + key
                guard let node = here[key] else {
                    let elsewhere = form.questions[key] != nil || form.groups[key] != nil
                    problems.append(AnswerProblem(field: shownPath, reason: elsewhere
                        ? Message(.answerInsideRepeat) : Message(.answerNotInForm, ["form": .text(form.id)])))
                    continue
                }
                if case .null = value { continue }
                switch node {
                case .question(let q):
                    if q.readOnly && !q.type.isAutomatic {
                        problems.append(AnswerProblem(field: shownPath, reason: Message(.answerReadOnly)))
                        continue
                    }
                    if q.type.isAutomatic {
                        problems.append(AnswerProblem(field: shownPath, reason: Message(q.type == .calculate ? .answerCalculated : .answerDeviceFilled)))
                        continue
                    }
                    if q.type.isMedia {
                        guard case .string(let given) = value else {
                            problems.append(AnswerProblem(field: shownPath, reason: Message(.answerMediaPath)))
                            continue
                        }
                        switch attach(q, given) {
                        case .success(let a): answers[path] = a
                        case .failure(let e): problems.append(AnswerProblem(field: shownPath, reason: e.message))
                        }
                        continue
                    }
                    switch Answer.from(json: value, for: q) {
                    case .success(let a): answers[path] = a
                    case .failure(let e): problems.append(AnswerProblem(field: shownPath, reason: e.message))
                    }
                case .group(let g):
                    guard case .array(let items) = value else {
                        problems.append(AnswerProblem(field: shownPath, reason: Message(.answerRepeatArray)))
                        continue
                    }
                    for (i, item) in items.enumerated() {
                        guard case .object(let inner) = item else {
                            problems.append(AnswerProblem(field: "\(shownPath)[\(i + 1)]", reason: Message(.answerRepeatObject)))
                            continue
                        }
                        let k = makeKey(counter)
                        counter += 1
                        read(inner, nodes: g.children, prefix: Answers.prefix(prefix, repeat: g.name, key: k),
                             shown: "\(shownPath)[\(i + 1)].")
                    }
                }
            }
        }
        read(object, nodes: form.nodes, prefix: "", shown: "")
        return (answers, problems)
    }

    /// The answers as `show --json` prints them, the shape an answers file has.
    public func json(form: Form) -> [String: JSONValue] {
        func build(_ nodes: [Node], prefix: String, into out: inout [String: JSONValue]) {
            for n in nodes {
                switch n {
                case .question(let q):
                    if let a = self[prefix + q.name] { out[q.name] = a.jsonValue }
                case .group(let g) where g.isRepeat:
                    let items: [JSONValue] = instances(of: g.name, under: prefix).map { key in
                        var inner: [String: JSONValue] = [:]
                        build(g.children, prefix: Answers.prefix(prefix, repeat: g.name, key: key), into: &inner)
                        return .object(inner)
                    }
                    if !items.isEmpty { out[g.name] = .array(items) }
                case .group(let g):
                    build(g.children, prefix: prefix, into: &out)
                }
            }
        }
        var out: [String: JSONValue] = [:]
        build(form.nodes, prefix: "", into: &out)
        return out
    }

    /// Paths written with positions (`staff[2].cadre`, 1-based) turned into
    /// instance keys; position count+1 makes a new instance.
    public func resolve(positional path: String, form: Form, makeKey: () -> String) -> String? {
        var prefix = ""
        var rest = Substring(path)
        while let open = rest.firstIndex(of: "[") {
            guard let close = rest[open...].firstIndex(of: "]"),
                  rest.index(after: close) < rest.endIndex, rest[rest.index(after: close)] == "."
            else { return nil }
            let name = String(rest[..<open])
            guard form.groups[name]?.isRepeat == true, let n = Int(rest[rest.index(after: open)..<close]), n >= 1
            else { return nil }
            let keys = instances(of: name, under: prefix)
            let key: String
            if n <= keys.count { key = keys[n - 1] } else if n == keys.count + 1 { key = makeKey() } else { return nil }
            prefix = Answers.prefix(prefix, repeat: name, key: key)
            rest = rest[rest.index(close, offsetBy: 2)...]
        }
        guard let q = form.questions[String(rest)], q.repeats.count == prefix.filter({ $0 == "[" }).count else { return nil }
        return prefix + rest
    }
}
