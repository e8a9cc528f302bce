import Forms
import Foundation
import RecolhaTesting
import Store
import Testing

@Suite struct CaptureTests {
    /// A person reads a page: `list` shows the newest 50 and says how many
    /// more there are; --all and --json give every record.
    @Test func listShowsTheNewestPageUnlessAskedForAll() throws {
        let d = Device.ready()
        let store = try Store(path: d.store)
        let form = try store.form(id: Device.form)
        var ids: [String] = []
        for day in 1...53 {
            let answers = Answers(["visit_date": .text(String(format: "2026-10-%02d", day % 28 + 1))])
            ids.append(try store.save(SaveRequest(form: form, answers: answers)).record)
            Thread.sleep(forTimeInterval: 0.002)  // each record made in its own millisecond: a strict order
        }
        let page = d.run(["list"]).stdout.split(separator: "\n")
        #expect(page.count == 51)
        #expect(page.last == "(the newest 50 of 53 records; --all lists every one)")
        #expect(Set(page.dropLast().map { String($0.prefix(36)) }) == Set(ids.suffix(50)), "the newest 50")
        #expect(Set(d.run(["list", "--all"]).stdout.split(separator: "\n").map { String($0.prefix(36)) }) == Set(ids))
        #expect((try d.json(["list"]) as? [[String: Any]])?.count == 53)
    }

    @Test func anAnswersFileRoundTripsThroughShowJSON() throws {
        let d = Device.ready()
        let saved = d.run(["capture", Device.form, "--answers", Example.ressano, "--finalize", "--json"])
        #expect(saved.status == 0, "\(saved.stderr)")
        let id = try #require((try JSONSerialization.jsonObject(with: Data(saved.stdout.utf8)) as? [String: Any])?["id"] as? String)
        var shown = try #require(try d.json(["show", id]) as? [String: Any])
        #expect(shown["id"] as? String == id)
        #expect(shown["status"] as? String == "finalized")
        #expect(shown["form_version"] as? String == "2026.11.3")
        #expect(shown["total_staff"] as? String == "11")
        #expect((shown["_review"] as? [String: Any])?["state"] as? String == "received")
        for key in ["id", "form_id", "form_version", "status", "_review", "total_staff"] { shown[key] = nil }
        let input = try JSONSerialization.jsonObject(with: Package.data("examples/ressano_garcia.json")) as! NSDictionary
        #expect(NSDictionary(dictionary: shown) == input)

        let list = try #require(try d.json(["list"]) as? [[String: Any]])
        #expect(list.count == 1 && list[0]["answers"] == nil && list[0]["status"] as? String == "finalized")
    }

    @Test func refusedAnswersListEveryProblemWithoutValuesAndWriteNothing() throws {
        let d = Device.ready()
        let r = d.run(["capture", Device.form, "--answers", Example.bad, "--finalize"])
        #expect(r.status == 3)
        for line in ["favourite_colour: is not a question", "staff[1].cadre_count: must be a whole number",
                     "visit_date: must be a date", "district: is not one of the choices",
                     "facility_code: The code is two capital letters", "non_national_share: A percentage"] {
            #expect(r.stderr.contains(line), "\(line)")
        }
        for value in ["blue", "mn107", "2031-02-30", "140", "six"] {
            #expect(!r.stderr.contains(value), "the value \(value) leaked into the error")
        }
        #expect(try d.count("SELECT count(*) FROM versions") == 0)
        #expect(try d.count("SELECT count(*) FROM records") == 0)
    }

    @Test func editFinalizeAndDelete() throws {
        let d = Device.ready()
        let saved = d.run(["capture", Device.form, "--answers", Example.machipanda, "--json"])
        let id = try #require((try JSONSerialization.jsonObject(with: Data(saved.stdout.utf8)) as? [String: Any])?["id"] as? String)
        // A prefix of the id is enough.
        let prefix = String(id.prefix(8))
        var r = d.run(["edit", prefix, "--set", "fees_non_nationals=same", "--set", "staff[3].cadre=doctor",
                       "--set", "staff[3].cadre_count=1"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("cleared higher_fee_services"))
        let shown = try #require(try d.json(["show", id]) as? [String: Any])
        #expect((shown["staff"] as? [[String: Any]])?.count == 3)
        #expect(shown["higher_fee_services"] == nil)

        r = d.run(["edit", id, "--set", "isolation_beds=", "--set", "non_national_share=400"])
        #expect(r.status == 3 && r.stderr.contains("non_national_share"))
        r = d.run(["edit", id, "--set", "isolation_beds="])
        #expect(r.status == 0)
        r = d.run(["finalize", id])
        #expect(r.status == 3)
        #expect(r.stderr.contains("cannot finalize") && r.stderr.contains("isolation_beds: is required"))
        #expect(d.run(["edit", id, "--set", "isolation_beds=2"]).status == 0)
        #expect(d.run(["finalize", id]).status == 0)
        #expect((try d.json(["list", "--status", "finalized"]) as? [Any])?.count == 1)

        let versions = try d.count("SELECT count(*) FROM versions")
        #expect(d.run(["delete", id], stdin: "n\n").stdout.contains("Nothing deleted"))
        #expect(d.run(["delete", id, "--yes"]).status == 0)
        #expect(try d.count("SELECT count(*) FROM versions") == versions + 1)
        #expect(try d.count("SELECT count(*) FROM records") == 1)
        #expect((try d.json(["list"]) as? [Any])?.isEmpty == true)
        #expect(d.run(["edit", id, "--set", "isolation_beds=3"]).status == 3)
    }

    @Test func exportShapesCSVAsODKCentral() throws {
        let d = Device.ready()
        #expect(d.run(["capture", Device.form, "--answers", Example.ressano, "--finalize"]).status == 0)
        #expect(d.run(["capture", Device.form, "--answers", Example.machipanda]).status == 0)  // a draft: not exported
        let out = d.dir.file("hfa.csv")
        #expect(d.run(["export", "--form", Device.form]).status == 2)  // repeats need --out
        let r = d.run(["export", "--form", Device.form, "--format", "csv", "--out", out])
        #expect(r.status == 0, "\(r.stderr)")
        let main = try String(contentsOfFile: out, encoding: .utf8).split(separator: "\r\n")
        #expect(main.count == 2)
        #expect(main[0].hasPrefix("SubmissionDate,visit-visit_date,visit-enumerator_name,"))
        #expect(main[0].contains("assessment-facility-gps-Latitude"))
        #expect(main[1].contains("labour truckers traders miners"))
        let staff = try String(contentsOfFile: d.dir.file("hfa-staff.csv"), encoding: .utf8).split(separator: "\r\n")
        #expect(staff.count == 4)
        #expect(staff[0] == "assessment-staff-cadre,assessment-staff-cadre_count,assessment-staff-cadre_trained_migrant_health,PARENT_KEY,KEY")
        #expect(staff[1].hasSuffix("/staff[1]"))
        let json = d.run(["export", "--form", Device.form, "--format", "json", "--include-drafts"])
        #expect((try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [Any])?.count == 2)
    }
}
