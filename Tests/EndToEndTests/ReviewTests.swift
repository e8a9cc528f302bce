import Foundation
import GRDB
import RecolhaTesting
import Testing

/// A supervisor's verdict is a signed change like any edit: it reaches the
/// enumerator's device directly, through the hub or in a bundle; the
/// enumerator fixes the record there and it comes back as corrected.
@Suite struct ReviewTests {
    func only(_ d: Device, _ args: [String]) throws -> [[String: Any]] {
        try d.json(["list"] + args) as! [[String: Any]]
    }

    func review(_ d: Device, _ id: String) throws -> [String: Any]? {
        (try d.json(["show", id]) as! [String: Any])["_review"] as? [String: Any]
    }

    @Test func aReturnedRecordReachesItsEnumeratorAndComesBackCorrected() throws {
        let server = try TestServer()
        let (sara, ana) = try BundleTests.team(server)
        #expect(ana.run(["capture", Device.form, "--answers", Example.ressano, "--finalize"]).status == 0)
        _ = try ana.sync()
        _ = try sara.sync()
        let id = try #require(try only(sara, []).first?["id"] as? String)
        #expect(try review(sara, id)?["state"] as? String == "received")
        // Every sync tells the server the device's clock (the console shows the skew).
        let skews = try DatabaseQueue(path: server.data + "/server.sqlite").read {
            try Int.fetchOne($0, sql: "SELECT count(*) FROM devices WHERE clock_skew_ms IS NOT NULL")!
        }
        #expect(skews == 2)

        // Only supervisors and admins review; comments name questions.
        let byAna = ana.run(["review", id, "--approve"])
        #expect(byAna.status == 3 && byAna.stderr.contains("only supervisors and admins review"), "\(byAna.stderr)")
        let unknown = sara.run(["review", id, "--return", "Check it", "--field", "no_such_question=why"])
        #expect(unknown.status == 3 && unknown.stderr.contains("no_such_question is not a question"), "\(unknown.stderr)")
        #expect(sara.run(["review", id, "--approve", "--return", "x"]).status == 2)
        #expect(sara.run(["review", id, "--field", "respondent_phone=x"]).status == 2)

        let r = sara.run(["review", String(id.prefix(8)), "--return", "Confirme o telefone com o responsável",
                          "--field", "respondent_phone=Falta um dígito <b>?</b>"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try only(sara, ["--review-state", "has_issues"]).count == 1)
        #expect(sara.run(["list", "--review-state", "maybe"]).status == 2)
        _ = try sara.sync()

        // The enumerator's next sync brings the verdict with its comments.
        let synced = ana.run(["sync"])
        #expect(synced.stdout.contains("Returned for correction: 1 record"), "\(synced.stdout)")
        let returned = try only(ana, ["--returned"])
        #expect(returned.count == 1)
        let verdict = try #require(returned.first?["review"] as? [String: Any])
        #expect(verdict["state"] as? String == "has_issues")
        #expect(verdict["comment"] as? String == "Confirme o telefone com o responsável")
        #expect((verdict["fields"] as? [String: String])?["respondent_phone"] == "Falta um dígito <b>?</b>")
        let status = ana.run(["status"]).stdout
        #expect(status.hasPrefix("Returned for correction: 1 record"), "what to act on comes first: \(status)")
        #expect(status.contains("respondent_phone: \"Falta um dígito <b>?</b>\""))

        // Editing shows the comment beside its question.
        let edit = ana.run(["edit", id, "--lang", "en"], stdin: String(repeating: "\n", count: 8) + ":save\n")
        #expect(edit.stdout.contains("The supervisor returned this record for correction:"), "\(edit.stdout)")
        #expect(edit.stdout.contains(">> supervisor: \"Falta um dígito <b>?</b>\""), "\(edit.stdout)")

        // The fix goes back to the review queue as corrected.
        #expect(ana.run(["edit", id, "--set", "respondent_phone=+258841234568"]).status == 0)
        #expect(try review(ana, id)?["state"] as? String == "corrected")
        #expect(try only(ana, ["--returned"]).isEmpty)
        _ = try ana.sync()
        _ = try sara.sync()
        #expect(try only(sara, ["--review-state", "corrected"]).map { $0["id"] as? String } == [id])

        // Approved in the end; the export says so, as ODK Central's does.
        #expect(sara.run(["review", id, "--approve", "--comment", "Obrigado"]).status == 0)
        let dir = TempDir()
        #expect(sara.run(["export", "--form", Device.form, "--out", dir.file("out.csv")]).status == 0)
        let csv = try String(contentsOfFile: dir.file("out.csv"), encoding: .utf8)
        let lines = csv.split(separator: "\r\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        let header = lines[0]
        let row = lines[1]
        #expect(row[header.firstIndex(of: "ReviewState")!] == "approved")
        #expect(row[header.firstIndex(of: "ReviewComment")!] == "Obrigado")
    }

    @Test func aVerdictReachesTheFieldThroughTheHubAndOnAStick() throws {
        let server = try TestServer()
        let (sara, ana) = try BundleTests.team(server)
        #expect(ana.run(["capture", Device.form, "--answers", Example.ressano, "--finalize"]).status == 0)
        #expect(ana.run(["capture", Device.form, "--answers", Example.machipanda, "--finalize"]).status == 0)
        let hub = try TestHub(store: sara.store)
        defer { hub.stop() }
        #expect(ana.run(["sync", "--hub", hub.url]).status == 0)
        let ids = try only(sara, []).compactMap { $0["id"] as? String }
        #expect(ids.count == 2, "the hub holds ana's work")

        // Reviewed at the district office, before any connection: the
        // verdict goes down through the hub at once.
        #expect(sara.run(["review", ids[0], "--return", "Falta a fotografia da entrada"]).status == 0)
        let back = try ana.json(["sync", "--hub", hub.url]) as! [String: Any]
        #expect(back["received"] as? Int == 1)
        #expect(try only(ana, ["--returned"]).map { $0["id"] as? String } == [ids[0]])
        let twice = try ana.json(["sync", "--hub", hub.url]) as! [String: Any]
        #expect(twice["received"] as? Int == 0, "nothing twice")

        // On a stick: the second record's verdict.
        hub.stop()
        #expect(sara.run(["review", ids[1], "--reject", "Unidade fora da amostra"]).status == 0)
        let stick = TempDir()
        let out = sara.run(["bundle", "export", "--for", "ana", "--out", stick.file("for-ana.bundle")])
        #expect(out.status == 0, "\(out.stderr)")
        let imported = ana.run(["bundle", "import", stick.file("for-ana.bundle"), "--json"])
        #expect(imported.status == 0, "\(imported.stderr)")
        #expect(try review(ana, ids[1])?["state"] as? String == "rejected")
        #expect(try review(ana, ids[1])?["comment"] as? String == "Unidade fora da amostra")

        // The supervisor relays everything; the server holds both verdicts
        // once, and ana's direct sync then brings nothing twice.
        let relayed = sara.run(["sync"])
        #expect(relayed.status == 0, "\(relayed.stdout) \(relayed.stderr)")
        let verdicts = try DatabaseQueue(path: server.data + "/server.sqlite").read {
            try Int.fetchOne($0, sql: "SELECT count(*) FROM versions WHERE field = '_review'")!
        }
        #expect(verdicts == 2)
        let direct = try ana.sync()
        #expect(direct["received"] as? Int == 0)
        #expect(try ana.count("SELECT count(*) FROM versions WHERE field = '_review'") == 2)

        // A verdict made elsewhere (an admin at the provincial office)
        // reaches the supervisor by pull, signed, and goes on to the field.
        let admin = Device.loggedIn("admin", to: server)
        _ = try admin.sync()
        #expect(admin.run(["review", ids[0], "--approve"]).status == 0)
        _ = try admin.sync()
        _ = try sara.sync()
        try hub.start()
        let carried = try ana.json(["sync", "--hub", hub.url]) as! [String: Any]
        #expect(carried["received"] as? Int == 1, "\(carried)")
        #expect(try review(ana, ids[0])?["state"] as? String == "approved")
    }

    /// Two supervisors decide at once: both verdicts are kept, as a conflict.
    @Test func concurrentVerdictsAreKeptSideBySide() throws {
        let server = try TestServer()
        let (sara, ana) = try BundleTests.team(server)
        let admin = Device.loggedIn("admin", to: server)
        #expect(ana.run(["capture", Device.form, "--answers", Example.ressano, "--finalize"]).status == 0)
        _ = try ana.sync()
        _ = try sara.sync()
        _ = try admin.sync()
        let id = try #require(try only(sara, []).first?["id"] as? String)
        #expect(sara.run(["review", id, "--approve"]).status == 0)
        #expect(admin.run(["review", id, "--return", "O nome da unidade está incompleto"]).status == 0)
        _ = try sara.sync()
        _ = try admin.sync()
        _ = try sara.sync()
        for d in [sara, admin] {
            let conflicts = try d.json(["conflicts"]) as! [[String: Any]]
            #expect(conflicts.map { $0["field"] as? String } == ["_review"], "both verdicts kept")
        }
        // Resolving keeps one; the other stays in the history.
        #expect(sara.run(["conflicts", "resolve", id, "_review", "--value", "approved"]).status == 2)
        let values = try #require(((try sara.json(["conflicts"]) as! [[String: Any]]).first?["values"] as? [[String: Any]]))
        let returned = try #require(values.first { $0["author"] as? String == "admin" }?["version"] as? String)
        let resolved = sara.run(["conflicts", "resolve", id, "_review", "--keep", returned])
        #expect(resolved.status == 0, "\(resolved.stderr)")
        _ = try sara.sync()
        _ = try ana.sync()
        #expect(try only(ana, ["--returned"]).count == 1)
    }
}
