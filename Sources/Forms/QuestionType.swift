/// The question types Recolha captures.
public enum QuestionType: String, Hashable, Sendable, CaseIterable {
    case text, integer, decimal
    case selectOne = "select_one", selectMultiple = "select_multiple"
    case date, datetime, geopoint, note, calculate

    /// The XLSForm spelling: `select_one`, `integer`, ...
    public var name: String { rawValue }

    public var hasChoices: Bool { self == .selectOne || self == .selectMultiple }

    /// Every type the survey sheet accepts, structure rows included, for
    /// messages that list them.
    public static let supportedList =
        "text, integer, decimal, select_one LIST, select_multiple LIST, date, datetime, "
        + "geopoint, note, calculate, begin_group, end_group, begin_repeat, end_repeat"
}

/// What the `type` cell of a survey row says.
enum RowKind: Equatable {
    case question(QuestionType, list: String?)
    case beginGroup, endGroup, beginRepeat, endRepeat

    /// Reads a type cell as XLSForm writers spell it (`select one x`,
    /// `select_one x`, `begin group`, `begin_group`); nil when unknown.
    static func parse(_ raw: String) -> RowKind? {
        let words = raw.split(whereSeparator: \.isWhitespace).map(String.init)
        guard let first = words.first?.lowercased() else { return nil }
        var head = first
        var rest = Array(words.dropFirst())
        if ["select", "begin", "end"].contains(first), let second = rest.first {
            head = first + "_" + second.lowercased()
            rest.removeFirst()
        }
        switch head {
        case "begin_group": return rest.isEmpty ? .beginGroup : nil
        case "end_group": return rest.isEmpty ? .endGroup : nil
        case "begin_repeat": return rest.isEmpty ? .beginRepeat : nil
        case "end_repeat": return rest.isEmpty ? .endRepeat : nil
        case "select_one", "select_multiple":
            guard rest.count == 1 else { return nil }
            return .question(head == "select_one" ? .selectOne : .selectMultiple, list: rest[0])
        default:
            guard rest.isEmpty else { return nil }
            let aliases: [String: QuestionType] = [
                "text": .text, "string": .text, "integer": .integer, "int": .integer,
                "decimal": .decimal, "date": .date, "datetime": .datetime, "datetime_": .datetime,
                "geopoint": .geopoint, "note": .note, "calculate": .calculate,
            ]
            return aliases[head].map { .question($0, list: nil) }
        }
    }
}
