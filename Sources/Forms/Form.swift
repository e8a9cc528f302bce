/// A loaded survey: its questions in a tree of groups and repeats, its
/// choice lists and every expression already parsed.
///
/// Made by `Form.load(_:)`, which refuses a definition with any problem, so a
/// `Form` is always consistent: every reference resolves, every list exists.
public final class Form: Sendable {
    public let id: String
    public let version: String
    public let title: String
    /// The title per language (`recolha_title::Português (pt)` in settings,
    /// a Recolha column pyxform ignores).
    public let titles: Localized
    /// The code of the language shown when none is asked for.
    public let defaultLanguage: String
    public let languages: [Language]
    /// The top-level nodes, in the order of the survey sheet.
    public let nodes: [Node]
    /// Every question by name (names are unique in a form).
    public let questions: [String: Question]
    /// Every group and repeat by name.
    public let groups: [String: Group]
    /// The choices of every list, in sheet order.
    public let choiceLists: [String: [Choice]]
    /// The definition it was loaded from.
    public let definition: FormDefinition
    /// The questions the device fills itself (metadata, hidden), in sheet
    /// order, and whether any sits in a repeat: a save fills them without
    /// walking the form when none does.
    public let deviceFilled: [Question]
    public let deviceFilledInRepeats: Bool
    /// Whether any question has a `trigger` (a save then compares with the answers saved before).
    public let hasTriggers: Bool
    /// Where each choice name sits in its list (list, name, positions): a
    /// save checks the choices picked, not every choice a list offers.
    let choicePositions: [String: [String: [Int]]]
    /// Every name a settling pass reads (relevance, calculations, their
    /// choice filters, triggers): a pass that changed none of them, outside
    /// any repeat, is the last one needed.
    let settleReads: Set<String>
    /// The repeats around each question: what reading an answer needs,
    /// without copying the whole question out of `questions`.
    let repeatsOf: [String: [String]]

    init(
        id: String, version: String, title: String, titles: Localized = Localized(), defaultLanguage: String, languages: [Language],
        nodes: [Node], questions: [String: Question], groups: [String: Group],
        choiceLists: [String: [Choice]], definition: FormDefinition
    ) {
        self.id = id
        self.version = version
        self.title = title
        self.titles = titles
        self.defaultLanguage = defaultLanguage
        self.languages = languages
        self.nodes = nodes
        self.questions = questions
        self.groups = groups
        self.choiceLists = choiceLists
        self.definition = definition
        var filled: [Question] = []
        func walk(_ nodes: [Node]) {
            for n in nodes {
                switch n {
                case .question(let q): if q.type.isMetadata || q.type == .hidden { filled.append(q) }
                case .group(let g): walk(g.children)
                }
            }
        }
        walk(nodes)
        deviceFilled = filled
        deviceFilledInRepeats = filled.contains { !$0.repeats.isEmpty }
        hasTriggers = questions.values.contains { $0.trigger != nil }
        var reads: Set<String> = []
        for q in questions.values {
            for e in [q.relevant, q.calculation, q.choiceFilter].compactMap({ $0 }) { reads.formUnion(e.references) }
            if let t = q.trigger { reads.insert(t) }
        }
        for g in groups.values { reads.formUnion(g.relevant?.references ?? []) }
        settleReads = reads
        repeatsOf = questions.mapValues(\.repeats)
        choicePositions = choiceLists.mapValues { list in
            var at: [String: [Int]] = [:]
            for (i, c) in list.enumerated() { at[c.name, default: []].append(i) }
            return at
        }
    }

    /// Every question in sheet order, depth first.
    public var orderedQuestions: [Question] {
        var out: [Question] = []
        func walk(_ nodes: [Node]) {
            for n in nodes {
                switch n {
                case .question(let q): out.append(q)
                case .group(let g): walk(g.children)
                }
            }
        }
        walk(nodes)
        return out
    }

    /// The choices of a question (empty for other types).
    public func choices(for q: Question) -> [Choice] {
        q.listName.flatMap { choiceLists[$0] } ?? []
    }

    /// The rows `instance('x')` reads: the choice list x, else the file
    /// x.csv, x.xml or x.geojson published with the form.
    public func instanceRows(_ id: String) -> [Choice]? {
        choiceLists[id] ?? choiceLists[id + ".csv"] ?? choiceLists[id + ".xml"] ?? choiceLists[id + ".geojson"]
    }

    /// The name of the XForm instance's root, as pyxform writes paths:
    /// settings `name`, else `data`.
    public var instanceName: String {
        definition.settings.first?["name"] ?? "data"
    }

    /// A question's path as pyxform writes it: `/data/group/name`.
    public func xformPath(_ q: Question) -> String {
        "/" + ([instanceName] + q.enclosing + [q.name]).joined(separator: "/")
    }
}

public enum Node: Sendable {
    case question(Question)
    case group(Group)
}

/// A `begin_group` or `begin_repeat` and what it holds.
public struct Group: Sendable {
    public var name: String
    public var isRepeat: Bool
    public var label: Localized
    public var relevant: Expr?
    public var appearance: String?
    public var children: [Node]
    public var row: Int
    /// Names of the groups and repeats around this one, outermost first.
    public var enclosing: [String]
    /// `repeat_count`: how many instances the repeat has (never asked).
    public var repeatCount: Expr?
}

/// A class, not a struct: a save walks the form several times, and copying
/// a question's thirty fields at every step was a seventh of its time. The
/// loader sets its fields before the form is published; nothing changes
/// them after, which is what makes sharing it across threads safe.
public final class Question: @unchecked Sendable {
    public var name: String
    public var type: QuestionType
    public var listName: String?
    public var label: Localized
    public var hint: Localized
    /// nil when never required; else an expression (`true()` for `yes`).
    public var required: Expr?
    public var requiredMessage: Localized
    public var constraint: Expr?
    public var constraintText: String?
    public var constraintMessage: Localized
    public var relevant: Expr?
    public var calculation: Expr?
    public var defaultValue: String?
    public var choiceFilter: Expr?
    /// `select_one list or_other`: offers `other`, with a NAME_other question.
    public var orOther: Bool = false
    /// The text of `required` and `relevant` as written.
    public var requiredText: String?
    public var relevantText: String?
    public var appearance: String?
    /// A range's start, end and step.
    public var parameters = RangeParameters()
    /// A media question's largest file in bytes (settings
    /// `recolha_max_file_mb`, 10 MB unless given).
    public var maxFileSize = 10_000_000
    /// An image's `max-pixels` parameter: stated, not applied (Recolha
    /// keeps a photo as taken, it has no image library to scale it).
    public var maxPixels: Int?
    /// `read_only`: shown with its default or calculation, never asked or given.
    public var readOnly = false
    /// `guidance_hint`: shown under the hint.
    public var guidance = Localized()
    /// A `default` that is an expression (`${a}`, `today()`, `x * 2`, as
    /// pyxform tells them apart): computed when the record or repeat
    /// instance starts, as ODK's dynamic defaults.
    public var dynamicDefault: Expr?
    /// `trigger`: the question whose change alone (re)computes this one's
    /// `calculation` (or clears it when there is none), as in ODK.
    public var trigger: String?
    /// The spreadsheet row of the survey sheet it came from.
    public var row: Int
    /// Names of the groups and repeats around it, outermost first.
    public var enclosing: [String]
    /// Names of the repeats around it, outermost first.
    public var repeats: [String]

    init(name: String, type: QuestionType, listName: String?, label: Localized, hint: Localized, required: Expr?,
         requiredMessage: Localized, constraint: Expr?, constraintText: String?, constraintMessage: Localized,
         relevant: Expr?, calculation: Expr?, defaultValue: String?, choiceFilter: Expr?, appearance: String?,
         row: Int, enclosing: [String], repeats: [String]) {
        self.name = name; self.type = type; self.listName = listName; self.label = label; self.hint = hint
        self.required = required; self.requiredMessage = requiredMessage; self.constraint = constraint
        self.constraintText = constraintText; self.constraintMessage = constraintMessage; self.relevant = relevant
        self.calculation = calculation; self.defaultValue = defaultValue; self.choiceFilter = choiceFilter
        self.appearance = appearance; self.row = row; self.enclosing = enclosing; self.repeats = repeats
    }
}

public struct Choice: Hashable, Sendable {
    public var name: String
    public var label: Localized
    /// Every other column of the choice row (for choice_filter).
    public var columns: [String: String]

    /// The image a choice shows in Collect (`media::image`, per language),
    /// named in a terminal.
    public func image(_ language: String, fallback: String) -> String? {
        let keys = columns.keys.filter { $0 == "media::image" || $0 == "image" || $0.hasPrefix("media::image::") || $0.hasPrefix("image::") }
        guard !keys.isEmpty else { return nil }
        var byLanguage: [String: String] = [:]
        for k in keys {
            let lang = k.range(of: "image::").map { Language(column: String(k[$0.upperBound...])).code } ?? fallback
            if let v = columns[k], !v.isEmpty { byLanguage[lang] = v }
        }
        return Localized(byLanguage).text(language, fallback: fallback)
    }
}

extension Form {
    /// An answer as a person reads it: a choice by its label in `language`
    /// (else the form's default language, else its name); with `withNames`,
    /// as `name (label)`.
    public func display(_ a: Answer, question q: Question, language: String, withNames: Bool = false) -> String {
        if case .file(let f) = a { return "\(f.name) (\(f.kind), \(FileAnswer.size(f.size)))" }
        guard q.type.hasChoices else { return a.display }
        let picked: [String]
        switch a {
        case .text(let s): picked = [s]
        case .choices(let c): picked = c
        default: return a.display
        }
        let choices = choices(for: q)
        return picked.map { n in
            guard let label = choices.first(where: { $0.name == n })?.label.text(language, fallback: defaultLanguage) else { return n }
            return withNames ? "\(n) (\(label))" : label
        }.joined(separator: ", ")
    }
}

public extension Form {
    /// The title in a language, else the default language's, else `title`.
    func title(_ language: String) -> String {
        titles.text(language, fallback: defaultLanguage) ?? title
    }
}

/// Where a `range` question's answers lie.
public struct RangeParameters: Hashable, Sendable {
    public var start: Double = 1
    public var end: Double = 10
    public var step: Double = 1

    public init() {}

    /// Whole numbers only when every bound and the step are whole.
    public var isWhole: Bool { [start, end, step].allSatisfy { $0 == $0.rounded() } }

    /// Whether `x` is within bounds and on a step from `start`.
    public func holds(_ x: Double) -> Bool {
        guard x >= start - 1e-9, x <= end + 1e-9 else { return false }
        let steps = (x - start) / step
        return abs(steps - steps.rounded()) < 1e-6
    }
}
