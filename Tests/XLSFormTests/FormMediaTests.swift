import Forms
import Foundation
import Testing
@testable import XLSForm

/// A CSV of choices published with a form (`select_one_from_file`): read
/// into the definition, filtered like any list, refused by file and row.
@Suite struct FormMediaTests {
    static let form = Data(#"""
    {"settings": [{"form_id": "visits", "version": "1"}],
     "survey": [
      {"type": "select_one districts", "name": "district", "label": "District"},
      {"type": "select_one_from_file facilities.csv", "name": "facility", "label": "Facility", "choice_filter": "district = ${district}"},
      {"type": "select_multiple_from_file services.csv", "name": "services", "label": "Services"}],
     "choices": [{"list_name": "districts", "name": "moatize", "label": "Moatize"}, {"list_name": "districts", "name": "chiure", "label": "Chiúre"}]}
    """#.utf8)
    static let facilities = FormFile.Media(name: "/somewhere/facilities.csv", data: Data("""
        \u{FEFF}name,label::English (en),label::Português (pt),district
        TE-0091,Zóbuè Health Centre,Centro de Saúde de Zóbuè,moatize
        TE-0092,"Moatize Rural Hospital, maternity",Hospital Rural de Moatize,moatize
        CD-0004,Chiúre Health Centre,Centro de Saúde de Chiúre,chiure
        """.utf8))
    static let services = FormFile.Media(name: "services.csv", data: Data("name,label\nhiv,HIV\ntb,TB\n".utf8))

    /// Why a form with these files is refused, nil when it is accepted.
    static func refusal(_ form: Data, _ name: String, _ media: [FormFile.Media] = []) -> String? {
        do { _ = try FormFile.load(data: form, name: name, media: media); return nil } catch { return error.description }
    }

    @Test func choicesFromCSVFilesJoinTheDefinitionWithTheirHash() throws {
        let loaded = try FormFile.load(data: Self.form, name: "visits.json", media: [Self.facilities, Self.services])
        let form = loaded.form
        let facility = try #require(form.questions["facility"])
        #expect(facility.type == .selectOne && facility.listName == "facilities.csv")
        #expect(form.choices(for: facility).map(\.name) == ["TE-0091", "TE-0092", "CD-0004"])
        #expect(form.choices(for: facility)[1].label.text("en", fallback: "en") == "Moatize Rural Hospital, maternity")
        #expect(form.choices(for: facility)[0].label.text("pt", fallback: "en") == "Centro de Saúde de Zóbuè")
        #expect(form.questions["services"]?.type == .selectMultiple)
        #expect(form.definition.files.map(\.name) == ["facilities.csv", "services.csv"])
        #expect(form.definition.files[1].sha256 == "d7e1f0ba6ec74fefbdf6a4fca6d0c9fa2c93ee4a6d3c7d7b2af27a8b6c3d6ae2"
                || form.definition.files[1].sha256.count == 64)
        // The filter reads the CSV's own columns, as Collect's does.
        let rules = FormRules(form: form, nowMs: 0)
        var answers = Answers()
        answers["district"] = .text("moatize")
        #expect(rules.context(answers).choices(for: facility).map(\.name) == ["TE-0091", "TE-0092"])
        // The definition alone carries it all: encoded and read back, the same form.
        let again = try Form.load(json: JSONEncoder().encode(form.definition))
        #expect(again.definition == form.definition && again.choices(for: facility).count == 3)
    }

    @Test(arguments: [
        ("other.csv", "name,label\na,A\n", "visits.json does not name this file"),
        ("facilities.csv", "code,label\na,A\n", "it needs a name column for the choices' names and a label column"),
        ("facilities.csv", "name,label\na,A\na,B\n", "row 3 repeats a name"),
        ("facilities.csv", "name,label\n,A\n", "row 2 has no name"),
        ("facilities.csv", "name,label\n\"a,A\nb,B\n", "row 2 has 1 field where the first line names 2 columns"),
    ])
    func aBadChoiceFileIsRefusedByNameAndRow(name: String, csv: String, says: String) {
        do {
            _ = try FormFile.load(data: Self.form, name: "visits.json",
                                  media: [FormFile.Media(name: name, data: Data(csv.utf8)), Self.services])
            Issue.record("accepted \(name)")
        } catch {
            #expect(error.description.contains(name) && error.description.contains(says), "\(error.description)")
        }
    }

    @Test func aFileNotGivenOrNotUTF8IsRefused() {
        #expect(throws: FormFile.Failure.self) { _ = try FormFile.load(data: Self.form, name: "visits.json", media: [Self.services]) }
        do {
            _ = try FormFile.load(data: Self.form, name: "visits.json",
                                  media: [FormFile.Media(name: "facilities.csv", data: Data([0x6E, 0x61, 0xFF, 0xFE])), Self.services])
        } catch {
            #expect(error.description.contains("not UTF-8 text"), "\(error.description)")
        }
        do {
            _ = try FormFile.load(data: Self.form, name: "visits.json", media: [Self.services])
        } catch {
            #expect(error.description.contains("its choices come from the file facilities.csv, which was not given"), "\(error.description)")
        }
    }

    @Test func pulldataReadsAColumnOfTheRowItsKeyNames() throws {
        let form = Data(#"""
        {"settings": [{"form_id": "visits", "version": "1"}],
         "survey": [
          {"type": "select_one_from_file facilities.csv", "name": "facility", "label": "Facility"},
          {"type": "calculate", "name": "facility_district", "calculation": "pulldata('facilities', 'district', 'name', ${facility})"},
          {"type": "calculate", "name": "nurses", "calculation": "pulldata(‘staffing’, 'nurses', 'code', ${facility})"}]}
        """#.utf8)
        let staffing = FormFile.Media(name: "staffing.csv", data: Data("name,code,nurses\n1,TE-0092,7\n2,TE-0091,3\n".utf8))
        let loaded = try FormFile.load(data: form, name: "visits.json", media: [Self.facilities, staffing])
        var answers = Answers()
        answers["facility"] = .text("TE-0092")
        let ctx = AnswerContext(form: loaded.form, answers: answers, nowMs: 0)
        #expect(loaded.form.questions["facility_district"]?.calculation?.evaluate(in: ctx).asString == "moatize")
        #expect(loaded.form.questions["nurses"]?.calculation?.evaluate(in: ctx).asString == "7", "curly quotes read as straight ones")
        answers["facility"] = .text("XX-0000")
        #expect(loaded.form.questions["nurses"]?.calculation?.evaluate(in: AnswerContext(form: loaded.form, answers: answers, nowMs: 0)).asString == "")
        // Without its file the form is refused, naming the file.
        do {
            _ = try FormFile.load(data: form, name: "visits.json", media: [Self.facilities])
            Issue.record("accepted without staffing.csv")
        } catch {
            #expect(error.description.contains("pulldata() reads the file staffing.csv, which was not given"), "\(error.description)")
        }
    }

    /// ODK's other choice files: XML items and GeoJSON features (`id` and
    /// `title`, a Point as `lat lon 0 0`), and `parameters` naming the
    /// value and label columns of any of them.
    @Test func xmlAndGeoJSONFilesAndValueLabelParameters() throws {
        let form = Data(#"""
        {"settings": [{"form_id": "posts", "version": "1"}],
         "survey": [
          {"type": "select_multiple_from_file wards.xml", "name": "wards", "label": "Wards"},
          {"type": "select_one_from_file posts.geojson", "name": "post", "label": "Border post"},
          {"type": "select_one_from_file partners.csv", "name": "partner", "label": "Partner", "parameters": "value=code, label=title"}]}
        """#.utf8)
        let wards = FormFile.Media(name: "wards.xml", data: Data("""
            <?xml version="1.0"?><root><item><name>mat</name><label>Maternity</label><floor>1</floor></item>
            <item><name>opd</name><label>Outpatients</label></item></root>
            """.utf8))
        let posts = FormFile.Media(name: "posts.geojson", data: Data(#"""
            {"type": "FeatureCollection", "features": [
             {"type": "Feature", "id": 7, "geometry": {"type": "Point", "coordinates": [34.16, -15.59]}, "properties": {"title": "Zóbuè", "kind": "road"}},
             {"type": "Feature", "geometry": null, "properties": {"id": "mach", "title": "Machipanda"}}]}
            """#.utf8))
        let partners = FormFile.Media(name: "partners.csv", data: Data("code,title\niom,IOM\nmsf,MSF\n".utf8))
        let loaded = try FormFile.load(data: form, name: "posts.json", media: [wards, posts, partners]).form
        let w = try #require(loaded.questions["wards"]), p = try #require(loaded.questions["post"]), q = try #require(loaded.questions["partner"])
        #expect(loaded.choices(for: w).map(\.name) == ["mat", "opd"])
        #expect(loaded.choices(for: w)[0].columns["floor"] == "1")
        #expect(loaded.choices(for: p).map(\.name) == ["7", "mach"])
        #expect(loaded.choices(for: p)[0].label.text("en") == "Zóbuè")
        #expect(loaded.choices(for: p)[0].columns["geometry"] == "-15.59 34.16 0 0")
        #expect(loaded.choices(for: q).map(\.name) == ["iom", "msf"] && loaded.choices(for: q)[1].label.text("en") == "MSF")
        // Each kind refused in its own words, naming the file.
        for (file, text, says) in [
            ("wards.xml", "<root><item><name>a</name>", "wards.xml: not an XML file (line"), ("wards.xml", "<root><item>&bad;</item></root>", "not an XML file"),
            ("wards.xml", "<root><item><name><b>a</b></name></item></root>", "nests deeper than root, item and column"),
            ("wards.xml", "<root><item><label>A</label></item></root>", "it needs a name column"),
            ("posts.geojson", #"{"type": "Feature"}"#, "not a GeoJSON FeatureCollection"),
            ("posts.geojson", #"{"type": "FeatureCollection", "features": [1]}"#, "feature 1 is not a Feature object"),
            ("posts.geojson", #"{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"title": "x"}}]}"#, "it needs a id column"),
            ("partners.csv", "name,label\na,A\n", "it needs a code column for the choices' names and a title column"),
        ] {
            var media = [wards, posts, partners]
            media.removeAll { $0.name == file }
            media.append(FormFile.Media(name: file, data: Data(text.utf8)))
            let said = Self.refusal(form, "posts.json", media)
            #expect(said?.contains(says) == true, "\(file): \(text): \(said ?? "accepted")")
        }
    }

    /// `select_one_external` reads the external_choices sheet, a list name
    /// space of its own; `rank` orders every choice on offer.
    @Test func externalChoicesAndRank() throws {
        let form = Data(#"""
        {"settings": [{"form_id": "ext", "version": "1"}],
         "survey": [
          {"type": "select_one province", "name": "province", "label": "Province"},
          {"type": "select_one_external province", "name": "district", "label": "District", "choice_filter": "province = ${province}"},
          {"type": "rank services", "name": "priorities", "label": "Priorities"}],
         "choices": [{"list_name": "province", "name": "tete", "label": "Tete"}, {"list_name": "province", "name": "manica", "label": "Manica"},
                     {"list_name": "services", "name": "hiv", "label": "HIV"}, {"list_name": "services", "name": "tb", "label": "TB"},
                     {"list_name": "services", "name": "mch", "label": "MCH"}],
         "external_choices": [{"list_name": "province", "name": "moatize", "label": "Moatize", "province": "tete"},
                              {"list_name": "province", "name": "manica_sede", "label": "Manica", "province": "manica"}]}
        """#.utf8)
        let loaded = try FormFile.load(data: form, name: "ext.json").form
        let d = try #require(loaded.questions["district"]), r = try #require(loaded.questions["priorities"])
        #expect(loaded.choices(for: d).map(\.name) == ["moatize", "manica_sede"])
        #expect(loaded.choices(for: loaded.questions["province"]!).map(\.name) == ["tete", "manica"])
        let rules = FormRules(form: loaded, nowMs: 0)
        var answers = Answers()
        answers["province"] = .text("tete")
        #expect(rules.context(answers).choices(for: d).map(\.name) == ["moatize"])
        let offered = loaded.choices(for: r)
        #expect(r.type == .rank && (try? Answer.parse("3 1 2", for: r, choices: offered).get()) == .choices(["mch", "hiv", "tb"]))
        #expect(Answer.parse("tb hiv mch", for: r, choices: offered).map { _ in true } == .success(true))
        for bad in ["3 1", "1 1 2", "4 1 2", "x"] {
            if case .success = Answer.parse(bad, for: r, choices: offered) { Issue.record("ranked \(bad)") }
        }
        // The rules refuse a stored ranking that leaves a choice out or names one twice.
        let field = try #require(rules.fields(answers).first { $0.question.name == "priorities" })
        #expect(rules.check(.choices(["hiv", "tb"]), field: field, answers: answers)?.description.contains("rank every choice, 3 in all") == true)
        #expect(rules.check(.choices(["hiv", "hiv", "tb"]), field: field, answers: answers) != nil)
        #expect(rules.check(.choices(["tb", "mch", "hiv"]), field: field, answers: answers) == nil)
        // A list the external_choices sheet lacks is named as such.
        let missing = String(decoding: form, as: UTF8.self).replacingOccurrences(of: "select_one_external province", with: "select_one_external nowhere")
        let said = Self.refusal(Data(missing.utf8), "ext.json")
        #expect(said?.contains("unknown choice list nowhere: select_one_external reads the external_choices sheet") == true, "\(said ?? "accepted")")
    }

    /// `instance('x')/root/item[...]/column` reads a choice list or a
    /// published file, as Collect does: a column of the rows the predicate
    /// keeps (the first in a text, all of them for count() and sum()).
    @Test func instanceLookupsReadListsAndFiles() throws {
        let form = Data(#"""
        {"settings": [{"form_id": "lookups", "version": "1"}],
         "survey": [
          {"type": "select_one districts", "name": "district", "label": "District"},
          {"type": "select_one_from_file facilities.csv", "name": "facility", "label": "Facility", "choice_filter": "district = ${district}"},
          {"type": "calculate", "name": "beds", "calculation": "instance('facilities')/root/item[name = ${facility}]/beds"},
          {"type": "calculate", "name": "in_district", "calculation": "count(instance('facilities')/root/item[district = ${district}])"},
          {"type": "calculate", "name": "district_beds", "calculation": "sum(instance('facilities')/root/item[district = ${district}]/beds)"},
          {"type": "calculate", "name": "district_label", "calculation": "instance('districts')/root/item[name = ${district}]/label"},
          {"type": "integer", "name": "staff", "label": "Staff", "constraint": ". <= instance('facilities')/root/item[name = ${facility}]/beds * 3"}],
         "choices": [{"list_name": "districts", "name": "moatize", "label": "Moatize"}, {"list_name": "districts", "name": "chiure", "label": "Chiúre"}]}
        """#.utf8)
        let csv = FormFile.Media(name: "facilities.csv", data: Data("name,label,district,beds\nzobue,Zóbuè,moatize,12\nsede,Moatize,moatize,40\nchiure,Chiúre,chiure,25\n".utf8))
        let loaded = try FormFile.load(data: form, name: "lookups.json", media: [csv]).form
        var answers = Answers()
        answers["district"] = .text("moatize")
        answers["facility"] = .text("sede")
        let ctx = AnswerContext(form: loaded, answers: answers, nowMs: 0)
        func calc(_ name: String) -> String { loaded.questions[name]!.calculation!.evaluate(in: ctx).asString }
        #expect(calc("beds") == "40")
        #expect(calc("in_district") == "2")
        #expect(calc("district_beds") == "52")
        #expect(calc("district_label") == "Moatize")
        let staff = loaded.questions["staff"]!
        #expect(staff.constraint!.isTrue(in: AnswerContext(form: loaded, answers: answers, current: .number(120), nowMs: 0)))
        #expect(!staff.constraint!.isTrue(in: AnswerContext(form: loaded, answers: answers, current: .number(121), nowMs: 0)))
        // An unknown list, a path that is not root/item, search() in appearance: refused by row.
        for (from, to, says) in [
            ("instance('districts')/root/item[name = ${district}]/label", "instance('regions')/root/item[name = ${district}]/label",
             "instance('regions') names no choice list and no file published with the form"),
            ("instance('districts')/root/item[name = ${district}]/label", "instance('districts')", "is read as instance('districts')/root/item[...]/column"),
            (#""label": "Staff","#, #""label": "Staff", "appearance": "search('facilities')","#, "search() reads a CSV through an older Collect engine"),
        ] {
            let changed = String(decoding: form, as: UTF8.self).replacingOccurrences(of: from, with: to)
            let said = Self.refusal(Data(changed.utf8), "lookups.json", [csv])
            #expect(said?.contains(says) == true && said?.contains("row") == true, "\(to): \(said ?? "accepted")")
        }
    }
}
