import CSV
import Crypto
import Forms
import Foundation

/// Files published with a form (ODK's form media): choice lists for
/// `select_one_from_file NAME.csv|.xml|.geojson` and tables for
/// `pulldata()`. Their rows join the definition's choices under the file's
/// name, and the file's name, hash and size are kept, so the definition
/// alone carries everything to every device.
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

    /// Which columns give a choice's name and label: the question's
    /// `parameters` (`value=code label=title`), else `name`/`label`, or
    /// `id`/`title` for GeoJSON, as pyxform writes the itemset.
    struct Refs: Equatable {
        var value: String
        var label: String
        init(file: String, parameters: String?) {
            let geojson = file.lowercased().hasSuffix(".geojson")
            value = geojson ? "id" : "name"
            label = geojson ? "title" : "label"
            for pair in (parameters ?? "").split(whereSeparator: { $0.isWhitespace || $0 == "," }) {
                let kv = pair.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                guard kv.count == 2, !kv[1].isEmpty else { continue }
                if kv[0].lowercased() == "value" { value = kv[1] }
                if kv[0].lowercased() == "label" { label = kv[1] }
            }
        }
    }

    /// The definition with the files' rows added as choices.
    /// - Throws: `Failure` naming the file (and row) for a file the form does
    ///   not name, that cannot be read as its kind, lacks the columns its
    ///   questions read, or is too large; nothing is added then.
    public static func attach(_ media: [Media], to definition: FormDefinition, form file: String) throws(Failure) -> FormDefinition {
        var out = definition
        var named: [String: Refs] = [:]
        for row in definition.survey {
            let words = (row["type"] ?? "").split(whereSeparator: \.isWhitespace)
            guard words.count == 2, ["select_one_from_file", "select_multiple_from_file"].contains(words[0].lowercased()) else { continue }
            let name = String(words[1])
            if named[name] == nil { named[name] = Refs(file: name, parameters: row["parameters"]) }
        }
        // pulldata('facilities', ...) reads facilities.csv, and instance('facilities')
        // a CSV, XML or GeoJSON file of that name (quotes as Excel may curl them).
        var pulled: Set<String> = []
        for row in definition.survey {
            for text in row.cells.values where text.contains("pulldata") || text.contains("instance") {
                for match in text.matches(of: /(pulldata|instance)\s*\(\s*['"\u{2018}\u{2019}\u{201C}\u{201D}]([^'"\u{2018}\u{2019}\u{201C}\u{201D}]+)['"\u{2018}\u{2019}\u{201C}\u{201D}]/) {
                    pulled.formUnion((match.1 == "pulldata" ? [".csv"] : [".csv", ".xml", ".geojson"]).map { String(match.2) + $0 })
                }
            }
        }
        var seen: Set<String> = []
        for m in media {
            func refuse(_ m2: Message) -> Failure { Failure(worded: Message(.formMediaSaid, ["file": .text(m.name), "problem": .message(m2)])) }
            guard seen.insert(m.name).inserted else { throw refuse(Message(.formMediaTwice)) }
            guard named[m.name] != nil || pulled.contains(m.name) else {
                throw refuse(Message(.formMediaNotNamed, ["form": .text((file as NSString).lastPathComponent)]))
            }
            guard m.data.count <= maxMediaBytes else { throw refuse(Message(.formMediaTooLarge, ["limit": .text(FileAnswer.size(maxMediaBytes))])) }
            let refs = named[m.name] ?? Refs(file: m.name, parameters: nil)
            let table: Table
            do throws(Unreadable) {
                switch (m.name as NSString).pathExtension.lowercased() {
                case "xml": table = try xmlRows(m.data)
                case "geojson": table = try geojsonRows(m.data)
                default: table = try csvRows(m.data)
                }
            } catch { throw refuse(error.worded) }
            // A file only pulldata() reads needs no label.
            let labelled = named[m.name] == nil || table.columns.contains(refs.label)
                || (refs.label == "label" && table.columns.contains(where: { $0.hasPrefix("label::") }))
            guard table.columns.contains(refs.value), labelled else {
                throw refuse(Message(.formMediaColumns, ["value": .text(refs.value), "label": .text(refs.label)]))
            }
            var names: Set<String> = []
            for (i, values) in table.rows.enumerated() {
                var cells = ["list_name": m.name]
                for (column, value) in values where !column.isEmpty && column != "list_name" { cells[column] = value }
                let name = values[refs.value]?.trimmingCharacters(in: .whitespaces) ?? ""
                cells["name"] = name
                if refs.label != "label", let label = values[refs.label] { cells["label"] = label }
                guard !name.isEmpty, names.insert(name).inserted else {
                    throw refuse(Message(name.isEmpty ? .formMediaRowNoName : .formMediaRowTwice, ["row": .int(table.rowNumbers[i])]))
                }
                out.choices.append(FormRow(cells: cells, row: out.choices.count + 2))
            }
            out.files.append(AttachedFile(name: m.name, sha256: SHA256.hash(data: m.data).map { String(format: "%02x", $0) }.joined(),
                                          size: m.data.count))
        }
        return out
    }

    /// Why a choice file cannot be read.
    struct Unreadable: Error { var worded: Message; init(_ worded: Message) { self.worded = worded } }

    /// A choice file's rows, each a map of column to text, with the row
    /// (line, item or feature) number a person finds it by.
    struct Table {
        var columns: Set<String> = []
        var rows: [[String: String]] = []
        var rowNumbers: [Int] = []
        mutating func append(_ row: [String: String], number: Int) throws(Unreadable) {
            guard rows.count < FormFile.maxMediaRows else { throw Unreadable(Message(.formMediaRows, ["limit": .int(FormFile.maxMediaRows)])) }
            columns.formUnion(row.keys)
            rows.append(row)
            rowNumbers.append(number)
        }
    }

    /// A CSV (UTF-8, Excel's byte-order mark allowed) read by yaslab/CSV.swift:
    /// the first line names the columns.
    static func csvRows(_ data: Data) throws(Unreadable) -> Table {
        var bytes = data
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes = bytes.dropFirst(3) }  // Excel's byte-order mark
        guard let text = String(data: bytes, encoding: .utf8) else { throw Unreadable(Message(.formMediaNotUTF8)) }
        let reader: CSVReader
        do { reader = try CSVReader(string: text, hasHeaderRow: true) } catch { throw Unreadable(Message(.formMediaNotCSV)) }
        let header = (reader.headerRow ?? []).map { $0.trimmingCharacters(in: .whitespaces) }
        var table = Table()
        table.columns = Set(header.filter { !$0.isEmpty })
        var line = 1
        while let values = reader.next() {
            line += 1
            // A stray quote swallows the rest of the file into one field: the count shows it.
            guard values.count == header.count || (values.count == 1 && values[0].isEmpty) else {
                throw Unreadable(Message(.formMediaFields, ["row": .int(line), "count": .int(values.count), "columns": .int(header.count)]))
            }
            if values.count == 1 && values[0].isEmpty && header.count > 1 { continue }  // a blank line
            var row: [String: String] = [:]
            for (i, column) in header.enumerated() where !column.isEmpty && i < values.count { row[column] = values[i] }
            try table.append(row, number: line)
        }
        if let error = reader.error { throw Unreadable(Message(.formMediaBroken, ["row": .int(line + 1), "detail": .text("\(error)")])) }
        return table
    }

    /// ODK's XML choice file, read by libxml2 (XMLEvents):
    /// `<root><item><name>..</name><label>..</label>...</item>...</root>`;
    /// each element inside an item is a column.
    static func xmlRows(_ data: Data) throws(Unreadable) -> Table {
        var depth = 0
        var items: [[String: String]] = []
        var item: [String: String] = [:]
        var column = ""
        var text = ""
        var tooDeep = false
        let stopped = XMLEvents.read(data) { event in
            guard !tooDeep else { return }
            switch event {
            case .start(let name, _):
                depth += 1
                if depth == 2 { item = [:] }
                if depth == 3 { column = name; text = "" }
                if depth > 3 { tooDeep = true }
            case .text(let s): if depth == 3 { text += s }
            case .end:
                if depth == 3 { item[column] = text.trimmingCharacters(in: .whitespacesAndNewlines) }
                if depth == 2 { items.append(item) }
                depth -= 1
            }
        }
        if let line = stopped { throw Unreadable(Message(.formMediaNotXML, ["line": .int(line)])) }
        if tooDeep { throw Unreadable(Message(.formMediaXMLShape)) }
        var table = Table()
        for (i, item) in items.enumerated() { try table.append(item, number: i + 1) }
        return table
    }

    /// A GeoJSON FeatureCollection (RFC 7946) read by Foundation's JSON
    /// decoder: each feature a row of its properties, its `id` (the
    /// feature's own, else a property), and a Point's position as
    /// `geometry` in ODK's `lat lon 0 0` form.
    static func geojsonRows(_ data: Data) throws(Unreadable) -> Table {
        guard case .object(let top)? = try? JSONValue.parse(data), top["type"] == .string("FeatureCollection"),
              case .array(let features)? = top["features"] else {
            throw Unreadable(Message(.formMediaNotGeoJSON))
        }
        func text(_ v: JSONValue) -> String? {
            switch v {
            case .string(let s): return s
            case .number(let n): return n == n.rounded() && abs(n) < 1e15 ? String(Int64(n)) : String(n)
            case .bool(let b): return b ? "true" : "false"
            default: return nil
            }
        }
        var table = Table()
        for (i, feature) in features.enumerated() {
            guard case .object(let f) = feature, f["type"] == .string("Feature") else {
                throw Unreadable(Message(.formMediaFeature, ["row": .int(i + 1)]))
            }
            var row: [String: String] = [:]
            if case .object(let properties)? = f["properties"] {
                for (k, v) in properties { if let t = text(v) { row[k] = t } }
            }
            if let id = f["id"].flatMap(text) { row["id"] = id }
            if case .object(let g)? = f["geometry"], g["type"] == .string("Point"),
               case .array(let position)? = g["coordinates"], position.count >= 2,
               case .number(let lon) = position[0], case .number(let lat) = position[1] {
                row["geometry"] = "\(lat) \(lon) 0 0"
            }
            try table.append(row, number: i + 1)
        }
        return table
    }
}
