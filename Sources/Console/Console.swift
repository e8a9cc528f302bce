import Forms
import Foundation
import HTTPTypes
import Hummingbird
import Mustache
import Sync
import SyncServer

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
                return try await overview(s, sessionID: id, lang: lang)
            }
        }
        router.get("console/queue") { request, _ in
            try await page(request) { lang in
                let (s, _) = try await signedIn(request, form: nil)
                return try await queue(s, lang: lang)
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
        var r = html(status, "signin", ["title": ConsoleText.words(lang)["signin"]!, "signinToken": token,
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
            let message = e.status == .unauthorized ? t["wrong"]! : e.message
            return try signInPage(request, lang: lang, failed: message, status: e.status)
        }
        // Never the id the browser brought: a new one (no fixation).
        let id = sessions.start(user: user, replacing: request.cookies[Self.sessionCookie]?.value, now: now())
        var r = Self.redirect("/console")
        r.setCookie(cookie(Self.sessionCookie, id, maxAge: Int(ConsoleSessions.idleLifetimeMs / 1000)))
        r.setCookie(cookie(Self.signinCookie, "", maxAge: 0))
        return r
    }

    func overview(_ s: ConsoleSessions.Session, sessionID: String, lang: String) async throws -> Response {
        let t = ConsoleText.words(lang)
        let records = try await service.recordStates().filter { !$0.state.isDeleted }
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
            "title": t["overview"]!,
            "states": columns.map { t[$0?.rawValue ?? "drafts"]! },
            "forms": table(\.formID), "enumerators": table(\.owner),
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
             "state": t[$0.state.reviewState!.rawValue]!, "created": Self.time($0.owner.createdAt)]
        }
        return html(.ok, "queue", ["title": t["queue"]!, "rows": rows, "hasRows": !rows.isEmpty], lang: lang, session: s)
    }

    func recordPage(_ id: String, session s: ConsoleSessions.Session, lang: String, notice: String?) async throws -> Response {
        let t = ConsoleText.words(lang)
        guard let (stored, form) = try await service.record(id) else { throw ConsoleFailure.notFound }
        let versions = stored.map(\.version)
        let state = RecordState(record: id, versions: versions)
        let oldest = versions.min { $0.clock < $1.clock }!
        let formLang = form.map { f in f.languages.contains { $0.code == lang } ? lang : f.defaultLanguage } ?? lang
        func label(_ path: String) -> String {
            if path == MetaField.review { return t["review"]! }
            if path == MetaField.status { return t["status"]! }
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
            if carrier == "console" { path = t["console"]! }
            else if let d = carriers[carrier], !d.speaksFor(v.id.site) { path = t["relayed"]! + " " + "\(d.user) (\(d.name))" }
            else { path = t["direct"]! }
            let shown = v.field == MetaField.review ? (Review.parse(v.value).map { t[$0.state.rawValue]! } ?? "—") : display(v.field, v.value)
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
            ["label": path == MetaField.status ? t["status"]! : t["review"]!, "path": path,
             "value": path == MetaField.review ? (state.reviewState.map { t[$0.rawValue]! } ?? "—") : display(path, state.fields[path]?.value),
             "history": history[path] ?? []]
        }
        let conflicts: [[String: Any]] = state.conflicts.map { field in
            ["values": state.conflictVersions(of: field).map { v in
                ["label": label(field), "value": v.field == MetaField.review ? (Review.parse(v.value).map { t[$0.state.rawValue]! } ?? "—")
                    : display(v.field, v.value), "who": v.author, "when": Self.time(v.clock.ms)] as [String: Any]
            }]
        }
        var review: [String: Any]?
        if let r = state.review {
            let fields = (r.fields ?? [:]).sorted { $0.key < $1.key }.map { ["label": label($0.key), "text": $0.value] }
            review = ["comment": r.comment ?? false, "fields": fields, "hasFields": !fields.isEmpty]
        }
        let questions = (form?.orderedQuestions ?? []).filter { !$0.type.isAutomatic && $0.type != .note }.map { ["name": $0.name, "label": label($0.name)] }
        return html(.ok, "record", [
            "title": t["record"]! + " " + String(id.prefix(8)), "id": id, "form": form?.title ?? oldest.form, "owner": oldest.author,
            "created": Self.time(oldest.clock.ms), "status": state.status.flatMap { t[$0 == "finalized" ? "status" : $0] == nil ? $0 : $0 } ?? "—",
            "deleted": state.isDeleted, "state": state.reviewState.map { t[$0.rawValue]! } ?? "—",
            "review": review ?? false, "conflicts": conflicts, "hasConflicts": !conflicts.isEmpty,
            "canReview": state.status == "finalized" && !state.isDeleted, "questions": questions, "answers": answers,
            "notice": notice ?? false,
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
                return html(.forbidden, "error", ["title": t["error"]!, "message": t["expired"]!], lang: lang, session: nil)
            case .csrf:
                return html(.forbidden, "error", ["title": t["error"]!, "message": t["csrf"]!], lang: lang, session: nil)
            case .notFound:
                return html(.notFound, "error", ["title": t["error"]!, "message": t["not_found"]!], lang: lang, session: nil)
            case .badForm(let m):
                return html(.badRequest, "error", ["title": t["error"]!, "message": m], lang: lang, session: nil)
            }
        } catch let e as ServerError {
            return html(e.status, "error", ["title": t["error"]!, "message": e.message], lang: lang, session: nil)
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
        context["t"] = ConsoleText.words(lang)
        if let session {
            context["user"] = session.user
            context["csrf"] = session.csrf
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

    static func time(_ ms: Int64) -> String { Timestamp.iso(ms: ms, utcOffsetSeconds: 0) }
}

enum ConsoleFailure: Error {
    case signedOut, csrf, notFound
    case badForm(String)
}

struct CSRFOnly: Decodable { var csrf: String }

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
