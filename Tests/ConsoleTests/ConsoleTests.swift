@testable import Console
import Forms
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import RecolhaTesting
import Sync
import SyncServer
import Testing

/// The console's routes in process, against a real SQLite server store:
/// signed out, wrong role, CSRF, a planted session cookie, escaping.
@Suite struct ConsoleTests {
    let dir = TempDir()
    static let markup = "<script>alert('x')</script> & \"Centro\""

    /// A server holding one finalized record of ana's whose facility name is markup.
    func setUp() async throws -> (SyncService, record: String) {
        let storage = try SQLiteStorage(path: dir.file(UUID().uuidString + ".sqlite"), create: true)
        for (name, role) in [("ana", Role.enumerator), ("sara", .supervisor), ("ada", .admin)] {
            try await storage.createUser(UserRecord(name: name, role: role, passwordHash: Credentials.hashPassword("pw-" + name), createdAt: 0))
        }
        let service = SyncService(storage: storage)
        _ = try await service.publish(json: Package.data(Package.flagship))
        let identity = SiteIdentity.make()
        let login = try await service.login(LoginRequest(user: "ana", password: "pw-ana", deviceName: "tab", identity: identity))
        let (device, user) = try await service.authenticate("Bearer " + login.token)
        // This tablet's clock runs 12 minutes ahead.
        try await service.noteClock(of: device, header: String(ServerClock.nowMs() + 12 * 60_000))
        try await service.noteClock(of: device, header: "not a time")
        let record = UUID().uuidString.lowercased()
        let at = ServerClock.nowMs()
        let fields: [(String, String)] = [("facility_name", JSONText.quote(Self.markup)), ("province", "\"tete\""),
                                          ("_status", "\"finalized\"")]
        let versions = fields.enumerated().map { i, f in
            Version(id: VersionID(site: identity.site, seq: Int64(i + 1)), record: record, form: "health_facility_assessment",
                    formVersion: "2026.11.3", field: f.0, value: f.1, clock: HLC(ms: at, counter: Int32(i), site: identity.site),
                    parents: [], author: "ana")
        }
        let pushed = try await service.push(PushRequest(changesets: [Changeset(versions: versions)!.signed(by: identity)]),
                                            device: device, user: user)
        #expect(pushed.accepted.count == 1, "\(pushed.rejected)")
        return (service, record)
    }

    func app(_ service: SyncService) throws -> some ApplicationProtocol {
        let console = try Console(service: service, secure: false)
        return Application(router: buildRouter(service, logger: Logger(label: "test"), console: { console.add(to: $0) }))
    }

    /// Cookies a response sets, by name (value, then the whole header).
    func cookies(_ r: TestResponse) -> [String: (value: String, header: String)] {
        var out: [String: (String, String)] = [:]
        for h in r.headers[values: .setCookie] {
            let pair = h.split(separator: ";")[0].split(separator: "=", maxSplits: 1)
            out[String(pair[0])] = (pair.count > 1 ? String(pair[1]) : "", h)
        }
        return out
    }

    func text(_ r: TestResponse) -> String { String(buffer: r.body) }

    func form(_ fields: [String: String]) -> ByteBuffer {
        var c = URLComponents()
        c.queryItems = fields.map { URLQueryItem(name: $0.key, value: $0.value) }
        return ByteBuffer(string: c.percentEncodedQuery!.replacingOccurrences(of: "+", with: "%2B"))
    }

    static let formHeaders: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]

    func headers(_ cookies: [String: String], form: Bool = false) -> HTTPFields {
        var h: HTTPFields = form ? Self.formHeaders : [:]
        if !cookies.isEmpty { h[.cookie] = cookies.map { "\($0.key)=\($0.value)" }.joined(separator: "; ") }
        return h
    }

    /// Signs in through the pages; returns the session cookie and the CSRF token of the overview.
    func signIn(_ client: some TestClientProtocol, user: String, password: String, planted: String? = nil)
        async throws -> (session: String?, csrf: String?, response: TestResponse) {
        let page = try await client.execute(uri: "/console/signin", method: .get)
        let token = try #require(cookies(page)["recolha_signin"]?.value)
        #expect(text(page).contains("value=\"\(token)\""))
        var jar = ["recolha_signin": token]
        if let planted { jar["recolha_console"] = planted }
        let r = try await client.execute(uri: "/console/signin", method: .post, headers: headers(jar, form: true),
                                         body: form(["csrf": token, "user": user, "password": password]))
        guard let session = cookies(r)["recolha_console"]?.value, !session.isEmpty else { return (nil, nil, r) }
        let overview = try await client.execute(uri: "/console", method: .get, headers: headers(["recolha_console": session]))
        let csrf = text(overview).firstMatch(of: /name="csrf" value="([0-9a-f]{64})"/).map { String($0.1) }
        return (session, csrf, r)
    }

    @Test func signedOutPagesSendToSignInAndFormsAreRefused() async throws {
        let (service, record) = try await setUp()
        try await app(service).test(.router) { client in
            for path in ["/console", "/console/queue", "/console/records/\(record)"] {
                let r = try await client.execute(uri: path, method: .get)
                #expect(r.status == .seeOther && r.headers[.location] == "/console/signin", "\(path)")
            }
            let post = try await client.execute(uri: "/console/records/\(record)/review", method: .post, headers: Self.formHeaders,
                                                body: form(["csrf": String(repeating: "a", count: 64), "action": "approve"]))
            #expect(post.status == .forbidden)
            // A made-up session id is no session.
            let made = try await client.execute(uri: "/console", method: .get, headers: headers(["recolha_console": String(repeating: "b", count: 64)]))
            #expect(made.status == .seeOther)
        }
        #expect(try await service.storage.versions(record: record).allSatisfy { $0.version.field != MetaField.review })
    }

    @Test func onlySupervisorsAndAdminsSignInWithTheRightPassword() async throws {
        let (service, _) = try await setUp()
        try await app(service).test(.router) { client in
            let wrong = try await signIn(client, user: "sara", password: "nope")
            #expect(wrong.session == nil && wrong.response.status == .unauthorized)
            #expect(text(wrong.response).contains("Wrong user name or password."))
            let enumerator = try await signIn(client, user: "ana", password: "pw-ana")
            #expect(enumerator.session == nil && enumerator.response.status == .forbidden)
            #expect(text(enumerator.response).contains("the console is for supervisors and admins"))
            // The sign-in form itself needs the token its page set.
            let forged = try await client.execute(uri: "/console/signin", method: .post, headers: Self.formHeaders,
                                                  body: form(["csrf": "x", "user": "sara", "password": "pw-sara"]))
            #expect(forged.status == .forbidden && cookies(forged)["recolha_console"] == nil)
            let ok = try await signIn(client, user: "sara", password: "pw-sara")
            #expect(ok.response.status == .seeOther && ok.session != nil && ok.csrf != nil)
            let cookie = try #require(cookies(ok.response)["recolha_console"]?.header)
            for attribute in ["HttpOnly", "SameSite=Strict", "Path=/console", "Max-Age="] { #expect(cookie.contains(attribute), "\(cookie)") }
            #expect(!cookie.contains("Secure"), "plain HTTP here; Secure under TLS")
        }
    }

    /// Session fixation: an id planted before sign-in is never the session.
    @Test func aPlantedSessionIdIsReplacedAtSignIn() async throws {
        let (service, _) = try await setUp()
        try await app(service).test(.router) { client in
            let planted = String(repeating: "c", count: 64)
            let signed = try await signIn(client, user: "sara", password: "pw-sara", planted: planted)
            let session = try #require(signed.session)
            #expect(session != planted && session.count == 64)
            let withPlanted = try await client.execute(uri: "/console", method: .get, headers: headers(["recolha_console": planted]))
            #expect(withPlanted.status == .seeOther)
            let withNew = try await client.execute(uri: "/console", method: .get, headers: headers(["recolha_console": session]))
            #expect(withNew.status == .ok)
        }
    }

    @Test func aReviewNeedsTheSessionsCSRFTokenAndThenReachesTheRecord() async throws {
        let (service, record) = try await setUp()
        try await app(service).test(.router) { client in
            let s = try await signIn(client, user: "sara", password: "pw-sara")
            let session = try #require(s.session), csrf = try #require(s.csrf)
            let uri = "/console/records/\(record)/review"
            for token in [nil, "", String(repeating: "0", count: 64)] {
                var fields = ["action": "approve"]
                if let token { fields["csrf"] = token }
                let r = try await client.execute(uri: uri, method: .post, headers: headers(["recolha_console": session], form: true), body: form(fields))
                #expect(r.status == .forbidden || r.status == .badRequest, "token \(token ?? "missing")")
            }
            // From another site, even with the token.
            var foreign = headers(["recolha_console": session], form: true)
            foreign[.origin] = "http://evil.example"
            let cross = try await client.execute(uri: uri, method: .post, headers: foreign,
                                                 body: form(["csrf": csrf, "action": "approve"]))
            #expect(cross.status == .forbidden)
            #expect(try await service.storage.versions(record: record).allSatisfy { $0.version.field != MetaField.review })

            let returned = try await client.execute(uri: uri, method: .post, headers: headers(["recolha_console": session], form: true),
                                                    body: form(["csrf": csrf, "action": "return", "comment": "Falta a fotografia",
                                                                "field": "facility_name", "field_comment": "<b>nome</b> incompleto"]))
            #expect(returned.status == .seeOther && returned.headers[.location] == "/console/records/\(record)?saved=1")
            let verdict = try #require(try await service.storage.versions(record: record).last { $0.version.field == MetaField.review })
            #expect(Review.parse(verdict.version.value) == Review(state: .hasIssues, comment: "Falta a fotografia",
                                                                  fields: ["facility_name": "<b>nome</b> incompleto"]))
            #expect(verdict.version.author == "sara")
            #expect(try await service.storage.changesets(holding: [verdict.version.id]).carriers.values.first == "console")
            #expect(verdict.version.id.site == (try await service.serverIdentity()).site, "written as the server's own signed site")

            let page = text(try await client.execute(uri: "/console/records/\(record)", method: .get, headers: headers(["recolha_console": session])))
            #expect(page.contains("id=\"review-state\">Returned<"))
            #expect(page.contains("&lt;b&gt;nome&lt;/b&gt; incompleto") && !page.contains("<b>nome</b>"))
            // The queue no longer lists it.
            let queue = text(try await client.execute(uri: "/console/queue", method: .get, headers: headers(["recolha_console": session])))
            #expect(!queue.contains(record))
        }
    }

    @Test func answersWithMarkupAreEscapedAndHeadersAreStrict() async throws {
        let (service, record) = try await setUp()
        try await app(service).test(.router) { client in
            let s = try await signIn(client, user: "sara", password: "pw-sara")
            let session = try #require(s.session)
            let r = try await client.execute(uri: "/console/records/\(record)", method: .get, headers: headers(["recolha_console": session]))
            #expect(r.status == .ok)
            let page = text(r)
            #expect(!page.contains("<script>"))
            #expect(page.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;Centro&quot;"))
            let csp = try #require(r.headers[.contentSecurityPolicy])
            #expect(csp.contains("default-src 'none'") && csp.contains("form-action 'self'") && csp.contains("frame-ancestors 'none'"))
            #expect(r.headers[.xContentTypeOptions] == "nosniff" && r.headers[.cacheControl] == "no-store")
            let queue = text(try await client.execute(uri: "/console/queue", method: .get, headers: headers(["recolha_console": session])))
            #expect(queue.contains("/console/records/\(record)"))
            // An id that is not one is a 404 page, not a crash.
            let odd = try await client.execute(uri: "/console/records/%3Cx%3E", method: .get, headers: headers(["recolha_console": session]))
            #expect(odd.status == .notFound)
            let unknown = try await client.execute(uri: "/console/records/0000", method: .get, headers: headers(["recolha_console": session]))
            #expect(unknown.status == .notFound)
        }
    }

    @Test func portugueseByTheBrowserOrByChoice() async throws {
        let (service, _) = try await setUp()
        try await app(service).test(.router) { client in
            let pt = try await client.execute(uri: "/console/signin", method: .get, headers: [.acceptLanguage: "pt-MZ,pt;q=0.9,en;q=0.5"])
            #expect(text(pt).contains("Iniciar sessão") && text(pt).contains("lang=\"pt\""))
            let switched = try await client.execute(uri: "/console/signin?lang=en", method: .get, headers: [.acceptLanguage: "pt-MZ"])
            #expect(switched.status == .seeOther && cookies(switched)["recolha_lang"]?.value == "en")
            let en = try await client.execute(uri: "/console/signin", method: .get,
                                              headers: [.acceptLanguage: "pt-MZ", .cookie: "recolha_lang=en"])
            #expect(text(en).contains("Sign in"))
        }
    }

    /// Hostile bytes as form bodies, cookies, languages and ids: every
    /// answer is a page or a redirect (never a 5xx), and nothing is written.
    @Test func hostileRequestsNeverBreakTheConsole() async throws {
        let (service, record) = try await setUp()
        let count = Int(ProcessInfo.processInfo.environment["RECOLHA_FUZZ_COUNT"] ?? "") .map { max(1, $0 / 100) } ?? 1000
        var g = SystemRandomNumberGenerator()
        let pieces = ["csrf=", "action=", "approve", "return", "&", "=", "%", "%00", "%ZZ", "user=", "password=", "sara", "pw-sara",
                      "comment=", "field=", "field_comment=", "\u{0}", "é", "[]", "a[b]=c", String(repeating: "x", count: 300), ";", "+",
                      "--x\r\n", "Content-Disposition: form-data; name=\"csrf\"\r\n\r\n", "--x--", "\r\n",
                      "Content-Disposition: form-data; name=\"workbook\"; filename=\"a.xlsx\"\r\n\r\nPK\u{3}\u{4}"]
        func junk() -> String { (0..<Int.random(in: 0...12, using: &g)).map { _ in pieces.randomElement(using: &g)! }.joined() }
        // Made up front: the test client runs in another task.
        let cases: [(post: String, get: String, cookie: String, lang: String, origin: String?, body: String, plain: Bool, session: Bool)] =
            (0..<count).map { i in
                let paths = ["/console/signin", "/console/signout", "/console/records/\(record)/review", "/console/records/\(junk())/review",
                             "/console/forms", "/console/users", "/console/records/\(record)/resolve"]
                return (paths[i % paths.count].addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? "/console",
                        "/console/records/\(junk())".addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? "/console",
                        "recolha_signin=\(junk()); \(junk())", junk(), i % 5 == 0 ? junk() : nil, junk(), i % 3 == 0, i % 2 == 0)
            }
        try await app(service).test(.router) { client in
            let s = try await signIn(client, user: "sara", password: "pw-sara")
            let session = try #require(s.session)
            for c in cases {
                var h: HTTPFields = [.contentType: c.plain ? "multipart/form-data; boundary=x" : "application/x-www-form-urlencoded",
                                     .cookie: (c.session ? "recolha_console=\(session); " : "") + c.cookie, .acceptLanguage: c.lang]
                if let o = c.origin { h[.origin] = o }
                let r = try await client.execute(uri: c.post, method: .post, headers: h, body: ByteBuffer(string: c.body))
                #expect(r.status.code < 500, "\(c.post): \(r.status)")
                let page = try await client.execute(uri: c.get, method: .get, headers: h)
                #expect(page.status.code < 500, "\(c.get): \(page.status)")
            }
        }
        #expect(try await service.storage.versions(record: record).allSatisfy { $0.version.field != MetaField.review })
    }

    @Test func theRecordsTableFiltersSortsAndDownloadsWhatItShows() async throws {
        let (service, record) = try await setUp()
        try await app(service).test(.router) { client in
            let s = try await signIn(client, user: "sara", password: "pw-sara")
            let session = try #require(s.session)
            let jar = headers(["recolha_console": session])
            let all = text(try await client.execute(uri: "/console/records", method: .get, headers: jar))
            #expect(all.contains("id=\"count\">1<") && all.contains("/console/records/\(record)") && all.contains("Tete"))
            let tete = text(try await client.execute(uri: "/console/records?province=Tete&state=received&sort=form&order=desc",
                                                     method: .get, headers: jar))
            #expect(tete.contains("id=\"count\">1<"))
            for miss in ["province=Niassa", "state=approved", "enumerator=bento", "status=draft", "form=%3Cscript%3E"] {
                let page = text(try await client.execute(uri: "/console/records?\(miss)", method: .get, headers: jar))
                #expect(page.contains("id=\"count\">0<"), "\(miss)")
            }
            let csv = try await client.execute(uri: "/console/records.csv?province=Tete", method: .get, headers: jar)
            #expect(csv.status == .ok && csv.headers[.contentType] == "text/csv; charset=utf-8")
            let lines = text(csv).split(separator: "\r\n")
            #expect(lines.count == 2 && lines[1].hasPrefix(record) && lines[1].contains("Tete"))
            let signedOut = try await client.execute(uri: "/console/records.csv", method: .get)
            #expect(signedOut.status == .seeOther, "no data without a session")
        }
    }
}
