import Forms
import Foundation
import ZIPFoundation

/// Reads an XLSForm workbook (.xlsx: a zip of XML parts) into the same
/// `FormDefinition` the JSON files hold, as pyxform reads it: sheets survey,
/// choices and settings, the header row naming the columns, XLSForm's
/// spelling variants folded into one.
public enum XLSFormReader {
    /// Largest part (sheet, shared strings) a workbook may unpack to.
    static let maxPartBytes: UInt64 = 64 << 20
    /// What reading found: the definition, and notes for things left aside
    /// (other sheets).
    public struct Result: Sendable {
        public var definition: FormDefinition
        public var notes: [Message]
    }

    /// Reads a workbook.
    /// - Parameter name: the file's name; its stem is the form_id when the
    ///   settings sheet gives none (as pyxform does).
    /// - Throws: `XLSFormError` naming the file, sheet, row and column.
    public static func read(_ data: Data, name: String) throws(XLSFormError) -> Result {
        let file = (name as NSString).lastPathComponent
        // Read from a private temporary file, not from memory: ZIPFoundation's
        // in-memory archive traps on a crafted offset past the end (found by
        // FuzzTests.workbooks); its file-backed path reads through stdio.
        var template = Array((NSTemporaryDirectory() + "/recolha-xlsx-XXXXXX").utf8CString)
        let fd = mkstemp(&template)
        guard fd >= 0 else { throw XLSFormError(file: file, Message(.xlsformNoRoom, ["detail": .text(String(cString: strerror(errno)))])) }
        let tempPath = String(cString: template)
        defer { unlink(tempPath) }
        let written = data.withUnsafeBytes { raw in raw.isEmpty ? 0 : write(fd, raw.baseAddress, raw.count) }
        close(fd)
        guard written == data.count else { throw XLSFormError(file: file, Message(.xlsformCopyFailed)) }
        let archive: Archive
        do {
            archive = try Archive(url: URL(fileURLWithPath: tempPath), accessMode: .read)
        } catch {
            throw XLSFormError(file: file, Message(.xlsformNotZip))
        }
        func part(_ path: String) throws(XLSFormError) -> Data? {
            guard let entry = archive[path] else { return nil }
            guard entry.uncompressedSize <= Self.maxPartBytes else {
                throw XLSFormError(file: file, Message(.xlsformPartTooLarge, ["part": .text(path), "mib": .int(Int(Self.maxPartBytes >> 20))]))
            }
            var out = Data()
            do {
                _ = try archive.extract(entry, skipCRC32: false) { chunk in
                    // The declared size can lie (a zip bomb): count what comes out.
                    guard out.count + chunk.count <= Self.maxPartBytes else { throw Archive.ArchiveError.invalidEntrySize }
                    out.append(chunk)
                }
            } catch {
                throw XLSFormError(file: file, Message(.xlsformPartDamaged, ["part": .text(path)]))
            }
            return out
        }
        guard let workbook = try part("xl/workbook.xml") else {
            throw XLSFormError(file: file, Message(.xlsformNotWorkbook))
        }
        let sheets = WorkbookParser.sheets(workbook)
        let rels = try part("xl/_rels/workbook.xml.rels").map(WorkbookParser.relationships) ?? [:]
        let shared = try part("xl/sharedStrings.xml").map(SharedStringsParser.strings) ?? []

        var notes: [Message] = []
        var found: [String: [[Int: String]]] = [:]
        var rowNumbers: [String: [Int]] = [:]
        for sheet in sheets {
            var key = sheet.name.trimmingCharacters(in: .whitespaces).lowercased()
            if sheets.count == 1 && key != "survey" {
                // pyxform reads a workbook's only sheet as its survey.
                notes.append(Message(.xlsformOnlySheet, ["file": .text(file), "sheet": .text(sheet.name)]))
                key = "survey"
            }
            guard ["survey", "choices", "settings", "external_choices"].contains(key) else {
                notes.append(Message(.xlsformSheetIgnored, ["file": .text(file), "sheet": .text(sheet.name)]))
                continue
            }
            guard let target = rels[sheet.relationship] else { throw XLSFormError(file: file, sheet: sheet.name, Message(.xlsformSheetPartMissing)) }
            let path = target.hasPrefix("/") ? String(target.dropFirst()) : "xl/" + target
            guard let xml = try part(path) else { throw XLSFormError(file: file, sheet: sheet.name, Message(.xlsformSheetPartPathMissing, ["part": .text(path)])) }
            let (rows, numbers) = SheetParser.rows(xml, shared: shared)
            found[key] = rows
            rowNumbers[key] = numbers
        }
        guard found["survey"] != nil else {
            throw XLSFormError(file: file, Message(.xlsformNoSurvey, ["sheets": .text(sheets.map(\.name).joined(separator: ", "))]))
        }
        func table(_ key: String) throws(XLSFormError) -> [FormRow] {
            guard let rows = found[key], let numbers = rowNumbers[key] else { return [] }
            // As pyxform: the first row names the columns.
            guard let headerIndex = numbers.firstIndex(of: 1) else { return [] }
            var columns: [Int: String] = [:]
            var seen: [String: Int] = [:]
            for (col, raw) in rows[headerIndex].sorted(by: { $0.key < $1.key }) {
                let name = Columns.normalize(raw, sheet: key)
                guard !name.isEmpty else { continue }
                if let first = seen[name] {
                    throw XLSFormError(file: file, sheet: key, row: numbers[headerIndex], column: SheetParser.letters(col),
                                       Message(.xlsformDuplicateHeader, ["name": .text(name), "other": .text(SheetParser.letters(first))]))
                }
                seen[name] = col
                columns[col] = name
            }
            var out: [FormRow] = []
            for i in (headerIndex + 1)..<rows.count {
                var cells: [String: String] = [:]
                for (col, value) in rows[i] {
                    guard let name = columns[col] else { continue }
                    cells[name] = value
                }
                out.append(FormRow(cells: cells, row: numbers[i]))
            }
            return out
        }
        var settings = try table("settings")
        if settings.first?["form_id"] == nil {
            let stem = ((file as NSString).deletingPathExtension as NSString).lastPathComponent
            if settings.isEmpty { settings = [FormRow(cells: [:], row: 2)] }
            settings[0].cells["form_id"] = stem
        }
        return Result(definition: FormDefinition(survey: try table("survey"), choices: try table("choices"), settings: settings,
                                                     externalChoices: try table("external_choices")),
                      notes: notes)
    }
}

/// A workbook that cannot be read, with where.
public struct XLSFormError: Error, Sendable, CustomStringConvertible {
    public var file: String
    public var sheet: String?
    public var row: Int?
    public var column: String?
    public var words: Message

    init(file: String, sheet: String? = nil, row: Int? = nil, column: String? = nil, _ words: Message) {
        self.file = file; self.sheet = sheet; self.row = row; self.column = column; self.words = words
    }

    /// In English (tests).
    public var message: String { words.description }

    /// Where and what, in the catalogue's words.
    public var worded: Message {
        guard let sheet else { return Message(.xlsformAt, ["file": .text(file), "problem": .message(words)]) }
        let place = sheet + (row.map { ", row \($0)" } ?? "") + (column.map { ", column \($0)" } ?? "")
        return Message(.xlsformAtSheet, ["file": .text(file), "sheet": .text(place), "problem": .message(words)])
    }

    public var description: String { worded.description }
}

/// XLSForm's column spellings, folded into the names Recolha's loader reads.
enum Columns {
    static let aliases: [String: String] = [
        "list name": "list_name", "list_name": "list_name", "value": "name", "caption": "label",
        "relevance": "relevant", "relevant": "relevant", "constraint message": "constraint_message",
        "constraint_message": "constraint_message", "jr:constraintmsg": "constraint_message",
        "required message": "required_message", "required_message": "required_message", "jr:requiredmsg": "required_message",
        "calculate": "calculation", "calculation": "calculation", "choice filter": "choice_filter",
        "choice_filter": "choice_filter", "id_string": "form_id", "form_id": "form_id", "title": "form_title",
        "form_title": "form_title", "default language": "default_language", "default_language": "default_language",
        "read only": "read_only", "image": "media::image", "audio": "media::audio", "video": "media::video",
    ]

    /// `Label::English (en)` -> `label::English (en)`; `constraint message` -> `constraint_message`.
    static func normalize(_ raw: String, sheet: String) -> String {
        let trimmed = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { return "" }
        var base = trimmed
        var language: String?
        if let range = trimmed.range(of: "::") {
            base = String(trimmed[..<range.lowerBound])
            language = String(trimmed[range.upperBound...]).trimmingCharacters(in: .whitespaces)
        }
        let lower = base.trimmingCharacters(in: .whitespaces).lowercased()
        var name = aliases[lower] ?? lower
        let choices = sheet == "choices" || sheet == "external_choices"
        if choices, lower == "value" { name = "name" }
        if !choices, lower == "value" { name = lower }
        return language.map { name + "::" + $0 } ?? name
    }
}
