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

/// The admins' pages (users, devices, forms), conflict resolution, every
/// route's checks, and the word catalogue.
extension ConsoleTests {
    /// Users and revocations are admins'; supervisors see devices.
    @Test func adminsManageUsersAndDevicesSupervisorsOnlyLook() async throws {
        let (service, _) = try await setUp()
        try await app(service).test(.router) { client in
            let sup = try await signIn(client, user: "sara", password: "pw-sara")
            let supJar = headers(["recolha_console": try #require(sup.session)])
            #expect(try await client.execute(uri: "/console/users", method: .get, headers: supJar).status == .forbidden)
            let devices = try await client.execute(uri: "/console/devices", method: .get, headers: supJar)
            #expect(devices.status == .ok && text(devices).contains("tab") && !text(devices).contains("class=\"revoke\""))
            #expect(text(devices).contains("class=\"skew error\">12 min ahead<") || text(devices).contains("class=\"skew error\">11 min ahead<"),
                    "the tablet's clock, in red")
            let overview = text(try await client.execute(uri: "/console", method: .get, headers: supJar))
            #expect(overview.contains("id=\"by-district\""))
            let deviceID = try #require(try await service.storage.devices().first?.id)
            let supRevoke = try await client.execute(uri: "/console/devices/\(deviceID)/revoke", method: .post,
                                                     headers: headers(["recolha_console": sup.session!], form: true),
                                                     body: form(["csrf": try #require(sup.csrf)]))
            #expect(supRevoke.status == .forbidden)
            #expect(try await service.storage.device(id: deviceID)?.revoked == false)
            let supAdd = try await client.execute(uri: "/console/users", method: .post, headers: headers(["recolha_console": sup.session!], form: true),
                                                  body: form(["csrf": sup.csrf!, "name": "eve", "role": "admin", "password": "pw-eve-long"]))
            let eve = try await service.storage.user(named: "eve")
            #expect(supAdd.status == .forbidden && eve == nil)

            let ada = try await signIn(client, user: "ada", password: "pw-ada")
            let jar = headers(["recolha_console": try #require(ada.session)], form: true)
            let csrf = try #require(ada.csrf)
            #expect(text(try await client.execute(uri: "/console/users", method: .get, headers: headers(["recolha_console": ada.session!])))
                .contains("id=\"add-user\""))
            let added = try await client.execute(uri: "/console/users", method: .post, headers: jar,
                                                 body: form(["csrf": csrf, "name": "dina", "role": "supervisor", "password": "pw-dina-long"]))
            #expect(added.status == .seeOther)
            let again = try await client.execute(uri: "/console/users", method: .post, headers: jar,
                                                 body: form(["csrf": csrf, "name": "dina", "role": "supervisor", "password": "pw-dina-long"]))
            #expect(again.status == .badRequest && text(again).contains("There is already a user with that name."))
            let short = try await client.execute(uri: "/console/users", method: .post, headers: jar,
                                                 body: form(["csrf": csrf, "name": "bad name", "role": "admin", "password": "x"]))
            #expect(short.status == .badRequest)
            #expect(try await signIn(client, user: "dina", password: "pw-dina-long").session != nil)
            // A new password works, the old one no longer does.
            #expect(try await client.execute(uri: "/console/users/dina/password", method: .post, headers: jar,
                                             body: form(["csrf": csrf, "password": "another-pass"])).status == .seeOther)
            #expect(try await signIn(client, user: "dina", password: "pw-dina-long").session == nil)
            #expect(try await signIn(client, user: "dina", password: "another-pass").session != nil)
            // Disabled: no sign-in, and an open session ends.
            let dina = try await signIn(client, user: "dina", password: "another-pass")
            #expect(try await client.execute(uri: "/console/users/dina/disable", method: .post, headers: jar,
                                             body: form(["csrf": csrf])).status == .seeOther)
            #expect(try await client.execute(uri: "/console", method: .get, headers: headers(["recolha_console": dina.session!])).status == .seeOther)
            #expect(try await signIn(client, user: "dina", password: "another-pass").session == nil)
            #expect(try await client.execute(uri: "/console/users/nobody/enable", method: .post, headers: jar,
                                             body: form(["csrf": csrf])).status == .notFound)
            // Revoking a device.
            #expect(try await client.execute(uri: "/console/devices/\(deviceID)/revoke", method: .post, headers: jar,
                                             body: form(["csrf": csrf])).status == .seeOther)
            #expect(try await service.storage.device(id: deviceID)?.revoked == true)
        }
    }

    /// Every word exists in both languages, and every word a page names is in the catalogue.
    @Test func theCatalogueSpeaksBothLanguagesForEveryPage() {
        #expect(Set(ConsoleText.en.keys) == Set(ConsoleText.pt.keys))
        for (name, template) in Templates.all {
            for m in template.matches(of: /\{\{[#^\/]?t\.([a-z_]+)\}\}/) {
                #expect(ConsoleText.en[String(m.1)] != nil, "\(name) names t.\(m.1)")
            }
        }
        #expect(ConsoleText.pt.filter { $0.value.isEmpty }.isEmpty)
    }

    /// A conflict is settled from the record page by keeping one value.
    @Test func aConflictIsResolvedByKeepingOneValue() async throws {
        let (service, record) = try await setUp()
        let sara = SiteIdentity.make()
        let login = try await service.login(LoginRequest(user: "sara", password: "pw-sara", deviceName: "laptop", identity: sara))
        let (device, user) = try await service.authenticate("Bearer " + login.token)
        let other = Version(id: VersionID(site: sara.site, seq: 1), record: record, form: "health_facility_assessment", formVersion: "2026.11.3",
                            field: "province", value: "\"niassa\"", clock: HLC(ms: ServerClock.nowMs(), counter: 0, site: sara.site),
                            parents: [], author: "sara")
        _ = try await service.push(PushRequest(changesets: [Changeset(versions: [other])!.signed(by: sara)]), device: device, user: user)
        try await app(service).test(.router) { client in
            let s = try await signIn(client, user: "sara", password: "pw-sara")
            let jar = headers(["recolha_console": try #require(s.session)])
            let page = text(try await client.execute(uri: "/console/records/\(record)", method: .get, headers: jar))
            #expect(page.contains("class=\"keep\""), "each conflicting value has a keep button")
            let bad = try await client.execute(uri: "/console/records/\(record)/resolve", method: .post,
                                               headers: headers(["recolha_console": s.session!], form: true),
                                               body: form(["csrf": s.csrf!, "field": "province", "keep": "0000000000000001-1"]))
            #expect(bad.status == .conflict)
            let kept = try await client.execute(uri: "/console/records/\(record)/resolve", method: .post,
                                                headers: headers(["recolha_console": s.session!], form: true),
                                                body: form(["csrf": s.csrf!, "field": "province", "keep": other.id.description]))
            #expect(kept.status == .seeOther)
        }
        let state = RecordState(record: record, versions: try await service.storage.versions(record: record).map(\.version))
        #expect(state.conflicts.isEmpty && state.fields["province"]?.value == "\"niassa\"")
    }

    func multipart(_ fields: [(name: String, filename: String?, data: Data)]) -> (ByteBuffer, HTTPFields) {
        let boundary = "----recolha\(UUID().uuidString)"
        var body = Data()
        for f in fields {
            body += Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(f.name)\"".utf8)
            if let n = f.filename { body += Data("; filename=\"\(n)\"\r\nContent-Type: application/octet-stream".utf8) }
            body += Data("\r\n\r\n".utf8) + f.data + Data("\r\n".utf8)
        }
        body += Data("--\(boundary)--\r\n".utf8)
        return (ByteBuffer(bytes: body), [.contentType: "multipart/form-data; boundary=\(boundary)"])
    }

    /// Publishing by upload: admins only, the CLI's checks and messages.
    @Test func adminsPublishAFormByUpload() async throws {
        let (service, _) = try await setUp()
        try await app(service).test(.router) { client in
            let ada = try await signIn(client, user: "ada", password: "pw-ada")
            let session = try #require(ada.session), csrf = try #require(ada.csrf)
            let xlsx = Package.data("schema/forms/health_facility_assessment.xlsx")
            // A new version of the flagship, as a survey designer would upload it.
            var json = try JSONSerialization.jsonObject(with: Package.data(Package.flagship)) as! [String: Any]
            var settings = try #require(json["settings"] as? [[String: Any]])
            settings[0]["version"] = "2026.12.1"
            json["settings"] = settings
            let newer = try JSONSerialization.data(withJSONObject: json)

            let csv = Package.data("schema/forms/health_facility_assessment-media/facilities.csv")
            func upload(_ data: Data, name: String, token: String, as who: String, media: [(String, Data)] = []) async throws -> TestResponse {
                var (body, h) = multipart([("csrf", nil, Data(token.utf8)), ("workbook", name, data)] + media.map { ("media[]", $0.0, $0.1) })
                h[.cookie] = "recolha_console=\(who)"
                return try await client.execute(uri: "/console/forms", method: .post, headers: h, body: body)
            }
            // The workbook alone lacks its facility list: refused, naming the file.
            let alone = try await upload(xlsx, name: "health_facility_assessment.xlsx", token: csrf, as: session)
            #expect(alone.status == .unprocessableContent && text(alone).contains("facilities.csv"), "\(text(alone))")
            let same = try await upload(xlsx, name: "health_facility_assessment.xlsx", token: csrf, as: session, media: [("facilities.csv", csv)])
            #expect(same.status == .seeOther && (same.headers[.location] ?? "").contains("already"), "\(text(same))")
            let added = try await upload(newer, name: "hfa.json", token: csrf, as: session)
            #expect(added.status == .seeOther)
            #expect(try await service.storage.forms().contains { $0.version == "2026.12.1" })
            let broken = try await upload(Data("PK\u{3}\u{4}not a workbook".utf8), name: "broken.xlsx", token: csrf, as: session)
            #expect(broken.status == .unprocessableContent && text(broken).contains("broken.xlsx"), "\(text(broken))")
            let noToken = try await upload(newer, name: "hfa.json", token: "x", as: session)
            #expect(noToken.status == .forbidden)
            let sara = try await signIn(client, user: "sara", password: "pw-sara")
            let bySupervisor = try await upload(newer, name: "hfa.json", token: try #require(sara.csrf), as: try #require(sara.session))
            #expect(bySupervisor.status == .forbidden)
            let list = text(try await client.execute(uri: "/console/forms", method: .get, headers: [.cookie: "recolha_console=\(session)"]))
            #expect(list.contains("2026.12.1") && list.contains("id=\"publish-form\""))
            let junk = try await client.execute(uri: "/console/forms", method: .post,
                                                headers: [.cookie: "recolha_console=\(session)", .contentType: "multipart/form-data; boundary=x"],
                                                body: ByteBuffer(string: "--x\r\nnonsense"))
            #expect(junk.status == .badRequest)
            // Once crashed the whole server (MultipartKit read past a table
            // for a non-ASCII header name; Vendor/MultipartKit/VENDORED.md).
            let accented = try await client.execute(uri: "/console/forms", method: .post,
                                                    headers: [.cookie: "recolha_console=\(session)", .contentType: "multipart/form-data; boundary=x"],
                                                    body: ByteBuffer(string: "--x\r\nConteúdo: y\r\n\r\nz\r\n--x--\r\n"))
            #expect(accented.status == .badRequest)
        }
    }

    /// Every route: signed out, a missing or wrong CSRF token, and (for
    /// admins' routes) a supervisor.
    @Test func everyRouteChecksSessionCSRFAndRole() async throws {
        let (service, record) = try await setUp()
        let device = try #require(try await service.storage.devices().first?.id)
        let gets = ["/console", "/console/queue", "/console/records", "/console/records.csv", "/console/records/\(record)",
                    "/console/devices", "/console/users", "/console/forms"]
        let posts: [(path: String, fields: [String: String], adminOnly: Bool)] = [
            ("/console/signout", [:], false),
            ("/console/records/\(record)/review", ["action": "approve"], false),
            ("/console/records/\(record)/resolve", ["field": "province", "keep": "0000000000000001-1"], false),
            ("/console/devices/\(device)/revoke", [:], true),
            ("/console/users", ["name": "zed", "role": "admin", "password": "long-enough"], true),
            ("/console/users/ana/disable", [:], true),
            ("/console/users/ana/password", ["password": "long-enough"], true),
        ]
        try await app(service).test(.router) { client in
            for path in gets {
                let r = try await client.execute(uri: path, method: .get)
                #expect(r.status == .seeOther && r.headers[.location] == "/console/signin", "signed out: \(path)")
            }
            let sup = try await signIn(client, user: "sara", password: "pw-sara")
            let session = try #require(sup.session), csrf = try #require(sup.csrf)
            for p in posts {
                let out = try await client.execute(uri: p.path, method: .post, headers: Self.formHeaders, body: form(p.fields.merging(["csrf": csrf]) { a, _ in a }))
                #expect(out.status == .forbidden, "signed out: \(p.path)")
                for token in [nil, String(repeating: "f", count: 64)] {
                    var fields = p.fields
                    if let token { fields["csrf"] = token }
                    let r = try await client.execute(uri: p.path, method: .post, headers: headers(["recolha_console": session], form: true), body: form(fields))
                    #expect(r.status == .forbidden || r.status == .badRequest, "CSRF \(token == nil ? "missing" : "wrong"): \(p.path)")
                }
                if p.adminOnly {
                    let r = try await client.execute(uri: p.path, method: .post, headers: headers(["recolha_console": session], form: true),
                                                     body: form(p.fields.merging(["csrf": csrf]) { a, _ in a }))
                    #expect(r.status == .forbidden, "supervisor: \(p.path)")
                }
            }
            let page = try await client.execute(uri: "/console/users", method: .get, headers: headers(["recolha_console": session]))
            #expect(page.status == .forbidden, "supervisor: /console/users")
        }
        #expect(try await service.storage.user(named: "zed") == nil)
        #expect(try await service.storage.user(named: "ana")?.disabled == false)
        #expect(try await service.storage.device(id: device)?.revoked == false)
        #expect(try await service.storage.versions(record: record).allSatisfy { $0.version.field != MetaField.review })
    }
}
