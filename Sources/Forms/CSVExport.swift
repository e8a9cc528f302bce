/// One record to export: its answers and what ODK Central prints beside them.
public struct ExportRecord: Sendable {
    public var id: String
    public var answers: Answers
    public var submissionDate: String
    public var submitter: String
    public var device: String
    public var status: String
    public var formVersion: String
    /// The review state (empty for a draft) and the review's comment.
    public var reviewState: String
    public var reviewComment: String

    public init(id: String, answers: Answers, submissionDate: String, submitter: String, device: String,
                status: String, formVersion: String, reviewState: String = "", reviewComment: String = "") {
        self.id = id
        self.answers = answers
        self.submissionDate = submissionDate
        self.submitter = submitter
        self.device = device
        self.status = status
        self.formVersion = formVersion
        self.reviewState = reviewState
        self.reviewComment = reviewComment
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

    /// A text cell that a spreadsheet would run as a formula (it starts with
    /// `=`, `+`, `-`, `@`, a tab or a carriage return) gets a leading `'`,
    /// as OWASP's CSV injection advice says; numbers are never changed.
    public static func neutralize(_ s: String) -> String {
        guard let first = s.unicodeScalars.first, ["=", "+", "-", "@", "\t", "\r"].contains(first) else { return s }
        return "'" + s
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
        let layout = Layout(form: form)
        var tables = layout.tables.map { CSVTable(repeatName: $0.name, header: $0.header, rows: []) }
        for r in records {
            for (i, rows) in layout.rows(r).enumerated() { tables[i].rows += rows }
        }
        return tables
    }

    /// The tables of a form and how a record fills them, one record at a
    /// time, so an export streams: memory does not grow with the records.
    public struct Layout: Sendable {
        typealias Column = (header: [String], question: Question)
        /// The main table first (name nil), then one per repeat group.
        public private(set) var tables: [(name: String?, header: [String])] = []
        private var index: [String: Int] = [:]
        private let mainColumns: [(header: [String], question: Question)]
        private let topRepeats: [(Group, [String])]

        public init(form: Form) {
            mainColumns = Self.columns(form.nodes, path: [])
            topRepeats = Self.repeats(form.nodes, path: [])
            tables = [(nil, ["SubmissionDate"] + mainColumns.flatMap(\.header)
                + ["meta-instanceID", "KEY", "SubmitterName", "DeviceID", "Status", "ReviewState", "ReviewComment", "FormVersion"])]
            func add(_ g: Group, _ path: [String]) {
                guard index[g.name] == nil else { return }
                index[g.name] = tables.count
                tables.append((g.name, Self.columns(g.children, path: path).flatMap(\.header) + ["PARENT_KEY", "KEY"]))
                for (inner, innerPath) in Self.repeats(g.children, path: path) { add(inner, innerPath) }
            }
            for (g, path) in topRepeats { add(g, path) }
        }

        /// The rows one record adds to each table, in `tables` order.
        public func rows(_ r: ExportRecord) -> [[[String]]] {
            var out = Array(repeating: [[String]](), count: tables.count)
            let key = "uuid:" + r.id
            out[0].append([r.submissionDate] + Self.cells(mainColumns, r.answers, prefix: "")
                + [key, key, CSVTable.neutralize(r.submitter), r.device, r.status, r.reviewState,
                   CSVTable.neutralize(r.reviewComment), r.formVersion])
            func fill(_ g: Group, path: [String], parentPrefix: String, parentKey: String) {
                let cols = Self.columns(g.children, path: path)
                for (i, k) in r.answers.instances(of: g.name, under: parentPrefix).enumerated() {
                    let prefix = Answers.prefix(parentPrefix, repeat: g.name, key: k)
                    let rowKey = "\(parentKey)/\(g.name)[\(i + 1)]"
                    out[index[g.name]!].append(Self.cells(cols, r.answers, prefix: prefix) + [parentKey, rowKey])
                    for (inner, innerPath) in Self.repeats(g.children, path: path) {
                        fill(inner, path: innerPath, parentPrefix: prefix, parentKey: rowKey)
                    }
                }
            }
            for (g, path) in topRepeats { fill(g, path: path, parentPrefix: "", parentKey: key) }
            return out
        }

        static func columns(_ nodes: [Node], path: [String]) -> [Column] {
            var out: [Column] = []
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

        static func repeats(_ nodes: [Node], path: [String]) -> [(Group, [String])] {
            nodes.flatMap { n -> [(Group, [String])] in
                guard case .group(let g) = n else { return [] }
                return g.isRepeat ? [(g, path + [g.name])] : repeats(g.children, path: path + [g.name])
            }
        }

        static func cells(_ cols: [Column], _ answers: Answers, prefix: String) -> [String] {
            cols.flatMap { col -> [String] in
                let a = answers[prefix + col.question.name]
                if col.question.type == .geopoint {
                    guard case .text(let s)? = a, let p = Geopoint(s) else { return ["", "", "", ""] }
                    return [XValue.format(p.latitude), XValue.format(p.longitude),
                            p.altitude.map(XValue.format) ?? "", p.accuracy.map(XValue.format) ?? ""]
                }
                switch a {
                case .text(let s)?: return [CSVTable.neutralize(s)]
                case .choices?: return [CSVTable.neutralize(a!.display)]
                case .file(let f)?: return [CSVTable.neutralize(f.exportName)]
                default: return [a?.display ?? ""]
                }
            }
        }
    }
}
