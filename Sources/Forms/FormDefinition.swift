/// One row of an XLSForm sheet: its cells by column name, and the row number
/// a spreadsheet would show (the header is row 1, so data starts at row 2).
public struct FormRow: Hashable, Sendable {
    public var cells: [String: String]
    public var row: Int

    public init(cells: [String: String], row: Int) {
        self.cells = cells
        self.row = row
    }

    /// The trimmed cell, nil when missing or blank.
    public subscript(_ column: String) -> String? {
        guard let v = cells[column] else { return nil }
        let t = v.trimmingSpaces
        return t.isEmpty ? nil : t
    }

    public var isBlank: Bool { cells.values.allSatisfy { $0.trimmingSpaces.isEmpty } }
}

/// A survey definition as an XLSForm workbook holds it: `survey`, `choices`
/// and `settings` sheets of rows, with XLSForm's own column names.
///
/// This is the shape of the JSON files in `schema/forms/`; a reader of
/// `.xlsx` workbooks produces the same value.
public struct FormDefinition: Hashable, Sendable, Codable {
    public var survey: [FormRow]
    public var choices: [FormRow]
    public var settings: [FormRow]
    /// The files published with the form (a CSV of choices for
    /// `select_one_from_file`): name, hash and size. Their rows are in
    /// `choices` under the file's name as list, so the definition alone
    /// holds all a device needs.
    public var files: [AttachedFile]
    /// The `external_choices` sheet: lists for `select_one_external`, which
    /// Collect reads from the itemsets.csv pyxform builds from this sheet.
    public var externalChoices: [FormRow]

    public init(survey: [FormRow], choices: [FormRow], settings: [FormRow], files: [AttachedFile] = [], externalChoices: [FormRow] = []) {
        self.survey = survey
        self.choices = choices
        self.settings = settings
        self.files = files
        self.externalChoices = externalChoices
    }

    enum CodingKeys: String, CodingKey { case survey, choices, settings, files, externalChoices = "external_choices" }

    /// The list a `select_one_external LIST` question reads: its own name
    /// space, as a list may be named on both sheets (pyxform allows it).
    public static func externalList(_ name: String) -> String { "external_choices/" + name }

    /// A cell as JSON writes it: text, or a number or boolean read as text.
    struct Cell: Decodable {
        var text: String
        init(from decoder: any Decoder) throws {
            let c = try decoder.singleValueContainer()
            if c.decodeNil() { text = ""; return }
            if let s = try? c.decode(String.self) { text = s; return }
            if let b = try? c.decode(Bool.self) { text = b ? "yes" : "no"; return }
            if let i = try? c.decode(Int.self) { text = String(i); return }
            if let d = try? c.decode(Double.self) { text = String(d); return }
            throw DecodingError.dataCorruptedError(
                in: c, debugDescription: "a cell holds text, a number or a boolean")
        }
    }

    private static func rows(_ raw: [[String: Cell]]) -> [FormRow] {
        raw.enumerated().map { i, cells in
            FormRow(cells: cells.mapValues(\.text), row: i + 2)
        }
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        survey = Self.rows(try c.decode([[String: Cell]].self, forKey: .survey))
        choices = Self.rows(try c.decodeIfPresent([[String: Cell]].self, forKey: .choices) ?? [])
        if let one = try? c.decode([String: Cell].self, forKey: .settings) {
            settings = Self.rows([one])
        } else {
            settings = Self.rows(try c.decodeIfPresent([[String: Cell]].self, forKey: .settings) ?? [])
        }
        files = try c.decodeIfPresent([AttachedFile].self, forKey: .files) ?? []
        externalChoices = Self.rows(try c.decodeIfPresent([[String: Cell]].self, forKey: .externalChoices) ?? [])
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(survey.map(\.cells), forKey: .survey)
        try c.encode(choices.map(\.cells), forKey: .choices)
        try c.encode(settings.map(\.cells), forKey: .settings)
        if !files.isEmpty { try c.encode(files, forKey: .files) }
        if !externalChoices.isEmpty { try c.encode(externalChoices.map(\.cells), forKey: .externalChoices) }
    }
}

/// A file published with a form (ODK's form media): its name as the form
/// names it, its SHA-256 and its size.
public struct AttachedFile: Hashable, Sendable, Codable {
    public var name: String
    public var sha256: String
    public var size: Int
    public init(name: String, sha256: String, size: Int) { self.name = name; self.sha256 = sha256; self.size = size }
}
