import CSV
import Crypto
import Forms
import Foundation

/// Files published with a form (ODK's form media): a CSV of choices for
/// `select_one_from_file NAME.csv`. Its rows join the definition's choices
/// under the file's name, and the file's name, hash and size are kept, so
/// the definition alone carries everything to every device.
extension FormFile {
    /// A file handed over with a form: its name and bytes.
    public struct Media: Sendable {
        public var name: String
        public var data: Data
        public init(name: String, data: Data) { self.name = (name as NSString).lastPathComponent; self.data = data }
    }

    /// The most bytes and rows one choice file may have.
    static let maxMediaBytes = 10_000_000
    static let maxMediaRows = 100_000

    /// The definition with the files' rows added as choices.
    /// - Throws: `Failure` naming the file (and row) for a file the form does
    ///   not name, that is not UTF-8 CSV with `name` and `label` columns, or
    ///   too large; nothing is added then.
    public static func attach(_ media: [Media], to definition: FormDefinition, form file: String) throws(Failure) -> FormDefinition {
        var out = definition
        let named = Set(definition.survey.compactMap { row -> String? in
            let words = (row["type"] ?? "").split(whereSeparator: \.isWhitespace)
            guard words.count == 2, ["select_one_from_file", "select_multiple_from_file"].contains(words[0].lowercased()) else { return nil }
            return String(words[1])
        })
        // pulldata('facilities', ...) reads facilities.csv (quotes as Excel may curl them).
        var pulled: Set<String> = []
        for row in definition.survey {
            for text in row.cells.values where text.contains("pulldata") {
                for match in text.matches(of: /pulldata\s*\(\s*['"\u{2018}\u{2019}\u{201C}\u{201D}]([^'"\u{2018}\u{2019}\u{201C}\u{201D}]+)['"\u{2018}\u{2019}\u{201C}\u{201D}]/) {
                    pulled.insert(String(match.1) + ".csv")
                }
            }
        }
        var seen: Set<String> = []
        for m in media {
            func refuse(_ m2: Message) -> Failure { Failure(worded: Message(.formMediaSaid, ["file": .text(m.name), "problem": .message(m2)])) }
            guard seen.insert(m.name).inserted else { throw refuse(Message(.formMediaTwice)) }
            guard named.contains(m.name) || pulled.contains(m.name) else {
                throw refuse(Message(.formMediaNotNamed, ["form": .text((file as NSString).lastPathComponent)]))
            }
            guard m.data.count <= maxMediaBytes else { throw refuse(Message(.formMediaTooLarge, ["limit": .text(FileAnswer.size(maxMediaBytes))])) }
            var bytes = m.data
            if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes = bytes.dropFirst(3) }  // Excel's byte-order mark
            guard let text = String(data: bytes, encoding: .utf8) else { throw refuse(Message(.formMediaNotUTF8)) }
            let reader: CSVReader
            do { reader = try CSVReader(string: text, hasHeaderRow: true) } catch { throw refuse(Message(.formMediaNotCSV)) }
            let header = (reader.headerRow ?? []).map { $0.trimmingCharacters(in: .whitespaces) }
            // A file only pulldata() reads needs no label.
            guard header.contains("name"), !named.contains(m.name) || header.contains(where: { $0 == "label" || $0.hasPrefix("label::") }) else {
                throw refuse(Message(.formMediaColumns))
            }
            var rows = 0
            var names: Set<String> = []
            while let values = reader.next() {
                rows += 1
                guard rows <= maxMediaRows else { throw refuse(Message(.formMediaRows, ["limit": .int(maxMediaRows)])) }
                // A stray quote swallows the rest of the file into one field: the count shows it.
                guard values.count == header.count || (values.count == 1 && values[0].isEmpty) else {
                    throw refuse(Message(.formMediaFields, ["row": .int(rows + 1), "count": .int(values.count), "columns": .int(header.count)]))
                }
                if values.count == 1 && values[0].isEmpty && header.count > 1 { rows -= 1; continue }  // a blank line
                var cells = ["list_name": m.name]
                for (i, column) in header.enumerated() where !column.isEmpty && column != "list_name" && i < values.count {
                    cells[column] = values[i]
                }
                let name = cells["name"]?.trimmingCharacters(in: .whitespaces) ?? ""
                guard !name.isEmpty, names.insert(name).inserted else {
                    throw refuse(Message(name.isEmpty ? .formMediaRowNoName : .formMediaRowTwice, ["row": .int(rows + 1)]))
                }
                out.choices.append(FormRow(cells: cells, row: out.choices.count + 2))
            }
            if let error = reader.error { throw refuse(Message(.formMediaBroken, ["row": .int(rows + 2), "detail": .text("\(error)")])) }
            out.files.append(AttachedFile(name: m.name, sha256: SHA256.hash(data: m.data).map { String(format: "%02x", $0) }.joined(),
                                          size: m.data.count))
        }
        return out
    }
}
