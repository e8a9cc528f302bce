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
                let (s, _) = try await signedIn(request, form: nil)
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
                    let loaded = try FormFile.load(data: upload.workbook.data, name: name, media: upload.mediaFiles)
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
        router.get("console/records/:id/files/:sha") { request, context in
            try await page(request) { _ in
                let (s, _) = try await signedIn(request, form: nil)
                guard let user = try await service.storage.user(named: s.user) else { throw ConsoleFailure.signedOut }
                return try await mediaFile(try context.parameters.require("sha"), record: try recordID(context), user: user)
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
}
