import Foundation
import RecolhaTesting
import Testing

@Suite struct ExitCodeTests {
    @Test func badInputGetsOneClearLineAndItsExitCode() throws {
        let d = Device.ready()
        let junk = d.dir.file("junk.json")
        try "{ \"visit_date\": ".write(toFile: junk, atomically: true, encoding: .utf8)
        let array = d.dir.file("array.json")
        try "[1, 2]".write(toFile: array, atomically: true, encoding: .utf8)
        let notAStore = d.dir.file("notes.txt")
        try "hello".write(toFile: notAStore, atomically: true, encoding: .utf8)
        let cases: [(args: [String], env: [String: String], code: Int32, says: String)] = [
            (["list"], ["RECOLHA_STORE": d.dir.file("nothing/here.sqlite")], 5, "recolha init"),
            (["list"], ["RECOLHA_STORE": notAStore], 5, "is not a Recolha store"),
            (["capture", "no_such_form", "--answers", Example.ressano], [:], 4, "no form no_such_form"),
            (["show", "00000000-0000-0000-0000-000000000000"], [:], 4, "no record"),
            (["capture", Device.form, "--answers", junk], [:], 2, "is not valid JSON"),
            (["capture", Device.form, "--answers", array], [:], 2, "must hold one JSON object"),
            (["capture", Device.form, "--answers", d.dir.file("missing.json")], [:], 4, "cannot read"),
            (["capture", Device.form, "--finalize"], [:], 2, "--finalize goes with --answers"),
            (["list", "--no-such-flag"], [:], 2, "Unknown option"),
            (["capture", Device.form, "--lang", "fr"], [:], 2, "--lang must be en or pt"),
            (["init", "--enumerator", "bento"], [:], 3, "already set up for enumerator ana"),
            (["forms", "add", Example.bad], [:], 3, "not a form definition"),
            (["delete", "0000"], [:], 4, "no record"),
        ]
        for c in cases {
            let r = d.run(c.args, env: c.env)
            #expect(r.status == c.code, "\(c.args): \(r.status) \(r.stderr)")
            #expect(r.stderr.contains(c.says), "\(c.args): \(r.stderr)")
        }
        // A store path nobody can write to.
        let r = CLI.run(["init", "--enumerator", "ana", "--store", "/proc/recolha/store.sqlite"])
        #expect(r.status == 5 && r.stderr.contains("cannot open the store"))
    }

    @Test func aChangedFormNeedsANewVersion() throws {
        let d = Device.ready()
        var text = String(decoding: Package.data(Package.flagship), as: UTF8.self)
        text = text.replacingOccurrences(of: "Date of the visit", with: "Visit date")
        let changed = d.dir.file("changed.json")
        try text.write(toFile: changed, atomically: true, encoding: .utf8)
        let r = d.run(["forms", "add", changed])
        #expect(r.status == 3 && r.stderr.contains("new version"))
        #expect(d.run(["forms", "add", Package.path(Package.flagship)]).stdout.contains("unchanged"))
    }

    @Test func statusCountsRecordsAndUnsentChanges() throws {
        let d = Device.ready()
        #expect(d.run(["capture", Device.form, "--answers", Example.ressano, "--finalize"]).status == 0)
        let status = try #require(try d.json(["status"]) as? [String: Any])
        #expect((status["records"] as? [String: Int])?["finalized"] == 1)
        #expect((status["unsent_versions"] as? Int ?? 0) > 40)
        #expect(status["store"] as? String == d.store)
    }
}
