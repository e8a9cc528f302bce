import Forms
import Foundation
import HTTPTypes
import Hummingbird
import MultipartKit
import Mustache
import Sync
import SyncServer
import XLSForm

/// The supervisors' web console at /console: server-rendered pages with
/// plain forms (no JavaScript, nothing fetched from elsewhere), in English
/// or Portuguese. Sign-in with a Recolha password (supervisors and admins);
/// a fresh session id at sign-in, HttpOnly, SameSite=Strict, Secure under
/// TLS; every form that changes something carries a CSRF token; a strict
/// Content-Security-Policy. Answer values appear only on pages for
/// signed-in users, and never in logs (the request log has no bodies).
public struct Console: Sendable {
    let service: SyncService
    let sessions = ConsoleSessions()
    /// Cookies get `Secure` when the server speaks TLS.
    let secure: Bool
    let library: MustacheLibrary
    let now: @Sendable () -> Int64

    static let sessionCookie = "recolha_console"
    static let signinCookie = "recolha_signin"
    static let langCookie = "recolha_lang"
    static let maxForm = 64 * 1024

    public init(service: SyncService, secure: Bool, now: @escaping @Sendable () -> Int64 = ServerClock.nowMs) throws {
        self.service = service
        self.secure = secure
        self.now = now
        var library = MustacheLibrary()
        for (name, text) in Templates.all { try library.register(text, named: name) }
        self.library = library
    }

    /// Adds the console's routes to the server's router.
    public func add(to router: Router<ServerContext>) {
        router.get("console/style.css") { _, _ in
            var r = Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: Templates.css)))
            r.headers[.contentType] = "text/css; charset=utf-8"
            Self.secureHeaders(&r)
            return r
        }
        router.get("console/signin") { request, _ in try await page(request) { lang in try signInPage(request, lang: lang, failed: nil) } }
        router.post("console/signin") { request, context in
            try await page(request) { lang in try await signIn(request, address: context.address, lang: lang) }
        }
        router.post("console/signout") { request, _ in
            try await page(request) { lang in
                let (_, _) = try await signedIn(request, form: try await formBody(request, as: CSRFOnly.self).csrf)
                sessions.end(request.cookies[Self.sessionCookie]?.value)
                var r = Self.redirect("/console/signin")
                r.setCookie(cookie(Self.sessionCookie, "", maxAge: 0))
                return r
            }
        }
        router.get("console") { request, _ in
            try await page(request) { lang in
                let (s, id) = try await signedIn(request, form: nil)
                return try await overview(request, s, lang: lang)
            }
        }
        router.get("console/queue") { request, _ in
            try await page(request) { lang in
                let (s, _) = try await signedIn(request, form: nil)
                return try await queue(s, lang: lang)
            }
        }
        router.get("console/records") { request, _ in
            try await page(request) { lang in
                let (s, _) = try await signedIn(request, form: nil)
                return try await records(request, session: s, lang: lang)
            }
        }
        router.get("console/records.csv") { request, _ in
            try await page(request) { lang in
                _ = try await signedIn(request, form: nil)
                let table = try await recordTable(request, lang: lang)
                let t = ConsoleText.words(lang)
                let header = ["id", t["form"], t["enumerator"], t["province"], t["district"], t["status"], t["state"], t["created"]]
                var csv = header.map(CSVTable.quote).joined(separator: ",") + "\r\n"
                for r in table.rows {
                    csv += [r.id, r.form, r.owner, r.province, r.district, r.status, r.state, r.created]
                        .map { CSVTable.quote(CSVTable.neutralize($0)) }.joined(separator: ",") + "\r\n"
                }
                var response = Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: csv)))
                response.headers[.contentType] = "text/csv; charset=utf-8"
                response.headers[.contentDisposition] = "attachment; filename=\"records.csv\""
                Self.secureHeaders(&response)
                return response
            }
        }
        router.post("console/records/:id/resolve") { request, context in
            try await page(request) { lang in
                let form = try await formBody(request, as: ResolveForm.self)
                let (s, _) = try await signedIn(request, form: form.csrf)
                let id = try recordID(context)
                guard let user = try await service.storage.user(named: s.user) else { throw ConsoleFailure.signedOut }
                guard let keep = VersionID(form.keep), form.field.count <= 200 else { throw ConsoleFailure.badForm("reload the page") }
                try await service.resolve(record: id, field: form.field, keep: keep, by: user)
                return Self.redirect("/console/records/\(id)?saved=1")
            }
        }
        router.get("console/forms") { request, _ in
            try await page(request) { lang in
                let (s, _) = try await signedIn(request, form: nil)
                let notice = request.uri.queryParameters["published"].map(String.init)
                return try await formsPage(s, lang: lang, notice: notice, failed: nil)
            }
        }
        router.post("console/forms") { request, _ in
            try await page(request) { lang in
                let upload = try await multipart(request, as: UploadForm.self)
                let s = try await admin(request, form: upload.csrf, lang: lang)
                let t = ConsoleText.words(lang)
                let name = upload.workbook.name ?? "workbook.xlsx"
                do {
                    let loaded = try FormFile.load(data: upload.workbook.data, name: name)
                    let (form, added) = try await service.publish(definition: loaded.form.definition)
                    let said = added ? "\(t["published_new"]) \(form.id) \(form.version)" : "\(form.id) \(form.version) \(t["already_published"])"
                    var c = URLComponents()
                    c.queryItems = [URLQueryItem(name: "published", value: said)]
                    return Self.redirect("/console/forms?" + (c.percentEncodedQuery ?? ""))
                } catch let e as FormFile.Failure {
                    return try await formsPage(s, lang: lang, notice: nil, failed: e.description, status: .unprocessableContent)
                } catch let e as ServerSetupError {
                    return try await formsPage(s, lang: lang, notice: nil, failed: e.description, status: .unprocessableContent)
                }
            }
        }
        router.get("console/devices") { request, _ in
            try await page(request) { lang in
                let (s, _) = try await signedIn(request, form: nil)
                return try await devices(s, lang: lang, notice: request.uri.queryParameters["done"] != nil)
            }
        }
        router.post("console/devices/:id/revoke") { request, context in
            try await page(request) { lang in
                let s = try await admin(request, form: try await formBody(request, as: CSRFOnly.self).csrf, lang: lang)
                _ = s
                let id = try context.parameters.require("id")
                guard id.count <= 64, try await service.storage.revokeDevice(id: id) else { throw ConsoleFailure.notFound }
                return Self.redirect("/console/devices?done=1")
            }
        }
        router.get("console/users") { request, _ in
            try await page(request) { lang in
                let s = try await admin(request, form: nil, lang: lang)
                return try await users(s, lang: lang, notice: request.uri.queryParameters["done"] != nil)
            }
        }
        router.post("console/users") { request, _ in
            try await page(request) { lang in
                let form = try await formBody(request, as: NewUserForm.self)
                _ = try await admin(request, form: form.csrf, lang: lang)
                let t = ConsoleText.words(lang)
                guard form.name.range(of: "^[A-Za-z0-9_.-]{1,64}$", options: .regularExpression) != nil, form.password.count >= 8,
                      form.password.count <= 1024, let role = Role(rawValue: form.role) else { throw ConsoleFailure.badForm(t["bad_user"]) }
                do {
                    try await service.storage.createUser(UserRecord(name: form.name, role: role, passwordHash: Credentials.hashPassword(form.password),
                                                                    createdAt: now()))
                } catch is ServerSetupError {
                    throw ConsoleFailure.badForm(t["user_exists"])
                }
                return Self.redirect("/console/users?done=1")
            }
        }
        router.post("console/users/:name/:action") { request, context in
            try await page(request) { lang in
                let name = try context.parameters.require("name"), action = try context.parameters.require("action")
                let t = ConsoleText.words(lang)
                let changed: Bool
                switch action {
                case "disable", "enable":
                    _ = try await admin(request, form: try await formBody(request, as: CSRFOnly.self).csrf, lang: lang)
                    changed = try await service.storage.setDisabled(user: name, action == "disable")
                case "password":
                    let form = try await formBody(request, as: PasswordForm.self)
                    _ = try await admin(request, form: form.csrf, lang: lang)
                    guard form.password.count >= 8, form.password.count <= 1024 else { throw ConsoleFailure.badForm(t["bad_user"]) }
                    changed = try await service.storage.setPasswordHash(user: name, Credentials.hashPassword(form.password))
                default:
                    throw ConsoleFailure.notFound
                }
                guard changed else { throw ConsoleFailure.notFound }
                return Self.redirect("/console/users?done=1")
            }
        }
        router.get("console/records/:id") { request, context in
            try await page(request) { lang in
                let (s, _) = try await signedIn(request, form: nil)
                return try await recordPage(try recordID(context), session: s, lang: lang,
                                            notice: request.uri.queryParameters["saved"] != nil ? ConsoleText.words(lang)["saved"] : nil)
            }
        }
        router.post("console/records/:id/review") { request, context in
            try await page(request) { lang in
                let form = try await formBody(request, as: ReviewForm.self)
                let (s, _) = try await signedIn(request, form: form.csrf)
                let id = try recordID(context)
                guard let user = try await service.storage.user(named: s.user) else { throw ConsoleFailure.signedOut }
                try await service.review(record: id, try form.review(), by: user)
                return Self.redirect("/console/records/\(id)?saved=1")
            }
        }
    }

    // MARK: - Pages

    func signInPage(_ request: Request, lang: String, failed: String?, status: HTTPResponse.Status = .ok) throws -> Response {
        let token = ConsoleSessions.token()
        var r = html(status, "signin", ["title": ConsoleText.words(lang)["signin"], "signinToken": token,
                                        "failed": failed ?? false], lang: lang, session: nil)
        r.setCookie(cookie(Self.signinCookie, token, maxAge: 3600))
        return r
    }

    func signIn(_ request: Request, address: String, lang: String) async throws -> Response {
        let form = try await formBody(request, as: SignInForm.self)
        // Double-submit: the token of the sign-in page this browser was given.
        guard let given = request.cookies[Self.signinCookie]?.value, ConsoleSessions.same(given, form.csrf) else {
            throw ConsoleFailure.csrf
        }
        let user: UserRecord
        do {
            user = try await service.signIn(user: form.user, password: form.password, address: address)
        } catch let e as ServerError {
            let t = ConsoleText.words(lang)
            let message = e.status == .unauthorized ? t["wrong"] : e.message
            return try signInPage(request, lang: lang, failed: message, status: e.status)
        }
        // Never the id the browser brought: a new one (no fixation).
        let id = sessions.start(user: user, replacing: request.cookies[Self.sessionCookie]?.value, now: now())
        var r = Self.redirect("/console")
        r.setCookie(cookie(Self.sessionCookie, id, maxAge: Int(ConsoleSessions.idleLifetimeMs / 1000)))
        r.setCookie(cookie(Self.signinCookie, "", maxAge: 0))
        return r
    }

    func overview(_ request: Request, _ s: ConsoleSessions.Session, lang: String) async throws -> Response {
        let t = ConsoleText.words(lang)
        let records = try await service.recordStates().filter { !$0.state.isDeleted }
        // Districts by their labels, as the records table shows them.
        let districtOf = Dictionary(try await recordTable(request, lang: lang).rows.map { ($0.id, $0.district.isEmpty ? "—" : $0.district) },
                                    uniquingKeysWith: { a, _ in a })
        let columns: [Review.State?] = [nil, .received, .hasIssues, .corrected, .approved, .rejected]
        func counts(_ rows: [(owner: RecordOwner, state: RecordState)]) -> [String] {
            columns.map { c in String(rows.filter { c == nil ? $0.state.reviewState == nil : $0.state.reviewState == c }.count) }
        }
        func table(_ key: (RecordOwner) -> String) -> [[String: Any]] {
            Dictionary(grouping: records) { key($0.owner) }.sorted { $0.key < $1.key }.map {
                ["name": $0.key, "counts": counts($0.value), "total": $0.value.count]
            }
        }
        let dayStart = now() - now() % 86_400_000
        return html(.ok, "overview", [
            "title": t["overview"],
            "states": columns.map { t[$0?.rawValue ?? "drafts"] },
            "forms": table(\.formID), "enumerators": table(\.owner), "districts": table { districtOf[$0.id] ?? "—" },
            "today": records.filter { $0.owner.createdAt >= dayStart }.count,
        ], lang: lang, session: s)
    }

    func queue(_ s: ConsoleSessions.Session, lang: String) async throws -> Response {
        let t = ConsoleText.words(lang)
        let waiting = try await service.recordStates().filter {
            !$0.state.isDeleted && ($0.state.reviewState == .received || $0.state.reviewState == .corrected)
        }.sorted { ($0.state.reviewState == .received ? 0 : 1, $0.owner.createdAt, $0.owner.id) < ($1.state.reviewState == .received ? 0 : 1, $1.owner.createdAt, $1.owner.id) }
        let rows: [[String: Any]] = waiting.map {
            ["id": $0.owner.id, "short": String($0.owner.id.prefix(8)), "form": $0.owner.formID, "owner": $0.owner.owner,
             "state": t[$0.state.reviewState!.rawValue], "created": Self.time($0.owner.createdAt)]
        }
        return html(.ok, "queue", ["title": t["queue"], "rows": rows, "hasRows": !rows.isEmpty], lang: lang, session: s)
    }

    func recordPage(_ id: String, session s: ConsoleSessions.Session, lang: String, notice: String?) async throws -> Response {
        let t = ConsoleText.words(lang)
        guard let (stored, form) = try await service.record(id) else { throw ConsoleFailure.notFound }
        let versions = stored.map(\.version)
        let state = RecordState(record: id, versions: versions)
        let oldest = versions.min { $0.clock < $1.clock }!
        let formLang = form.map { f in f.languages.contains { $0.code == lang } ? lang : f.defaultLanguage } ?? lang
        func label(_ path: String) -> String {
            if path == MetaField.review { return t["review"] }
            if path == MetaField.status { return t["status"] }
            guard let q = form?.questions[FormRules.name(of: path)] else { return path }
            return q.label.text(formLang, fallback: form?.defaultLanguage) ?? q.name
        }
        func display(_ path: String, _ json: String?) -> String {
            guard let json else { return "—" }
            guard let a = Answer(json: json) else { return json }
            guard let form, let q = form.questions[FormRules.name(of: path)], q.type.hasChoices else { return a.display }
            let names: [String]
            switch a {
            case .text(let x): names = [x]
            case .choices(let c): names = c
            default: return a.display
            }
            let choices = form.choices(for: q)
            return names.map { n in choices.first { $0.name == n }?.label.text(formLang, fallback: form.defaultLanguage) ?? n }
                .joined(separator: ", ")
        }
        // Who carried each version: the writer's own device, a relay, or the console.
        let held = try await service.storage.changesets(holding: versions.map(\.id))
        var carrierOf: [VersionID: String] = [:]
        for h in held.heads { for seq in h.seq...h.lastSeq { carrierOf[VersionID(site: h.site, seq: seq)] = held.carriers[VersionID(site: h.site, seq: h.seq)] } }
        var carriers: [String: DeviceRecord] = [:]
        for id in Set(held.carriers.values) where id != "console" {
            if let d = try await service.storage.device(id: id) { carriers[id] = d }
        }
        var sites: [SiteID: String] = [:]
        for site in Set(versions.map(\.id.site)) {
            sites[site] = try await service.storage.devices(site: site).first.map { "\($0.name), \($0.user)" } ?? site.rawValue
        }
        var history: [String: [[String: Any]]] = [:]
        for v in versions.sorted(by: { $0.clock > $1.clock }) {
            let carrier = carrierOf[v.id] ?? ""
            let path: String
            if carrier == "console" { path = t["console"] }
            else if let d = carriers[carrier], !d.speaksFor(v.id.site) { path = t["relayed"] + " " + "\(d.user) (\(d.name))" }
            else { path = t["direct"] }
            let shown = v.field == MetaField.review ? (Review.parse(v.value).map { t[$0.state.rawValue] } ?? "—") : display(v.field, v.value)
            history[v.field, default: []].append(["value": shown, "who": v.author, "when": Self.time(v.clock.ms),
                                                   "device": sites[v.id.site] ?? v.id.site.rawValue, "path": path])
        }
        // Answers in the form's order (a repeat's fields by instance, then name).
        let order = Dictionary((form?.orderedQuestions ?? []).enumerated().map { ($1.name, $0) }, uniquingKeysWith: { a, _ in a })
        let paths = state.fields.keys.filter { !MetaField.isMeta($0) }.sorted {
            (order[FormRules.name(of: $0)] ?? Int.max, $0) < (order[FormRules.name(of: $1)] ?? Int.max, $1)
        }
        let answers: [[String: Any]] = paths.map { path in
            ["label": label(path), "path": path, "value": display(path, state.fields[path]?.value), "history": history[path] ?? []]
        } + [MetaField.status, MetaField.review].filter { state.fields[$0] != nil }.map { path in
            ["label": path == MetaField.status ? t["status"] : t["review"], "path": path,
             "value": path == MetaField.review ? (state.reviewState.map { t[$0.rawValue] } ?? "—") : display(path, state.fields[path]?.value),
             "history": history[path] ?? []]
        }
        let conflicts: [[String: Any]] = state.conflicts.map { field in
            ["values": state.conflictVersions(of: field).map { v in
                ["label": label(field), "value": v.field == MetaField.review ? (Review.parse(v.value).map { t[$0.state.rawValue] } ?? "—")
                    : display(v.field, v.value), "who": v.author, "when": Self.time(v.clock.ms),
                 "resolvable": field != MetaField.deleted && v.field == field, "record": id, "field": field,
                 "version": v.id.description, "csrf": s.csrf] as [String: Any]
            }]
        }
        var review: [String: Any]?
        if let r = state.review {
            let fields = (r.fields ?? [:]).sorted { $0.key < $1.key }.map { ["label": label($0.key), "text": $0.value] }
            review = ["comment": r.comment ?? false, "fields": fields, "hasFields": !fields.isEmpty]
        }
        let questions = (form?.orderedQuestions ?? []).filter { !$0.type.isAutomatic && $0.type != .note }.map { ["name": $0.name, "label": label($0.name)] }
        return html(.ok, "record", [
            "title": t["record"] + " " + String(id.prefix(8)), "id": id, "form": form?.title ?? oldest.form, "owner": oldest.author,
            "created": Self.time(oldest.clock.ms), "status": state.status.map { t[$0] } ?? "—",
            "deleted": state.isDeleted, "state": state.reviewState.map { t[$0.rawValue] } ?? "—",
            "review": review ?? false, "conflicts": conflicts, "hasConflicts": !conflicts.isEmpty,
            "canReview": state.status == "finalized" && !state.isDeleted, "questions": questions, "answers": answers,
            "notice": notice ?? false,
        ], lang: lang, session: s)
    }

    /// The session of a signed-in admin (users and revocations are theirs).
    func admin(_ request: Request, form token: String?, lang: String) async throws -> ConsoleSessions.Session {
        let (s, _) = try await signedIn(request, form: token)
        guard s.role == .admin else { throw ConsoleFailure.forbidden }
        return s
    }

    func formsPage(_ s: ConsoleSessions.Session, lang: String, notice: String?, failed: String?,
                   status: HTTPResponse.Status = .ok) async throws -> Response {
        let t = ConsoleText.words(lang)
        let rows: [[String: Any]] = try await service.storage.forms().sorted { ($0.formID, $0.publishedAt) < ($1.formID, $1.publishedAt) }.map {
            ["id": $0.formID, "version": $0.version, "title": $0.title, "published": Self.time($0.publishedAt)]
        }
        return html(status, "forms", ["title": t["forms"], "rows": rows, "notice": notice.map { String($0.prefix(300)) } ?? false,
                                      "failed": failed ?? false], lang: lang, session: s)
    }

    /// A multipart/form-data body (a file upload, at most 16 MiB), decoded by MultipartKit.
    func multipart<T: Decodable>(_ request: Request, as type: T.Type) async throws -> T {
        guard let contentType = request.headers[.contentType], contentType.hasPrefix("multipart/form-data"),
              let boundary = contentType.split(separator: ";").lazy.map({ $0.trimmingCharacters(in: .whitespaces) })
                .first(where: { $0.hasPrefix("boundary=") }).map({ String($0.dropFirst(9)).trimmingCharacters(in: CharacterSet(charactersIn: "\"")) }),
              !boundary.isEmpty, boundary.count <= 200
        else { throw ConsoleFailure.badForm("send the form from the console page") }
        let buffer: ByteBuffer
        do { buffer = try await request.body.collect(upTo: 16 << 20) } catch { throw ConsoleFailure.badForm("the file is larger than 16 MiB") }
        do {
            return try FormDataDecoder().decode(T.self, from: buffer, boundary: boundary)
        } catch {
            throw ConsoleFailure.badForm("the upload is incomplete: choose the file again")
        }
    }

    func devices(_ s: ConsoleSessions.Session, lang: String, notice: Bool) async throws -> Response {
        let t = ConsoleText.words(lang)
        let relayed = Dictionary(try await service.storage.relayedArrivals().map { ($0.site, $0) }, uniquingKeysWith: { a, _ in a })
        let gaps = try await service.storage.sequenceGaps()
        let skews = try await service.storage.clockSkews()
        var names: [String: String] = [:]
        let all = try await service.storage.devices()
        for d in all { names[d.id] = "\(d.user) (\(d.name))" }
        let rows: [[String: Any]] = all.sorted { ($0.user, $0.createdAt) < ($1.user, $1.createdAt) }.map { d in
            ["id": d.id, "name": d.name, "user": d.user, "site": d.site.rawValue,
             "direct": d.lastSeenAt.map(Self.time) ?? t["never"],
             "relayed": relayed[d.site].map { "\(Self.time($0.at)) \(t["through"]) \(names[$0.carriedBy] ?? $0.carriedBy)" } ?? "—",
             "gaps": gaps[d.site].map(String.init) ?? "0", "revoked": d.revoked,
             "skew": skews[d.id].map { Self.skew($0, t) } ?? "—", "skewed": skews[d.id].map { abs($0) >= WireProtocol.maxClockAheadMs } ?? false]
        }
        return html(.ok, "devices", ["title": t["devices"], "rows": rows, "notice": notice ? t["done"] : false], lang: lang, session: s)
    }

    func users(_ s: ConsoleSessions.Session, lang: String, notice: Bool) async throws -> Response {
        let t = ConsoleText.words(lang)
        let rows: [[String: Any]] = try await service.storage.users().sorted { $0.name < $1.name }.map { u in
            ["name": u.name, "role": t["role_" + u.role.rawValue], "toggle": u.disabled ? "enable" : "disable",
             "toggleLabel": t[u.disabled ? "enable" : "disable"]]
        }
        return html(.ok, "users", ["title": t["users"], "rows": rows, "notice": notice ? t["done"] : false], lang: lang, session: s)
    }

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

    // MARK: - Plumbing

    /// Renders one page, turning every failure into an HTML answer: signed
    /// out → the sign-in page; a missing or wrong CSRF token → 403; an
    /// unknown record → 404; a refused review → its reason, nothing changed.
    func page(_ request: Request, _ body: (String) async throws -> Response) async throws -> Response {
        let (lang, chosen) = language(request)
        if let chosen, request.method == .get {
            // ?lang=pt switches and remembers; the address stays clean.
            var r = Self.redirect(request.uri.path)
            r.setCookie(cookie(Self.langCookie, chosen, maxAge: 365 * 86_400))
            return r
        }
        let t = ConsoleText.words(lang)
        do {
            return try await body(lang)
        } catch let f as ConsoleFailure {
            switch f {
            case .signedOut:
                if request.method == .get { return Self.redirect("/console/signin") }
                return html(.forbidden, "error", ["title": t["error"], "message": t["expired"]], lang: lang, session: nil)
            case .csrf:
                return html(.forbidden, "error", ["title": t["error"], "message": t["csrf"]], lang: lang, session: nil)
            case .forbidden:
                return html(.forbidden, "error", ["title": t["error"], "message": t["admins_only"]], lang: lang, session: nil)
            case .notFound:
                return html(.notFound, "error", ["title": t["error"], "message": t["not_found"]], lang: lang, session: nil)
            case .badForm(let m):
                return html(.badRequest, "error", ["title": t["error"], "message": m], lang: lang, session: nil)
            }
        } catch let e as ServerError {
            return html(e.status, "error", ["title": t["error"], "message": e.message], lang: lang, session: nil)
        }
    }

    /// The session of a signed-in supervisor or admin; for a form that
    /// changes something, its CSRF token must match the session's.
    func signedIn(_ request: Request, form token: String?) async throws -> (ConsoleSessions.Session, String) {
        let id = request.cookies[Self.sessionCookie]?.value
        guard let id, let s = sessions.session(id, now: now()) else { throw ConsoleFailure.signedOut }
        guard let user = try await service.storage.user(named: s.user), !user.disabled, user.role.seesAll else {
            sessions.end(id)
            throw ConsoleFailure.signedOut
        }
        if request.method != .get {
            guard let token, ConsoleSessions.same(token, s.csrf) else { throw ConsoleFailure.csrf }
            // Defence in depth: a form posted from another site is refused.
            if let origin = request.headers[.origin] {
                let bare = origin.replacingOccurrences(of: "https://", with: "").replacingOccurrences(of: "http://", with: "")
                guard let authority = request.head.authority, bare == authority else { throw ConsoleFailure.csrf }
            }
        }
        return (s, id)
    }

    /// A url-encoded form body (at most 64 KiB), decoded by Hummingbird's decoder.
    func formBody<T: Decodable>(_ request: Request, as type: T.Type) async throws -> T {
        guard request.headers[.contentType]?.hasPrefix("application/x-www-form-urlencoded") == true else {
            throw ConsoleFailure.badForm("send the form from the console page")
        }
        let buffer: ByteBuffer
        do { buffer = try await request.body.collect(upTo: Self.maxForm) } catch { throw ConsoleFailure.badForm("the form is too large") }
        do {
            return try URLEncodedFormDecoder().decode(T.self, from: String(buffer: buffer))
        } catch {
            throw ConsoleFailure.badForm("the form is incomplete: open the page again")
        }
    }

    func recordID(_ context: ServerContext) throws -> String {
        let id = try context.parameters.require("id")
        guard (1...64).contains(id.count), id.allSatisfy({ $0.isHexDigit || $0 == "-" }) else { throw ConsoleFailure.notFound }
        return id.lowercased()
    }

    /// The language: `?lang=`, else the cookie, else Accept-Language.
    func language(_ request: Request) -> (String, chosen: String?) {
        if let q = request.uri.queryParameters["lang"].map(String.init), ["en", "pt"].contains(q) { return (q, q) }
        if let c = request.cookies[Self.langCookie]?.value, ["en", "pt"].contains(c) { return (c, nil) }
        let accept = request.headers[.acceptLanguage] ?? ""
        let first = accept.split(separator: ",").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        return (first.hasPrefix("pt") ? "pt" : "en", nil)
    }

    func html(_ status: HTTPResponse.Status, _ template: String, _ values: [String: Any], lang: String,
              session: ConsoleSessions.Session?) -> Response {
        var context = values
        context["lang"] = lang
        context["t"] = ConsoleText.words(lang).all
        if let session {
            context["user"] = session.user
            context["csrf"] = session.csrf
            context["admin"] = session.role == .admin
        }
        let text = library.render(context, withTemplate: template) ?? ""
        var r = Response(status: status, body: .init(byteBuffer: ByteBuffer(string: text)))
        r.headers[.contentType] = "text/html; charset=utf-8"
        Self.secureHeaders(&r)
        return r
    }

    static func secureHeaders(_ r: inout Response) {
        r.headers[.contentSecurityPolicy] =
            "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
        r.headers[.xContentTypeOptions] = "nosniff"
        r.headers[HTTPField.Name("Referrer-Policy")!] = "same-origin"
        r.headers[HTTPField.Name("X-Frame-Options")!] = "DENY"
        r.headers[.cacheControl] = "no-store"
    }

    static func redirect(_ to: String) -> Response {
        var r = Response(status: .seeOther)
        r.headers[.location] = to
        secureHeaders(&r)
        return r
    }

    func cookie(_ name: String, _ value: String, maxAge: Int) -> Cookie {
        Cookie(name: name, value: value, maxAge: maxAge, path: "/console", secure: secure, httpOnly: true, sameSite: .strict)
    }

    /// A clock skew as people read it: minutes (or seconds) ahead or behind.
    static func skew(_ ms: Int64, _ t: Words) -> String {
        let minutes = abs(ms) / 60_000
        let amount = minutes > 0 ? "\(minutes) min" : "\(abs(ms) / 1000) s"
        return ms == 0 ? "0 s" : "\(amount) " + t[ms > 0 ? "ahead" : "behind"]
    }

    static func time(_ ms: Int64) -> String { Timestamp.iso(ms: ms, utcOffsetSeconds: 0) }
}

enum ConsoleFailure: Error {
    case signedOut, csrf, notFound, forbidden
    case badForm(String)
}

struct CSRFOnly: Decodable { var csrf: String }

struct UploadForm: Decodable {
    var csrf: String
    var workbook: Upload
}

/// An uploaded file: its bytes and the name the browser gave.
struct Upload: Decodable, MultipartPartConvertible {
    var data: Data
    var name: String?

    var multipart: MultipartPart? { nil }
    init?(multipart: MultipartPart) {
        data = Data(buffer: multipart.body)
        let disposition = multipart.headers.first(name: "Content-Disposition") ?? ""
        name = disposition.firstMatch(of: /filename="([^"]{1,200})"/).map { String($0.1) }
    }
    init(from decoder: any Decoder) throws {
        throw DecodingError.typeMismatch(Upload.self, .init(codingPath: decoder.codingPath, debugDescription: "a file part"))
    }
}

struct ResolveForm: Decodable {
    var csrf: String
    var field: String
    var keep: String
}

struct NewUserForm: Decodable {
    var csrf: String
    var name: String
    var role: String
    var password: String
}

struct PasswordForm: Decodable {
    var csrf: String
    var password: String
}

struct SignInForm: Decodable {
    var csrf: String
    var user: String
    var password: String
}

struct ReviewForm: Decodable {
    var csrf: String
    var action: String
    var comment: String?
    var field: String?
    var field_comment: String?

    func review() throws -> Review {
        let comment = comment.flatMap { $0.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty ? nil : $0 }
        var fields: [String: String] = [:]
        if let f = field, !f.isEmpty, let c = field_comment, !c.trimmingCharacters(in: .whitespaces).isEmpty { fields[f] = c }
        let state: Review.State
        switch action {
        case "approve": state = .approved
        case "return": state = .hasIssues
        case "reject": state = .rejected
        case "reopen": state = .received
        default: throw ConsoleFailure.badForm("choose approve, return, reject or reopen")
        }
        if state != .hasIssues && !fields.isEmpty { throw ConsoleFailure.badForm("comments on questions go with a return") }
        return Review(state: state, comment: comment, fields: fields)
    }
}
