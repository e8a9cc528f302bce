import Forms
import Foundation
import HTTPTypes
import Hummingbird
import MultipartKit
import Mustache
import Sync
import SyncServer
import XLSForm

/// The console's pages: each renders from the server's storage for one signed-in session.
extension Console {
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
            guard let form, let q = form.questions[FormRules.name(of: path)] else { return a.display }
            return form.display(a, question: q, language: formLang)
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
        let missingNow = Set((try await service.storage.missingMedia(records: [id])[id] ?? []).map(\.sha256))
        let answers: [[String: Any]] = paths.map { path in
            var file: Any = false
            if let json = state.fields[path]?.value, case .file(let f)? = Answer(json: json), !missingNow.contains(f.sha256) {
                file = "/console/records/\(id)/files/\(f.sha256)"
            }
            return ["label": label(path), "path": path, "value": display(path, state.fields[path]?.value), "history": history[path] ?? [],
                    "file": file]
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
        // Like Central's "missing attachments": files the record names that are not whole here yet.
        let missing = (try await service.storage.missingMedia(records: [id])[id] ?? []).map {
            ["name": $0.name, "received": FileAnswer.size($0.received), "size": FileAnswer.size($0.size)]
        }
        return html(.ok, "record", [
            "missing": missing, "hasMissing": !missing.isEmpty,
            "title": t["record"] + " " + String(id.prefix(8)), "id": id, "form": form?.title ?? oldest.form, "owner": oldest.author,
            "created": Self.time(oldest.clock.ms), "status": state.status.map { t[$0] } ?? "—",
            "deleted": state.isDeleted, "state": state.reviewState.map { t[$0.rawValue] } ?? "—",
            "review": review ?? false, "conflicts": conflicts, "hasConflicts": !conflicts.isEmpty,
            "canReview": state.status == "finalized" && !state.isDeleted, "questions": questions, "answers": answers,
            "notice": notice ?? false,
        ], lang: lang, session: s)
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
}

extension Console {
    /// A file a record names, whole and verified, for a supervisor to look
    /// at: photos, recordings, videos and PDFs shown in the browser, any
    /// other file downloaded; never run as a page (sandboxed, no sniffing).
    func mediaFile(_ sha256: String, record: String, user: UserRecord) async throws -> Response {
        // Only a file this record names: the address cannot reach another record's.
        guard let (stored, _) = try await service.record(record),
              let file = stored.lazy.compactMap({ s -> FileAnswer? in
                  guard let v = s.version.value, case .file(let a)? = Answer(json: v), a.sha256 == sha256 else { return nil }
                  return a
              }).first else { throw ConsoleFailure.notFound }
        var data = Data()
        while true {
            let (m, piece): (ServerMedia, Data)
            do { (m, piece) = try await service.downloadMedia(sha256, from: data.count, user: user) } catch { throw ConsoleFailure.notFound }
            data.append(piece)
            if data.count >= m.size || piece.isEmpty { break }
        }
        let type = file.kind
        let shown = ["image/", "audio/", "video/"].contains { type.hasPrefix($0) } || type == "application/pdf"
        var headers = HTTPFields()
        headers[.contentType] = shown ? type : "application/octet-stream"
        headers[.contentDisposition] = (shown ? "inline" : "attachment") + "; filename=\"" + file.exportName.filter { $0 != "\"" && $0 != "\\" && $0.isASCII } + "\""
        headers[.xContentTypeOptions] = "nosniff"
        headers[.contentSecurityPolicy] = "sandbox; default-src 'none'"
        headers[.cacheControl] = "private, no-store"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
