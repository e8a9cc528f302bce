import Foundation
import RecolhaTesting
import Testing
@testable import Forms

/// Builds a definition from rows written as [column: value].
func definition(_ survey: [[String: String]], choices: [[String: String]] = [],
                settings: [String: String] = ["form_id": "t", "version": "1"]) -> FormDefinition {
    FormDefinition(
        survey: survey.enumerated().map { FormRow(cells: $1, row: $0 + 2) },
        choices: choices.enumerated().map { FormRow(cells: $1, row: $0 + 2) },
        settings: [FormRow(cells: settings, row: 2)])
}

func problems(_ d: FormDefinition) -> [FormProblem] {
    do {
        _ = try Form.load(d)
        return []
    } catch {
        return error.problems
    }
}

@Suite struct FormLoadingTests {
    @Test func duplicateNamesNameBothRows() {
        let p = problems(definition([
            ["type": "text", "name": "a"], ["type": "integer", "name": "a"],
        ]))
        #expect(p.map(\.description) == ["survey row 3, column name: duplicate name a (first used in row 2)"])
    }

    @Test func unknownChoiceList() {
        let p = problems(definition([["type": "select_one colours", "name": "c"]]))
        #expect(p.first?.row == 2 && p.first?.column == "type")
        #expect(p.first?.message.contains("unknown choice list colours") == true)
    }

    @Test func referenceToAMissingField() {
        let p = problems(definition([["type": "integer", "name": "a", "relevant": "${b} > 1"]]))
        #expect(p.map(\.description) == ["survey row 2, column relevant: ${b} refers to no question in this form"])
    }

    @Test func expressionThatDoesNotParse() {
        let p = problems(definition([["type": "integer", "name": "a", "constraint": ". > "]]))
        #expect(p.first?.column == "constraint")
        #expect(p.first?.message.contains("cannot parse") == true)
    }

    @Test func unknownFunctionAndWrongArity() {
        let p = problems(definition([
            ["type": "integer", "name": "a", "constraint": "frobnicate(.)"],
            ["type": "integer", "name": "b", "relevant": "if(1, 2)"],
        ]))
        #expect(p.map(\.message) == ["unknown function frobnicate()", "if() takes 3 arguments, not 2"])
        #expect(p.map(\.row) == [2, 3])
    }

    @Test func unclosedAndUnmatchedGroups() {
        let open = problems(definition([["type": "begin_group", "name": "g"], ["type": "text", "name": "a"]]))
        #expect(open.first?.row == 2 && open.first?.message.contains("never closed") == true)
        let stray = problems(definition([["type": "text", "name": "a"], ["type": "end_group"]]))
        #expect(stray.first?.row == 3 && stray.first?.message.contains("without a matching begin") == true)
        let crossed = problems(definition([["type": "begin_repeat", "name": "r"], ["type": "end_group"]]))
        #expect(crossed.first?.message.contains("closes the repeat r") == true)
    }

    @Test func unsupportedTypeListsTheSupportedOnes() {
        let p = problems(definition([["type": "rank", "name": "priorities"]]))
        #expect(p.first?.message.hasPrefix("unsupported type rank: Recolha supports text, integer") == true)
        let fromFile = problems(definition([["type": "select_one_from_file facilities.csv", "name": "facility"]]))
        #expect(fromFile.first?.message.contains("its choices come from the file facilities.csv, which was not given: add it with --media facilities.csv") == true,
                "\(fromFile)")
        let xml = problems(definition([["type": "select_one_from_file facilities.xml", "name": "facility"]]))
        #expect(xml.first?.message.contains("its choices come from the file facilities.xml, which was not given") == true)
        let kml = problems(definition([["type": "select_one_from_file facilities.kml", "name": "facility"]]))
        #expect(kml.first?.message.contains("choices are read from a CSV, XML or GeoJSON file") == true, "\(kml)")
        let pulldata = problems(definition([["type": "calculate", "name": "c", "calculation": "pulldata('facilities', 'name', 'code', ${a})"],
                                            ["type": "text", "name": "a"]]))
        #expect(pulldata.first?.message.hasPrefix("pulldata() reads the file facilities.csv, which was not given") == true, "\(pulldata)")
        #expect(problems(definition([["type": "image", "name": "photo", "parameters": "max-pixels=big"]])).first?.message
                == "an image takes max-pixels=N (and app), not max-pixels=big")
        for type in ["background-audio", "audit"] {
            #expect(problems(definition([["type": type, "name": "x"]])).first?.message.contains("\(type) is not captured by Recolha: ") == true)
        }
    }

    @Test func everyProblemIsReportedAtOnce() {
        let p = problems(definition([
            ["type": "text", "name": "a"], ["type": "text", "name": "a"],
            ["type": "select_one nope", "name": "b"], ["type": "integer", "name": "c", "relevant": "${zz}"],
        ], settings: [:]))
        #expect(p.count == 4)
        #expect(p.contains { $0.sheet == "settings" && $0.column == "form_id" })
    }

    @Test func spellingVariantsAreRead() throws {
        let form = try Form.load(definition([
            ["type": "begin group", "name": "g"], ["type": "select one yn", "name": "q", "required": "TRUE()"],
            ["type": "end group"],
        ], choices: [["list_name": "yn", "name": "y", "label": "Yes"]]))
        #expect(form.questions["q"]?.type == .selectOne)
        #expect(form.questions["q"]?.required != nil)
        #expect(form.questions["q"]?.enclosing == ["g"])
    }

    @Test func choiceFilterColumnsNoChoiceHasReadAsEmpty() throws {
        // As in ODK (and pyxform, which accepts it): the filter offers nothing.
        let form = try Form.load(definition([
            ["type": "select_one l", "name": "q", "choice_filter": "region = 'x'"],
            ["type": "select_one l", "name": "r", "choice_filter": "province = 'p'"],
        ], choices: [["list_name": "l", "name": "a", "province": "p"]]))
        let ctx = FormRules(form: form, nowMs: 0).context(Answers())
        #expect(ctx.choices(for: form.questions["q"]!).isEmpty)
        #expect(ctx.choices(for: form.questions["r"]!).map(\.name) == ["a"])
    }

    @Test func malformedJSONIsOneClearProblem() {
        #expect(throws: FormLoadError.self) { try Form.load(json: Data("{\"survey\": 3}".utf8)) }
    }
}

@Suite struct FlagshipFormTests {
    let form = try! Form.load(json: Package.data(Package.flagship))

    @Test func loadsWithEnglishAndPortugueseEverywhere() {
        #expect(form.id == "health_facility_assessment")
        #expect(Set(form.languages.map(\.code)) == ["en", "pt"])
        for q in form.orderedQuestions {
            #expect(q.label.byLanguage["en"] != nil && q.label.byLanguage["pt"] != nil, "\(q.name)")
        }
        for (list, choices) in form.choiceLists {
            for c in choices { #expect(c.label.byLanguage.count == 2, "\(list).\(c.name)") }
        }
    }

    @Test func elevenProvincesAndDistrictsFilteredByProvince() {
        let provinces = form.choiceLists["province"]!.map(\.name)
        #expect(provinces.count == 11)
        let districts = form.choiceLists["district"]!
        #expect(Set(districts.compactMap { $0.columns["province"] }) == Set(provinces))
        let rules = FormRules(form: form, nowMs: 0)
        let q = form.questions["district"]!
        let inTete = rules.context(Answers(["province": .text("tete")])).choices(for: q).map(\.name)
        #expect(inTete.contains("moatize") && inTete.contains("cidade_de_tete"))
        #expect(!inTete.contains("moamba"))
        #expect(inTete.count == 15)
    }

    @Test func noConsentEndsTheSurvey() {
        let rules = FormRules(form: form, nowMs: 0)
        let steps = rules.steps(Answers(["consent": .text("no")]))
        let names = steps.compactMap { step -> String? in
            if case .question(_, let name, _) = step { return name }
            return nil
        }
        #expect(names.contains("no_consent_end"))
        #expect(!names.contains("province"))
        #expect(names.last == "closing")
    }

    /// A person who follows a hint's example must not be refused: every
    /// example a hint gives ("e.g. X or Y", "p. ex. X ou Y"), in every
    /// language, is an answer its question accepts.
    @Test func everyExampleAHintGivesIsAccepted() {
        let rules = FormRules(form: form, nowMs: 0)
        var examples = 0
        for q in form.orderedQuestions {
            for (language, hint) in q.hint.byLanguage {
                for marker in ["e.g. ", "p. ex. "] {
                    guard let at = hint.range(of: marker) else { continue }
                    let given = hint[at.upperBound...].trimmingCharacters(in: CharacterSet(charactersIn: " ."))
                    for example in given.components(separatedBy: " or ").flatMap({ $0.components(separatedBy: " ou ") }) {
                        examples += 1
                        let answer = Answer.parse(example, for: q, choices: form.choices(for: q))
                        guard case .success(let a) = answer else {
                            Issue.record("\(q.name) (\(language)): the hint's example \(example) is not a \(q.type) answer")
                            continue
                        }
                        let answers = Answers(["consent": .text("yes"), q.name: a])
                        guard let field = rules.fields(answers).first(where: { $0.path == q.name }) else { continue }
                        #expect(rules.check(a, field: field, answers: answers)?.description == nil,
                                "\(q.name) (\(language)): the hint's example \(example) is refused")
                    }
                }
            }
        }
        #expect(examples >= 4, "the flagship's hints give examples (phone, facility code) in both languages")
    }

    @Test func facilityCodeHasAFormat() {
        let rules = FormRules(form: form, nowMs: 0)
        let good = rules.problems(Answers(["consent": .text("yes"), "facility_code": .text("NP-0123")]), finalizing: false)
        let bad = rules.problems(Answers(["consent": .text("yes"), "facility_code": .text("np123")]), finalizing: false)
        #expect(good.isEmpty)
        #expect(bad.map(\.field) == ["facility_code"])
    }
}

/// The rules of the types beyond the basics, one by one.
struct MoreTypesTests {
    @Test func timesAreReadAsODKWritesThem() {
        for good in ["00:00", "07:30", "23:59", "07:30:15", "07:30:15.000+02:00", "07:30:15Z"] { #expect(TimeText.seconds(good) != nil, "\(good)") }
        for bad in ["7:30", "24:00", "12:60", "12:30:60", "12-30", "", "12:30:15junk", "１２:30"] { #expect(TimeText.seconds(bad) == nil, "\(bad)") }
        #expect(TimeText.seconds("01:02:03") == 3723)
    }

    @Test func rangesHoldTheirStepsAndBounds() {
        var p = RangeParameters()
        p.start = 0.5; p.end = 14; p.step = 0.5
        #expect(p.holds(0.5) && p.holds(7) && p.holds(14) && !p.holds(0) && !p.holds(7.25) && !p.holds(14.5))
        #expect(!p.isWhole && RangeParameters().isWhole)
    }

    @Test func tracesAndShapesArePointsSeparatedBySemicolons() {
        #expect(Geopoint.trace("-25.9 32.5; -25.91 32.51 10 5")?.count == 2)
        #expect(Geopoint.trace("-25.9 32.5;;")?.count == 1)
        #expect(Geopoint.trace("-95 32.5;-25.9 32.5") == nil)
        #expect(Geopoint.trace("") == nil)
    }

    @Test func curlyQuotesInExpressionsReadAsPyxformReadsThem() throws {
        let form = try Form.load(json: Data(#"{"settings": [{"form_id": "q"}], "choices": [], "survey": [{"type": "text", "name": "a", "constraint": ". != ‘other’ and . != “none”"}]}"#.utf8))
        #expect(form.questions["a"]?.constraintText == #". != 'other' and . != "none""#)
    }
}

