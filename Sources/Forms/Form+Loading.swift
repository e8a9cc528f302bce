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
                Message(.formNotDefinition, ["detail": .text(Self.describe(error))]))])
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
    /// Settings `recolha_max_file_mb`, in bytes.
    var maxFileSize = 10_000_000

    init(definition: FormDefinition) {
        self.definition = definition
    }

    mutating func problem(_ sheet: String, _ row: Int?, _ column: String?, _ message: Message) {
        problems.append(FormProblem(sheet: sheet, row: row, column: column, message))
    }

    mutating func run() throws(FormLoadError) -> Form {
        let settings = definition.settings.first
        let formID = settings?["form_id"] ?? settings?["id_string"]
        if formID == nil {
            problem("settings", settings?.row ?? 2, "form_id", Message(.formNeedsID))
        }
        let version = settings?["version"] ?? "1"
        let defaultLanguageName = settings?["default_language"]
        let defaultLanguage = defaultLanguageName.map { Language(column: $0).code } ?? Language.unnamed
        collectLanguages(defaultLanguage: defaultLanguage)

        maxFileSize = fileLimit(settings)
        let allowDuplicates = ["yes", "true", "true()"].contains(settings?["allow_choice_duplicates"]?.lowercased() ?? "")
        var lists = loadChoices(defaultLanguage: defaultLanguage, allowDuplicates: allowDuplicates)
        let nodes = loadSurvey(lists: lists, defaultLanguage: defaultLanguage)
        // As pyxform: `or_other` adds the choice `other` to the list itself.
        for list in otherLists where lists[list]?.contains(where: { $0.choice.name == "other" }) == false {
            lists[list]?.append((Choice(name: "other", label: Localized([defaultLanguage: "Other"]), columns: [:]), 0))
        }
        checkCycles()
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

    mutating func loadChoices(defaultLanguage: String, allowDuplicates: Bool) -> [String: [(choice: Choice, row: Int)]] {
        var lists: [String: [(choice: Choice, row: Int)]] = [:]
        let sheets = [("choices", definition.choices), ("external_choices", definition.externalChoices)]
        for (sheet, rows) in sheets {
        for row in rows where !row.isBlank {
            guard let listName = row["list_name"] ?? row["list name"] else {
                problem(sheet, row.row, "list_name", Message(.formChoiceNoList))
                continue
            }
            let list = sheet == "choices" ? listName : FormDefinition.externalList(listName)
            guard let name = row["name"] ?? row["value"] else {
                problem(sheet, row.row, "name", Message(.formChoiceNoName, ["list": .text(listName)]))
                continue
            }
            if !allowDuplicates, lists[list]?.contains(where: { $0.choice.name == name }) == true {
                problem(sheet, row.row, "name",
                        Message(.formChoiceDuplicate, ["name": .text(name), "list": .text(listName)]))
                continue
            }
            var columns: [String: String] = [:]
            for (k, v) in row.cells where !k.hasPrefix("label") && k != "list_name" && k != "name" {
                columns[k] = v.trimmingSpaces
            }
            let choice = Choice(name: name, label: localized(row, "label", defaultLanguage: defaultLanguage), columns: columns)
            lists[list, default: []].append((choice, row.row))
        }
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
            problem("survey", row.row, column, Message(.formCannotParse, ["text": .text(text), "detail": .text("\(error)")]))
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
            problem("survey", row, "name", Message(.formDuplicateName, ["name": .text(name), "first": .text(String(first))]))
            return false
        }
        if !Self.isValidName(name) {
            problem("survey", row, "name",
                    Message(.formBadName, ["name": .text(name)]))
            return false
        }
        if ["id", "form_id", "form_version", "status"].contains(name) {
            problem("survey", row, "name", Message(.formReservedName, ["name": .text(name)]))
            return false
        }
        // Recolha's own fields of a record; every other name pyxform takes
        // (`_1`, `_note`) is the survey designer's.
        if ["_status", "_review", "_deleted"].contains(name) {
            problem("survey", row, "name", Message(.formMetaName, ["name": .text(name)]))
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
                problem("survey", row.row, "type", Message(.formNoType))
                continue
            }
            if let reason = QuestionType.refusal(typeText) {
                problem("survey", row.row, "type", Message(.formNotCaptured, ["type": .text(typeText), "reason": .message(reason)]))
                continue
            }
            guard var kind = RowKind.parse(typeText) else {
                problem("survey", row.row, "type",
                        Message(.formUnsupportedType, ["type": .text(typeText), "supported": .text(QuestionType.supportedList)]))
                continue
            }
            if kind == .phoneNumber {
                // As pyxform's `phone number`: text, digits only unless the row says otherwise.
                kind = .question(.text, list: nil, orOther: false)
                if row["constraint"] == nil { row.cells["constraint"] = #"regex(., '^\d*$')"# }
                if !row.cells.keys.contains(where: { $0 == "hint" || $0.hasPrefix("hint::") }) { row.cells["hint"] = "Enter numbers only." }
            }
            noteLabelRefs(row)
            if row["appearance"]?.lowercased().contains("search(") == true {
                problem("survey", row.row, "appearance", Message(.formSearchAppearance))
            }
            let enclosing = stack.map(\.group.name)
            switch kind {
            case .beginGroup, .beginRepeat:
                let name = row["name"] ?? ""
                if name.isEmpty {
                    problem("survey", row.row, "name", Message(.formGroupNoName))
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
                    problem("survey", row.row, "type", Message(.formEndWithoutBegin, ["type": .text(typeText)]))
                    continue
                }
                if open.group.isRepeat != (kind == .endRepeat) {
                    problem("survey", row.row, "type",
                            Message(.formEndCrosses, ["type": .text(typeText), "kind": .text(open.group.isRepeat ? "repeat" : "group"),
                                                     "name": .text(open.group.name), "row": .text(String(open.group.row))]))
                }
                open.group.children = open.nodes
                if !open.group.name.isEmpty { groups[open.group.name] = open.group }
                append(.group(open.group), &stack, &top)
            case .phoneNumber:
                continue  // read as text above
            case .question(let type, let list, let orOther):
                guard let name = row["name"] else {
                    problem("survey", row.row, "name", Message(.formQuestionNoName, ["type": .text(type.name)]))
                    continue
                }
                guard register(name: name, row: row.row) else { continue }
                if let list, lists[list] == nil {
                    let external = FormDefinition.externalList("")
                    problem("survey", row.row, "type", typeText.lowercased().contains("_from_file")
                            ? Message(.formChoiceFileMissing, ["file": .text(list)])
                            : list.hasPrefix(external) ? Message(.formExternalListMissing, ["list": .text(String(list.dropFirst(external.count)))])
                            : Message(.formUnknownList, ["list": .text(list)]))
                }
                let calculation = parse(row, "calculation")
                if type == .calculate && calculation == nil && row["calculation"] == nil {
                    problem("survey", row.row, "calculation", Message(.formCalculateEmpty))
                }
                let q = Question(
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
                if type.isMedia {
                    q.maxFileSize = maxFileSize
                    if type == .image { q.maxPixels = imageParameters(row) }
                }
                q.readOnly = ["yes", "true", "true()"].contains(row["read_only"]?.lowercased() ?? "")
                q.guidance = localized(row, "guidance_hint", defaultLanguage: lang)
                if let d = row["default"], Self.isDynamicDefault(d) { q.dynamicDefault = parse(row, "default") }
                if row["trigger"] != nil {
                    switch parse(row, "trigger") {
                    case .ref(let name)?: q.trigger = name
                    case nil: break
                    default: problem("survey", row.row, "trigger", Message(.formTriggerShape))
                    }
                }
                questions[name] = q
                append(.question(q), &stack, &top)
                if orOther, let list { otherLists.insert(list) }
                if orOther {
                    // As pyxform does: a text question for the other answer.
                    let other = name + "_other"
                    guard register(name: other, row: row.row) else { continue }
                    let specify = Question(
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
                    Message(.formNeverClosed, ["kind": .text(open.group.isRepeat ? "repeat" : "group"), "name": .text(open.group.name)]))
        }
        return top
    }

}
