import Forms
import Foundation
import HTTPTypes
import Hummingbird
import MultipartKit
import Mustache
import Sync
import SyncServer
import XLSForm

/// Sessions, forms, languages and answers: what every page goes through.
extension Console {
    /// The session of a signed-in admin (users and revocations are theirs).
    func admin(_ request: Request, form token: String?, lang: String) async throws -> ConsoleSessions.Session {
        let (s, _) = try await signedIn(request, form: token)
        guard s.role == .admin else { throw ConsoleFailure.forbidden }
        return s
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
    /// Files published with the form (`media[]`, several in one input);
    /// an input left empty sends one part with no name and no bytes.
    var media: [Upload]?
    var mediaFiles: [FormFile.Media] {
        (media ?? []).compactMap { u in u.name.map { FormFile.Media(name: $0, data: u.data) } }
    }
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
