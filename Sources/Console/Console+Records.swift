import Forms
import Foundation
import HTTPTypes
import Hummingbird
import MultipartKit
import Mustache
import Sync
import SyncServer
import XLSForm

/// The records table and its CSV.
extension Console {
    /// One row of the records table, as shown (and as the CSV writes it).
    struct RecordRow {
        var id, form, owner, province, district, status, state, created: String
        var createdAt: Int64
    }

    /// The records the query asks for: filtered by form, status, review
    /// state, enumerator, province and district (each against the values
    /// held, anything else matches nothing), sorted; all rows, unpaged.
    func recordTable(_ request: Request, lang: String) async throws
        -> (rows: [RecordRow], filters: [[String: Any]], sort: String, order: String) {
        let t = ConsoleText.words(lang)
        let q = request.uri.queryParameters
        func param(_ name: String) -> String? { q[Substring(name)].map(String.init).flatMap { $0.isEmpty ? nil : $0 } }
        let states = try await service.recordStates(also: ["province", "district"]).filter { !$0.state.isDeleted }
        // Choice labels from the newest published version of each form.
        var forms: [String: Form] = [:]
        for f in try await service.storage.forms() {
            if let loaded = try await service.form(id: f.formID, version: f.version) { forms[f.formID] = loaded }
        }
        func choiceLabel(_ formID: String, _ field: String, _ json: String?) -> String {
            guard let json, case .text(let name)? = Answer(json: json) else { return "" }
            guard let form = forms[formID], let question = form.questions[field] else { return name }
            let formLang = form.languages.contains { $0.code == lang } ? lang : form.defaultLanguage
            return form.choices(for: question).first { $0.name == name }?.label.text(formLang, fallback: form.defaultLanguage) ?? name
        }
        var rows = states.map { o, st in
            RecordRow(id: o.id, form: o.formID, owner: o.owner,
                      province: choiceLabel(o.formID, "province", st.fields["province"]?.value),
                      district: choiceLabel(o.formID, "district", st.fields["district"]?.value),
                      status: st.status.map { t[$0] } ?? "—", state: st.reviewState.map { t[$0.rawValue] } ?? "—",
                      created: Self.time(o.createdAt), createdAt: o.createdAt)
        }
        let statusOf = Dictionary(states.map { ($0.owner.id, $0.state) }, uniquingKeysWith: { a, _ in a })
        let choices: [(name: String, label: String, values: [(String, String)], keep: (RecordRow, String) -> Bool)] = [
            ("form", t["form"], Set(rows.map(\.form)).sorted().map { ($0, forms[$0]?.title ?? $0) }, { $0.form == $1 }),
            ("status", t["status"], ["draft", "finalized"].map { ($0, t[$0]) }, { statusOf[$0.id]?.status == $1 }),
            ("state", t["state"], Review.State.allCases.map { ($0.rawValue, t[$0.rawValue]) },
             { statusOf[$0.id]?.reviewState?.rawValue == $1 }),
            ("enumerator", t["enumerator"], Set(rows.map(\.owner)).sorted().map { ($0, $0) }, { $0.owner == $1 }),
            ("province", t["province"], Set(rows.map(\.province)).filter { !$0.isEmpty }.sorted().map { ($0, $0) }, { $0.province == $1 }),
            ("district", t["district"], Set(rows.map(\.district)).filter { !$0.isEmpty }.sorted().map { ($0, $0) }, { $0.district == $1 }),
        ]
        var filters: [[String: Any]] = []
        for c in choices {
            let chosen = param(c.name)
            if let chosen { rows = rows.filter { c.keep($0, chosen) } }
            filters.append(["name": c.name, "label": c.label,
                            "options": c.values.map { ["value": $0.0, "text": $0.1, "selected": $0.0 == chosen] as [String: Any] }])
        }
        let sort = ["created", "form", "enumerator", "province", "district", "state"].contains(param("sort") ?? "") ? param("sort")! : "created"
        let order = param("order") == "desc" ? "desc" : "asc"
        func key(_ r: RecordRow) -> String {
            switch sort {
            case "form": return r.form
            case "enumerator": return r.owner
            case "province": return r.province
            case "district": return r.district
            case "state": return r.state
            default: return String(format: "%020lld", r.createdAt)
            }
        }
        rows.sort { (key($0), $0.createdAt, $0.id) < (key($1), $1.createdAt, $1.id) }
        if order == "desc" { rows.reverse() }
        return (rows, filters, sort, order)
    }

    static let pageSize = 50

    func records(_ request: Request, session s: ConsoleSessions.Session, lang: String) async throws -> Response {
        let t = ConsoleText.words(lang)
        let table = try await recordTable(request, lang: lang)
        var base = URLComponents()
        let kept = ["form", "status", "state", "enumerator", "province", "district"]
        let q = request.uri.queryParameters
        func query(_ changes: [String: String]) -> String {
            var items: [URLQueryItem] = kept.compactMap { k in q[Substring(k)].map { URLQueryItem(name: k, value: String($0)) } }
            var fixed = ["sort": table.sort, "order": table.order]
            for (k, v) in changes { fixed[k] = v }
            items += fixed.sorted { $0.key < $1.key }.map { URLQueryItem(name: $0.key, value: $0.value) }
            base.queryItems = items
            return base.percentEncodedQuery ?? ""
        }
        let pages = max(1, (table.rows.count + Self.pageSize - 1) / Self.pageSize)
        let page = min(max(1, Int(q["page"].map(String.init) ?? "") ?? 1), pages)
        let shown = table.rows.dropFirst((page - 1) * Self.pageSize).prefix(Self.pageSize)
        let columns = [("id", t["record"]), ("form", t["form"]), ("enumerator", t["enumerator"]), ("province", t["province"]),
                       ("district", t["district"]), ("status", t["status"]), ("state", t["state"]), ("created", t["created"])]
        return html(.ok, "records", [
            "title": t["records"], "filters": table.filters, "sort": table.sort, "order": table.order,
            "count": table.rows.count, "query": query([:]), "page": page, "pages": pages,
            "previous": page > 1 ? query(["page": String(page - 1)]) : false,
            "next": page < pages ? query(["page": String(page + 1)]) : false,
            "columns": columns.map { c in
                ["label": c.1, "current": c.0 == table.sort, "arrow": table.order == "asc" ? "▲" : "▼",
                 "link": query(["sort": c.0 == "id" ? "created" : c.0, "order": c.0 == table.sort && table.order == "asc" ? "desc" : "asc"])]
                    as [String: Any]
            },
            "rows": shown.map { r in
                ["id": r.id, "short": String(r.id.prefix(8)), "form": r.form, "owner": r.owner, "province": r.province,
                 "district": r.district, "status": r.status, "state": r.state, "created": r.created] as [String: Any]
            },
        ], lang: lang, session: s)
    }
}
