import Foundation

/// The loader's cell readers (titles, texts per language, range parameters,
/// quotes) and the checks it runs once every name is known.
extension FormLoader {
    static let expressionColumns = ["constraint", "relevant", "calculation", "choice_filter", "required", "default", "repeat_count", "trigger"]
    /// A default pyxform makes dynamic: a `${ref}`, a function call, a
    /// predicate or arithmetic (a hyphen alone stays literal, as in dates and
    /// codes such as `2026-R2`).
    static func isDynamicDefault(_ text: String) -> Bool {
        text.contains("${") || text.contains("[") || text.contains("+") || text.contains("*")
            || text.contains(/[A-Za-z_][\w.:-]*\s*\(/)
    }

    static let curlyQuotes: [Unicode.Scalar: Unicode.Scalar] = ["\u{2018}": "'", "\u{2019}": "'", "\u{201C}": "\"", "\u{201D}": "\""]

    /// A range's `parameters` (`start=0 end=10 step=1`, spaces or commas
    /// between them, as pyxform reads them): 1, 10 and 1 unless given.
    mutating func rangeParameters(_ row: FormRow) -> RangeParameters {
        var p = RangeParameters()
        for pair in (row["parameters"] ?? "").split(whereSeparator: { $0 == " " || $0 == "," || $0 == ";" }) {
            let parts = pair.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            guard parts.count == 2, let value = Double(parts[1]), value.isFinite else {
                problem("survey", row.row, "parameters", Message(.formRangeShape, ["given": .text(String(pair))]))
                continue
            }
            switch parts[0] {
            case "start": p.start = value
            case "end": p.end = value
            case "step": p.step = value
            default: problem("survey", row.row, "parameters", Message(.formRangeKey, ["given": .text(parts[0])]))
            }
        }
        if p.step <= 0 || p.start > p.end {
            problem("survey", row.row, "parameters", Message(.formRangeBounds))
        }
        return p
    }

    /// An image's `max-pixels` (pyxform's only image parameter besides `app`).
    mutating func imageParameters(_ row: FormRow) -> Int? {
        var out: Int?
        for pair in (row["parameters"] ?? "").split(whereSeparator: { $0 == " " || $0 == "," || $0 == ";" }) {
            let parts = pair.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            if parts.count == 2, parts[0] == "app" { continue }
            guard parts.count == 2, parts[0] == "max-pixels", let n = Int(parts[1]), n > 0 else {
                problem("survey", row.row, "parameters", Message(.formImageParameters, ["given": .text(String(pair))]))
                continue
            }
            out = n
        }
        return out
    }

    /// Settings `recolha_max_file_mb` (1 to 100, 10 unless given) in bytes.
    mutating func fileLimit(_ settings: FormRow?) -> Int {
        guard let text = settings?["recolha_max_file_mb"] else { return 10_000_000 }
        guard let mb = Double(text), mb >= 0.001, mb <= 100 else {
            problem("settings", settings?.row ?? 2, "recolha_max_file_mb", Message(.formFileLimit))
            return 10_000_000
        }
        return Int(mb * 1_000_000)
    }

    /// The form's title per language: `recolha_title::Português (pt)` in
    /// settings (pyxform ignores the column; it refuses a translated
    /// `form_title`), over `form_title`.
    func titles(_ settings: FormRow, defaultLanguage: String) -> Localized {
        var out = localized(settings, "form_title", defaultLanguage: defaultLanguage).byLanguage
        out.merge(localized(settings, "recolha_title", defaultLanguage: defaultLanguage).byLanguage) { $1 }
        return Localized(out)
    }

    /// The texts of a column in every language: `label`, `label::English (en)`.
    func localized(_ row: FormRow, _ column: String, defaultLanguage: String) -> Localized {
        var out: [String: String] = [:]
        for (key, value) in row.cells {
            let text = value.trimmingSpaces
            guard !text.isEmpty else { continue }
            if key == column {
                out[defaultLanguage] = out[defaultLanguage] ?? text
            } else if key.hasPrefix(column + "::") {
                out[Language(column: String(key.dropFirst(column.count + 2))).code] = text
            }
        }
        return Localized(out)
    }


    mutating func checkPending(lists: [String: [(choice: Choice, row: Int)]]) {
        let known = Set(rowOfName.keys)
        for (row, column, expr, _) in pending {
            for name in Set(expr.references).sorted() where !known.contains(name) {
                problem("survey", row, column, Message(.formNoSuchQuestion, ["ref": .text("${\(name)}")]))
            }
            for f in Set(expr.functions).sorted() {
                if Functions.arity[f] == nil {
                    // These read a form's attached files, which Recolha does not take yet.
                    let needsFiles = ["search", "instance"].contains(f)
                    problem("survey", row, column, Message(needsFiles ? .formNeedsFiles : .formUnknownFunction, ["name": .text(f)]))
                }
            }
            // instance('x') reads the choice list x or a file x.csv/.xml/.geojson given with the form.
            for id in Set(expr.instances).sorted() where !["", ".csv", ".xml", ".geojson"].contains(where: { lists[id + $0] != nil }) {
                problem("survey", row, column, Message(.formInstanceUnknown, ["name": .text(id)]))
            }
            // pulldata('facilities', ...) reads facilities.csv, which must come with the form.
            for first in expr.firstArguments(of: "pulldata") {
                guard case .string(let instance) = first else {
                    problem("survey", row, column, Message(.formPullDataLiteral))
                    continue
                }
                if lists[instance + ".csv"] == nil {
                    problem("survey", row, column, Message(.formPullDataFile, ["file": .text(instance + ".csv")]))
                }
            }
            checkArity(expr, row: row, column: column)
            let columns = Set(expr.columns)
            if column == "choice_filter" {
                // A bare name reads a column of the choices sheet; one that no
                // choice has reads as empty, as in ODK (pyxform accepts it).
            } else {
                for c in columns.sorted() {
                    problem("survey", row, column, Message(.formBareName, ["name": .text(c), "ref": .text("${\(c)}")]))
                }
            }
        }
        for (row, column, name) in labelRefs where !known.contains(name) {
            problem("survey", row, column, Message(.formNoSuchQuestion, ["ref": .text("${\(name)}")]))
        }
        problems.sort { ($0.sheet, $0.row ?? 0) < ($1.sheet, $1.row ?? 0) }
    }

    /// Calculations that read one another in a ring never settle (ODK
    /// refuses such a form when it loads it): each ring is one problem, on
    /// the row of its first calculation. Only calculations outside repeats
    /// count: inside one, a name may stand for another instance (a running
    /// total reads its own name in the instance before), which a name alone
    /// cannot tell apart. A triggered calculation is computed only when its
    /// trigger changes, so it closes no ring.
    mutating func checkCycles() {
        var reads: [String: [String]] = [:]
        for q in questions.values where q.repeats.isEmpty && q.trigger == nil {
            guard let e = q.calculation else { continue }
            reads[q.name] = Set(e.references).sorted()
        }
        reads = reads.mapValues { $0.filter { reads[$0] != nil } }
        // Tarjan's strongly connected components, without recursion.
        var index: [String: Int] = [:], low: [String: Int] = [:]
        var stack: [String] = [], onStack: Set<String> = []
        var rings: [[String]] = []
        var work: [(name: String, next: Int)] = []
        func enter(_ n: String) {
            index[n] = index.count; low[n] = index[n]; stack.append(n); onStack.insert(n)
            work.append((n, 0))
        }
        for start in reads.keys.sorted() where index[start] == nil {
            enter(start)
            while let top = work.last {
                let name = top.name, next = top.next
                let targets = reads[name] ?? []
                if next < targets.count {
                    work[work.count - 1].next += 1
                    let t = targets[next]
                    if index[t] == nil {
                        enter(t)
                    } else if onStack.contains(t) {
                        low[name] = min(low[name]!, index[t]!)
                    }
                    continue
                }
                work.removeLast()
                if let parent = work.last?.name { low[parent] = min(low[parent]!, low[name]!) }
                guard low[name] == index[name] else { continue }
                var ring: [String] = []
                while let member = stack.popLast() {
                    onStack.remove(member)
                    ring.append(member)
                    if member == name { break }
                }
                if ring.count > 1 || targets.contains(name) { rings.append(ring) }
            }
        }
        for ring in rings {
            let ordered = ring.sorted { (rowOfName[$0] ?? 0, $0) < (rowOfName[$1] ?? 0, $1) }
            let text = ordered.map { "${\($0)}" }.joined(separator: ", ")
            problem("survey", rowOfName[ordered[0]], "calculation", Message(.formCalculationCycle, ["ring": .text(text)]))
        }
    }

    mutating func checkArity(_ e: Expr, row: Int, column: String) {
        switch e {
        case .call(let name, let args):
            if Functions.arity[name] != nil, let msg = Functions.check(name, argumentCount: args.count) {
                problem("survey", row, column, msg)
            }
            args.forEach { checkArity($0, row: row, column: column) }
        case .binary(_, let l, let r):
            checkArity(l, row: row, column: column)
            checkArity(r, row: row, column: column)
        case .negate(let x):
            checkArity(x, row: row, column: column)
        default: break
        }
    }
}
