import Foundation
import RecolhaTesting
import Testing

@Suite struct XLSFormCLITests {
    @Test func workbooksAreAddedConvertedShownAndPublished() throws {
        let d = Device()
        _ = d.run(["init", "--enumerator", "ana"])
        let xlsx = Package.path("schema/forms/health_facility_assessment.xlsx")
        let csv = Package.path("schema/forms/health_facility_assessment-media/facilities.csv")
        let without = d.run(["forms", "add", xlsx])
        #expect(without.status == 3 && without.stderr.contains("facilities.csv, which was not given: add it with --media facilities.csv"), "\(without.stderr)")
        let added = d.run(["forms", "add", xlsx, "--media", csv])
        #expect(added.status == 0 && added.stdout.contains("Added form health_facility_assessment"), "\(added.stderr)")
        // The JSON of the same form is the same form: nothing changes.
        #expect(d.run(["forms", "add", Package.path(Package.flagship)]).stdout.contains("unchanged"))
        let shown = try #require(try d.json(["forms", "show", "health_facility_assessment"]) as? [String: Any])
        let questions = try #require(shown["questions"] as? [[String: Any]])
        let district = try #require(questions.first { $0["name"] as? String == "district" })
        #expect(district["path"] as? String == "/data/assessment/facility/district")
        #expect(district["type"] as? String == "select_one")
        #expect((district["choices"] as? [String])?.count == 161)
        // convert writes reviewable JSON that loads to the same model.
        let out = d.dir.file("hfa.json")
        #expect(d.run(["forms", "convert", xlsx, "--media", csv, "--out", out]).status == 0)
        let again = Device()
        _ = again.run(["init", "--enumerator", "x"])
        #expect(again.run(["forms", "add", out]).status == 0)
        let reshown = try again.json(["forms", "show", "health_facility_assessment"]) as? NSDictionary
        #expect(reshown == shown as NSDictionary)
        // The server publishes workbooks too.
        let server = try TestServer(publish: [])
        let published = try TestServer.admin(["forms", "publish", xlsx, "--media", csv, "--data", server.data])
        #expect(published.stdout.contains("Published health_facility_assessment"))
    }

    @Test func malformedWorkbooksAreRefusedWithWhereAndNothingStored() throws {
        let d = Device()
        _ = d.run(["init", "--enumerator", "ana"])
        let bad = d.run(["forms", "add", Package.path("Tests/Conformance/workbooks/malformed/bad_expression_row40.xlsx")])
        #expect(bad.status == 3 && bad.stderr.contains("survey row 40, column constraint"), "\(bad.stderr)")
        let text = d.dir.file("form.xlsx")
        try "not a workbook".write(toFile: text, atomically: true, encoding: .utf8)
        let notZip = d.run(["forms", "add", text])
        #expect(notZip.status == 3 && notZip.stderr.contains("not a zip file"))
        let unsupported = d.run(["forms", "add", Package.path("Tests/Conformance/workbooks/pyxform/case_insensitivity.xlsx")])
        #expect(unsupported.status == 3 && unsupported.stderr.contains("row 4, column type: osm")
                && unsupported.stderr.contains("is not captured by Recolha: osm questions are filled with OpenMapKit"), "\(unsupported.stderr)")
        #expect(d.run(["forms", "list"]).stdout.contains("No forms yet"))
    }
}
