/// One thing wrong with a form definition, with the sheet, row and column
/// that hold it, as a spreadsheet shows them.
public struct FormProblem: Hashable, Sendable, CustomStringConvertible {
    public var sheet: String
    public var row: Int?
    public var column: String?
    public var message: String

    public init(sheet: String, row: Int?, column: String?, message: String) {
        self.sheet = sheet
        self.row = row
        self.column = column
        self.message = message
    }

    public var description: String {
        var place = sheet
        if let row { place += " row \(row)" }
        if let column { place += ", column \(column)" }
        return "\(place): \(message)"
    }
}

/// A form definition that cannot be loaded, with every problem found.
public struct FormLoadError: Error, Sendable, CustomStringConvertible {
    public var problems: [FormProblem]
    public var description: String {
        "the form has \(problems.count) problem\(problems.count == 1 ? "" : "s"):\n"
            + problems.map { "  \($0)" }.joined(separator: "\n")
    }
}
