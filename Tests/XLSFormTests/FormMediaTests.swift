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
        ("facilities.csv", "code,label\na,A\n", "with name and label (or label::LANGUAGE) among them"),
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
}
