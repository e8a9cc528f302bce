/// One thing wrong with a form definition, with the sheet, row and column
/// that hold it, as a spreadsheet shows them.
public struct FormProblem: Hashable, Sendable, CustomStringConvertible {
    public var sheet: String
    public var row: Int?
    public var column: String?
    public var words: Message

    public init(sheet: String, row: Int?, column: String?, _ words: Message) {
        self.sheet = sheet
        self.row = row
        self.column = column
        self.words = words
    }

    /// In English (pyxform's language; tests).
    public var message: String { words.description }

    /// Where and what, in the catalogue's words.
    public var worded: Message {
        let place: Message
        if let row {
            place = column.map { Message(.formPlaceColumn, ["sheet": .text(sheet), "row": .text(String(row)), "column": .text($0)]) }
                ?? Message(.formPlaceRow, ["sheet": .text(sheet), "row": .text(String(row))])
        } else {
            place = .verbatim(sheet + (column.map { ", " + $0 } ?? ""))
        }
        return Message(.formProblemAt, ["place": .message(place), "problem": .message(words)])
    }

    public var description: String { worded.description }
}

/// A form definition that cannot be loaded, with every problem found.
public struct FormLoadError: Error, Sendable, CustomStringConvertible {
    public var problems: [FormProblem]
    public var worded: Message { Message(.formHasProblems, ["count": .int(problems.count), "problems": .lines(problems.map(\.worded))]) }
    public var description: String { worded.description }
}
