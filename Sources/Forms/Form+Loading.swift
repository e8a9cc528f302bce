import Foundation

extension Form {
    /// Reads a form from the JSON text of a definition file.
    /// - Throws: `FormLoadError` listing every problem, with sheet, row and column.
    public static func load(json data: Data) throws(FormLoadError) -> Form {
        let definition: FormDefinition
        do {
            definition = try JSONDecoder().decode(FormDefinition.self, from: data)
        } catch {
            throw FormLoadError(problems: [FormProblem(
                sheet: "file", row: nil, column: nil,
                message: "not a form definition (\(Self.describe(error))): expected a JSON object with survey, choices and settings arrays")])
        }
        return try load(definition)
    }

    static func describe(_ error: any Error) -> String {
        switch error {
        case DecodingError.dataCorrupted(let c):
            return c.underlyingError.map { "\($0.localizedDescription)" } ?? c.debugDescription
        case DecodingError.keyNotFound(let key, _): return "missing \(key.stringValue)"
        case DecodingError.typeMismatch(_, let c):
            return "wrong type at \(c.codingPath.map(\.stringValue).joined(separator: "."))"
        default: return "malformed JSON"
        }
    }

    /// Checks a definition and builds the form.
    /// - Throws: `FormLoadError` listing every problem, with sheet, row and column.
    public static func load(_ definition: FormDefinition) throws(FormLoadError) -> Form {
        var loader = FormLoader(definition: definition)
        return try loader.run()
    }
}

struct FormLoader {
    let definition: FormDefinition
    var problems: [FormProblem] = []
    var languages: [Language] = []
    var questions: [String: Question] = [:]
    var groups: [String: Group] = [:]
    var rowOfName: [String: Int] = [:]
    /// Expressions to check once every name is known: sheet row, column, expression, is choice_filter of list.
    var pending: [(row: Int, column: String, expr: Expr, filterList: String?)] = []
    var labelRefs: [(row: Int, column: String, name: String)] = []
    /// Lists used by an `or_other` question.
    var otherLists: Set<String> = []

    init(definition: FormDefinition) {
        self.definition = definition
    }

    mutating func problem(_ sheet: String, _ row: Int?, _ column: String?, _ message: String) {
        problems.append(FormProblem(sheet: sheet, row: row, column: column, message: message))
    }

    mutating func run() throws(FormLoadError) -> Form {
        let settings = definition.settings.first
        let formID = settings?["form_id"] ?? settings?["id_string"]
        if formID == nil {
            problem("settings", settings?.row ?? 2, "form_id", "the form needs a form_id")
        }
        let version = settings?["version"] ?? "1"
        let defaultLanguageName = settings?["default_language"]
        let defaultLanguage = defaultLanguageName.map { Language(column: $0).code } ?? Language.unnamed
        collectLanguages(defaultLanguage: defaultLanguage)

        let allowDuplicates = ["yes", "true", "true()"].contains(settings?["allow_choice_duplicates"]?.lowercased() ?? "")
        var lists = loadChoices(defaultLanguage: defaultLanguage, allowDuplicates: allowDuplicates)
        let nodes = loadSurvey(lists: lists, defaultLanguage: defaultLanguage)
        // As pyxform: `or_other` adds the choice `other` to the list itself.
        for list in otherLists where lists[list]?.contains(where: { $0.choice.name == "other" }) == false {
            lists[list]?.append((Choice(name: "other", label: Localized([defaultLanguage: "Other"]), columns: [:]), 0))
        }
        checkPending(lists: lists)

        if !problems.isEmpty { throw FormLoadError(problems: problems) }
        let id = formID ?? ""
        return Form(
            id: id, version: version, title: settings?["form_title"] ?? settings?["title"] ?? id,
            titles: settings.map { titles($0, defaultLanguage: defaultLanguage) } ?? Localized(),
            defaultLanguage: defaultLanguage, languages: languages, nodes: nodes,
            questions: questions, groups: groups,
            choiceLists: lists.mapValues { entries in entries.map { $0.choice } }, definition: definition)
    }

    mutating func collectLanguages(defaultLanguage: String) {
        var seen: Set<String> = []
        for row in definition.survey + definition.choices {
            for column in row.cells.keys {
                guard let range = column.range(of: "::") else { continue }
                let lang = Language(column: String(column[range.upperBound...]))
                if seen.insert(lang.code).inserted { languages.append(lang) }
            }
        }
        languages.sort { $0.code == defaultLanguage ? true : ($1.code == defaultLanguage ? false : $0.code < $1.code) }
    }

    static let expressionColumns = ["constraint", "relevant", "calculation", "choice_filter", "required", "default", "repeat_count", "trigger"]
    static let curlyQuotes: [Unicode.Scalar: Unicode.Scalar] = ["\u{2018}": "'", "\u{2019}": "'", "\u{201C}": "\"", "\u{201D}": "\""]

    /// A range's `parameters` (`start=0 end=10 step=1`, spaces or commas
    /// between them, as pyxform reads them): 1, 10 and 1 unless given.
    mutating func rangeParameters(_ row: FormRow) -> RangeParameters {
        var p = RangeParameters()
        for pair in (row["parameters"] ?? "").split(whereSeparator: { $0 == " " || $0 == "," || $0 == ";" }) {
            let parts = pair.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            guard parts.count == 2, let value = Double(parts[1]), value.isFinite else {
                problem("survey", row.row, "parameters", "a range takes start=N end=N step=N, not \(pair)")
                continue
            }
            switch parts[0] {
            case "start": p.start = value
            case "end": p.end = value
            case "step": p.step = value
            default: problem("survey", row.row, "parameters", "a range takes start, end and step, not \(parts[0])")
            }
        }
        if p.step <= 0 || p.start > p.end {
            problem("survey", row.row, "parameters", "a range needs start <= end and a step above 0")
        }
        return p
    }

    /// The form's title per language: `recolha_title::Português (pt)` in
    /// settings (pyxform ignores the column; it refuses a translated
    /// `form_title`), over `form_title`.
    func titles(_ settings: FormRow, defaultLanguage: String) -> Localized {
        var out = localized(settings, "form_title", defaultLanguage: defaultLanguage).byLanguage
        out.merge(localized(settings, "recolha_title", defaultLanguage: defaultLanguage).byLanguage) { $1 }
        return Localized(out)
    }

    /// The texts of a column in every language: `label`, `label::English (en)`.
    func localized(_ row: FormRow, _ column: String, defaultLanguage: String) -> Localized {
        var out: [String: String] = [:]
        for (key, value) in row.cells {
            let text = value.trimmingSpaces
            guard !text.isEmpty else { continue }
            if key == column {
                out[defaultLanguage] = out[defaultLanguage] ?? text
            } else if key.hasPrefix(column + "::") {
                out[Language(column: String(key.dropFirst(column.count + 2))).code] = text
            }
        }
        return Localized(out)
    }

    mutating func loadChoices(defaultLanguage: String, allowDuplicates: Bool) -> [String: [(choice: Choice, row: Int)]] {
        var lists: [String: [(choice: Choice, row: Int)]] = [:]
        for row in definition.choices where !row.isBlank {
            guard let list = row["list_name"] ?? row["list name"] else {
                problem("choices", row.row, "list_name", "a choice needs a list_name")
                continue
            }
            guard let name = row["name"] ?? row["value"] else {
                problem("choices", row.row, "name", "a choice of list \(list) needs a name")
                continue
            }
            if !allowDuplicates, lists[list]?.contains(where: { $0.choice.name == name }) == true {
                problem("choices", row.row, "name",
                        "duplicate choice \(name) in list \(list) (if meant, set allow_choice_duplicates: yes in settings)")
                continue
            }
            var columns: [String: String] = [:]
            for (k, v) in row.cells where !k.hasPrefix("label") && k != "list_name" && k != "name" {
                columns[k] = v.trimmingSpaces
            }
            let choice = Choice(name: name, label: localized(row, "label", defaultLanguage: defaultLanguage), columns: columns)
            lists[list, default: []].append((choice, row.row))
        }
        return lists
    }

    mutating func parse(_ row: FormRow, _ column: String, filterList: String? = nil) -> Expr? {
        guard let text = row[column] else { return nil }
        do {
            let e = try ExprParser.parse(text)
            pending.append((row.row, column, e, filterList))
            return e
        } catch {
            problem("survey", row.row, column, "cannot parse `\(text)`: \(error)")
            return nil
        }
    }

    /// `required` as pyxform writes it in the XForm: `true()` for yes and
    /// true, `false()` for no and false, any other text as written.
    static func requiredText(_ text: String) -> String {
        switch text.lowercased() {
        case "yes", "true": return "true()"
        case "no", "false": return "false()"
        default: return text
        }
    }

    /// `required` is `yes`/`true`/`TRUE()` or `no`/`false`, or an expression.
    mutating func parseRequired(_ row: FormRow) -> Expr? {
        guard let text = row["required"] else { return nil }
        switch text.lowercased() {
        case "yes", "true", "true()", "1": return .call("true", [])
        case "no", "false", "false()", "0": return nil
        default: return parse(row, "required")
        }
    }

    static func isValidName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first,
              first == "_" || first.properties.isAlphabetic else { return false }
        return name.unicodeScalars.allSatisfy {
            $0 == "_" || $0 == "-" || $0 == "." || $0.properties.isAlphabetic || ("0"..."9").contains($0)
        }
    }

    mutating func register(name: String, row: Int) -> Bool {
        if let first = rowOfName[name] {
            problem("survey", row, "name", "duplicate name \(name) (first used in row \(first))")
            return false
        }
        if !Self.isValidName(name) {
            problem("survey", row, "name",
                    "\(name) is not a valid name: start with a letter or _, then letters, digits, _ - or .")
            return false
        }
        if ["id", "form_id", "form_version", "status"].contains(name) {
            problem("survey", row, "name", "\(name) is reserved: `recolha show --json` prints the record's \(name) under that key; rename the question")
            return false
        }
        // Recolha's own fields of a record; every other name pyxform takes
        // (`_1`, `_note`) is the survey designer's.
        if ["_status", "_review", "_deleted"].contains(name) {
            problem("survey", row, "name", "\(name) is the name of a field Recolha keeps for every record: rename the question")
            return false
        }
        rowOfName[name] = row
        return true
    }

    mutating func noteLabelRefs(_ row: FormRow) {
        for (column, text) in row.cells where column.hasPrefix("label") || column.hasPrefix("hint") {
            var rest = Substring(text)
            while let open = rest.range(of: "${") {
                guard let close = rest[open.upperBound...].firstIndex(of: "}") else { break }
                labelRefs.append((row.row, column, String(rest[open.upperBound..<close]).trimmingSpaces))
                rest = rest[rest.index(after: close)...]
            }
        }
    }

    struct OpenGroup {
        var group: Group
        var nodes: [Node] = []
    }

    mutating func loadSurvey(lists: [String: [(choice: Choice, row: Int)]], defaultLanguage: String) -> [Node] {
        var stack: [OpenGroup] = []
        var top: [Node] = []
        func append(_ node: Node, _ stack: inout [OpenGroup], _ top: inout [Node]) {
            if stack.isEmpty { top.append(node) } else { stack[stack.count - 1].nodes.append(node) }
        }
        let lang = defaultLanguage
        for surveyRow in definition.survey where !surveyRow.isBlank {
            var row = surveyRow
            // Excel types ‘curly’ quotes; in expressions pyxform reads them straight.
            for column in Self.expressionColumns {
                if let v = row.cells[column], v.unicodeScalars.contains(where: { Self.curlyQuotes[$0] != nil }) {
                    row.cells[column] = String(String.UnicodeScalarView(v.unicodeScalars.map { Self.curlyQuotes[$0] ?? $0 }))
                }
            }
            guard let typeText = row["type"] else {
                problem("survey", row.row, "type", "the row has no type")
                continue
            }
            if let reason = QuestionType.refusal(typeText) {
                problem("survey", row.row, "type", "\(typeText) is not captured by Recolha: \(reason)")
                continue
            }
            guard var kind = RowKind.parse(typeText) else {
                problem("survey", row.row, "type",
                        "unsupported type \(typeText): Recolha supports \(QuestionType.supportedList)")
                continue
            }
            if kind == .phoneNumber {
                // As pyxform's `phone number`: text, digits only unless the row says otherwise.
                kind = .question(.text, list: nil, orOther: false)
                if row["constraint"] == nil { row.cells["constraint"] = #"regex(., '^\d*$')"# }
                if !row.cells.keys.contains(where: { $0 == "hint" || $0.hasPrefix("hint::") }) { row.cells["hint"] = "Enter numbers only." }
            }
            noteLabelRefs(row)
            let enclosing = stack.map(\.group.name)
            switch kind {
            case .beginGroup, .beginRepeat:
                let name = row["name"] ?? ""
                if name.isEmpty {
                    problem("survey", row.row, "name", "a group needs a name")
                } else {
                    _ = register(name: name, row: row.row)
                }
                var g = Group(
                    name: name, isRepeat: kind == .beginRepeat,
                    label: localized(row, "label", defaultLanguage: lang),
                    relevant: parse(row, "relevant"), appearance: row["appearance"],
                    children: [], row: row.row, enclosing: enclosing)
                if kind == .beginRepeat { g.repeatCount = parse(row, "repeat_count") }
                stack.append(OpenGroup(group: g))
            case .endGroup, .endRepeat:
                guard var open = stack.popLast() else {
                    problem("survey", row.row, "type", "\(typeText) without a matching begin")
                    continue
                }
                if open.group.isRepeat != (kind == .endRepeat) {
                    problem("survey", row.row, "type",
                            "\(typeText) closes the \(open.group.isRepeat ? "repeat" : "group") \(open.group.name) begun in row \(open.group.row)")
                }
                open.group.children = open.nodes
                if !open.group.name.isEmpty { groups[open.group.name] = open.group }
                append(.group(open.group), &stack, &top)
            case .phoneNumber:
                continue  // read as text above
            case .question(let type, let list, let orOther):
                guard let name = row["name"] else {
                    problem("survey", row.row, "name", "a \(type.name) question needs a name")
                    continue
                }
                guard register(name: name, row: row.row) else { continue }
                if let list, lists[list] == nil {
                    problem("survey", row.row, "type", "unknown choice list \(list): add it to the choices sheet")
                }
                let calculation = parse(row, "calculation")
                if type == .calculate && calculation == nil && row["calculation"] == nil {
                    problem("survey", row.row, "calculation", "a calculate row needs a calculation")
                }
                var q = Question(
                    name: name, type: type, listName: list,
                    label: localized(row, "label", defaultLanguage: lang),
                    hint: localized(row, "hint", defaultLanguage: lang),
                    required: parseRequired(row),
                    requiredMessage: localized(row, "required_message", defaultLanguage: lang),
                    constraint: parse(row, "constraint"), constraintText: row["constraint"],
                    constraintMessage: localized(row, "constraint_message", defaultLanguage: lang),
                    relevant: parse(row, "relevant"), calculation: calculation,
                    defaultValue: row["default"],
                    choiceFilter: parse(row, "choice_filter", filterList: list),
                    appearance: row["appearance"], row: row.row, enclosing: enclosing,
                    repeats: stack.filter(\.group.isRepeat).map(\.group.name))
                q.orOther = orOther
                q.requiredText = row["required"].map(Self.requiredText)
                q.relevantText = row["relevant"]
                if type == .range { q.parameters = rangeParameters(row) }
                q.readOnly = ["yes", "true", "true()"].contains(row["read_only"]?.lowercased() ?? "")
                q.guidance = localized(row, "guidance_hint", defaultLanguage: lang)
                questions[name] = q
                append(.question(q), &stack, &top)
                if orOther, let list { otherLists.insert(list) }
                if orOther {
                    // As pyxform does: a text question for the other answer.
                    let other = name + "_other"
                    guard register(name: other, row: row.row) else { continue }
                    var specify = Question(
                        name: other, type: .text, listName: nil, label: Localized([lang: "Specify other."]), hint: Localized(),
                        required: nil, requiredMessage: Localized(), constraint: nil, constraintText: nil,
                        constraintMessage: Localized(), relevant: .call("selected", [.ref(name), .string("other")]),
                        calculation: nil, defaultValue: nil, choiceFilter: nil, appearance: nil, row: row.row,
                        enclosing: enclosing, repeats: q.repeats)
                    specify.relevantText = "selected(${\(name)}, 'other')"
                    questions[other] = specify
                    append(.question(specify), &stack, &top)
                }
            }
        }
        for open in stack.reversed() {
            problem("survey", open.group.row, "type",
                    "the \(open.group.isRepeat ? "repeat" : "group") \(open.group.name) is never closed: add an end_\(open.group.isRepeat ? "repeat" : "group") row")
        }
        return top
    }

    mutating func checkPending(lists: [String: [(choice: Choice, row: Int)]]) {
        let known = Set(rowOfName.keys)
        for (row, column, expr, _) in pending {
            for name in Set(expr.references).sorted() where !known.contains(name) {
                problem("survey", row, column, "${\(name)} refers to no question in this form")
            }
            for f in Set(expr.functions).sorted() {
                if Functions.arity[f] == nil { problem("survey", row, column, "unknown function \(f)()") }
            }
            checkArity(expr, row: row, column: column)
            let columns = Set(expr.columns)
            if column == "choice_filter" {
                // A bare name reads a column of the choices sheet; one that no
                // choice has reads as empty, as in ODK (pyxform accepts it).
            } else {
                for c in columns.sorted() {
                    problem("survey", row, column, "bare name \(c): write ${\(c)} to read an answer")
                }
            }
        }
        for (row, column, name) in labelRefs where !known.contains(name) {
            problem("survey", row, column, "${\(name)} refers to no question in this form")
        }
        problems.sort { ($0.sheet, $0.row ?? 0) < ($1.sheet, $1.row ?? 0) }
    }

    mutating func checkArity(_ e: Expr, row: Int, column: String) {
        switch e {
        case .call(let name, let args):
            if Functions.arity[name] != nil, let msg = Functions.check(name, argumentCount: args.count) {
                problem("survey", row, column, msg)
            }
            args.forEach { checkArity($0, row: row, column: column) }
        case .binary(_, let l, let r):
            checkArity(l, row: row, column: column)
            checkArity(r, row: row, column: column)
        case .negate(let x):
            checkArity(x, row: row, column: column)
        default: break
        }
    }
}
