/// One record to export: its answers and what ODK Central prints beside them.
public struct ExportRecord: Sendable {
    public var id: String
    public var answers: Answers
    public var submissionDate: String
    public var submitter: String
    public var device: String
    public var status: String
    public var formVersion: String

    public init(id: String, answers: Answers, submissionDate: String, submitter: String, device: String,
                status: String, formVersion: String) {
        self.id = id
        self.answers = answers
        self.submissionDate = submissionDate
        self.submitter = submitter
        self.device = device
        self.status = status
        self.formVersion = formVersion
    }
}

/// One CSV file of an export: the main table or one repeat group's.
public struct CSVTable: Sendable, Hashable {
    /// nil for the main table, else the repeat group's name.
    public var repeatName: String?
    public var header: [String]
    public var rows: [[String]]

    public var text: String {
        ([header] + rows).map { $0.map(CSVTable.quote).joined(separator: ",") }.joined(separator: "\r\n") + "\r\n"
    }

    /// RFC 4180: quote fields holding a comma, quote or line break.
    public static func quote(_ s: String) -> String {
        guard s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return s }
        return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}

/// Tables shaped as ODK Central's CSV export: group paths joined by `-` in
/// column names, select_multiple as space-separated names, a geopoint as four
/// columns, and one table per repeat group keyed to its parent by
/// PARENT_KEY and KEY.
public enum CSVExport {
    public static func tables(form: Form, records: [ExportRecord]) -> [CSVTable] {
        var tables: [String: CSVTable] = [:]
        var order: [String] = [""]

        func columns(_ nodes: [Node], path: [String]) -> [(header: [String], question: Question)] {
            var out: [(header: [String], question: Question)] = []
            for n in nodes {
                switch n {
                case .question(let q) where q.type != .note:
                    let base = (path + [q.name]).joined(separator: "-")
                    let header = q.type == .geopoint
                        ? ["Latitude", "Longitude", "Altitude", "Accuracy"].map { base + "-" + $0 } : [base]
                    out.append((header, q))
                case .group(let g) where !g.isRepeat:
                    out += columns(g.children, path: path + [g.name])
                default: break
                }
            }
            return out
        }

        func repeats(_ nodes: [Node], path: [String]) -> [(Group, [String])] {
            nodes.flatMap { n -> [(Group, [String])] in
                guard case .group(let g) = n else { return [] }
                return g.isRepeat ? [(g, path + [g.name])] : repeats(g.children, path: path + [g.name])
            }
        }

        func cells(_ cols: [(header: [String], question: Question)], _ answers: Answers, prefix: String) -> [String] {
            cols.flatMap { col -> [String] in
                let a = answers[prefix + col.question.name]
                if col.question.type == .geopoint {
                    guard case .text(let s)? = a, let p = Geopoint(s) else { return ["", "", "", ""] }
                    return [XValue.format(p.latitude), XValue.format(p.longitude),
                            p.altitude.map(XValue.format) ?? "", p.accuracy.map(XValue.format) ?? ""]
                }
                return [a?.display ?? ""]
            }
        }

        func fill(_ g: Group, path: [String], answers: Answers, parentPrefix: String, parentKey: String) {
            let cols = columns(g.children, path: path)
            if tables[g.name] == nil {
                tables[g.name] = CSVTable(repeatName: g.name, header: cols.flatMap(\.header) + ["PARENT_KEY", "KEY"], rows: [])
                order.append(g.name)
            }
            for (i, key) in answers.instances(of: g.name, under: parentPrefix).enumerated() {
                let prefix = Answers.prefix(parentPrefix, repeat: g.name, key: key)
                let rowKey = "\(parentKey)/\(g.name)[\(i + 1)]"
                tables[g.name]!.rows.append(cells(cols, answers, prefix: prefix) + [parentKey, rowKey])
                for (inner, innerPath) in repeats(g.children, path: path) {
                    fill(inner, path: innerPath, answers: answers, parentPrefix: prefix, parentKey: rowKey)
                }
            }
        }

        let mainCols = columns(form.nodes, path: [])
        var main = CSVTable(repeatName: nil, header: ["SubmissionDate"] + mainCols.flatMap(\.header)
            + ["meta-instanceID", "KEY", "SubmitterName", "DeviceID", "Status", "FormVersion"], rows: [])
        let topRepeats = repeats(form.nodes, path: [])
        for (g, path) in topRepeats where tables[g.name] == nil {
            tables[g.name] = CSVTable(repeatName: g.name, header: columns(g.children, path: path).flatMap(\.header) + ["PARENT_KEY", "KEY"], rows: [])
            order.append(g.name)
        }
        for r in records {
            let key = "uuid:" + r.id
            main.rows.append([r.submissionDate] + cells(mainCols, r.answers, prefix: "")
                + [key, key, r.submitter, r.device, r.status, r.formVersion])
            for (g, path) in topRepeats {
                fill(g, path: path, answers: r.answers, parentPrefix: "", parentKey: key)
            }
        }
        tables[""] = main
        return order.compactMap { tables[$0] }
    }
}
