import Foundation
import RecolhaTesting
import Testing
@testable import Forms

@Suite struct FormRulesTests {
    let form = try! Form.load(definition([
        ["type": "integer", "name": "age", "required": "yes", "constraint": ". >= 0 and . < 130",
         "constraint_message::English (en)": "Age is 0 to 129", "constraint_message::Português (pt)": "Idade de 0 a 129"],
        ["type": "select_one yn", "name": "pregnant", "relevant": "${age} >= 12", "required": "yes"],
        ["type": "select_multiple langs", "name": "langs"],
        ["type": "text", "name": "other_lang", "relevant": "selected(${langs}, 'other')", "required": "yes"],
        ["type": "begin_repeat", "name": "kids"],
        ["type": "integer", "name": "kid_age", "constraint": ". < ${age}"],
        ["type": "end_repeat"],
        ["type": "calculate", "name": "kids_total_age", "calculation": "sum(${kid_age})"],
        ["type": "date", "name": "seen"],
        ["type": "geopoint", "name": "where"],
    ], choices: [
        ["list_name": "yn", "name": "yes", "label": "Yes"], ["list_name": "yn", "name": "no", "label": "No"],
        ["list_name": "langs", "name": "pt", "label": "PT"], ["list_name": "langs", "name": "other", "label": "Other"],
    ], settings: ["form_id": "t", "version": "1", "default_language": "English (en)"]))

    var rules: FormRules { FormRules(form: form, nowMs: 0) }

    @Test func constraintMessagesInTheChosenLanguage() {
        let a = Answers(["age": .integer(200)])
        #expect(rules.problems(a, finalizing: false) == [AnswerProblem(field: "age", reason: .verbatim("Age is 0 to 129"))])
        let pt = FormRules(form: form, language: "pt", nowMs: 0)
        #expect(pt.problems(a, finalizing: false).first?.reason == "Idade de 0 a 129")
    }

    @Test func requiredOnlyWhenRelevantAndFinalizing() {
        let young = Answers(["age": .integer(8)])
        #expect(rules.problems(young, finalizing: true).isEmpty)
        let older = Answers(["age": .integer(30)])
        #expect(rules.problems(older, finalizing: false).isEmpty)
        #expect(rules.problems(older, finalizing: true).map(\.field) == ["pregnant"])
        let other = Answers(["age": .integer(30), "pregnant": .text("no"), "langs": .choices(["other"])])
        #expect(rules.problems(other, finalizing: true).map(\.field) == ["other_lang"])
    }

    @Test func wrongTypesAndUnknownChoices() {
        let a = Answers(["age": .text("x"), "pregnant": .text("maybe"), "seen": .text("2025-02-30"),
                         "where": .text("95 10"), "nosuch": .text("1")])
        let fields = Set(rules.problems(a, finalizing: false).map(\.field))
        #expect(fields == ["age", "seen", "where", "nosuch"])  // pregnant is not relevant (age is not a number)
        let b = Answers(["age": .integer(20), "pregnant": .text("maybe")])
        #expect(rules.problems(b, finalizing: false).map(\.field) == ["pregnant"])
    }

    /// repeat_count fixes how many instances a repeat has; a read-only
    /// question with a calculation holds what it computes, typed as its question.
    @Test func repeatCountAndReadOnlyCalculations() throws {
        let form = try Form.load(json: Data(#"""
        {"settings": [{"form_id": "rooms", "version": "1"}],
         "survey": [{"type": "integer", "name": "n", "label": "Rooms"},
                    {"type": "begin_repeat", "name": "room", "label": "Room", "repeat_count": "${n}"},
                    {"type": "text", "name": "use", "label": "Use"},
                    {"type": "end_repeat"},
                    {"type": "integer", "name": "beds", "label": "Beds", "read_only": "yes", "calculation": "${n} * 4"},
                    {"type": "text", "name": "summary", "label": "Summary", "read_only": "yes", "calculation": "concat(${n}, ' rooms')"}]}
        """#.utf8))
        let rules = FormRules(form: form, nowMs: 0)
        func answers(_ rooms: Int) -> Answers {
            var a = Answers(["n": .integer(2)])
            for i in 0..<rooms { a["room[k\(i)].use"] = .text("ward") }
            return a
        }
        #expect(rules.problems(answers(2), finalizing: true).isEmpty)
        #expect(rules.problems(answers(1), finalizing: false).isEmpty, "a draft may have fewer")
        #expect(rules.problems(answers(1), finalizing: true).map(\.description) == ["room: has 1 instance where its repeat_count asks for 2"])
        #expect(rules.problems(answers(3), finalizing: false).map(\.description) == ["room: has 3 instances where its repeat_count asks for 2"])
        let settled = rules.settle(answers(2)).answers
        #expect(settled["beds"] == .integer(8))
        #expect(settled["summary"] == .text("2 rooms"))
    }

    /// A default that is an expression is computed as the record starts;
    /// a `trigger` recomputes its question only when the trigger changes.
    @Test func dynamicDefaultsAndTriggers() throws {
        let form = try Form.load(json: Data(#"""
        {"settings": [{"form_id": "temps", "version": "1"}],
         "survey": [{"type": "integer", "name": "staff", "label": "Staff"},
                    {"type": "integer", "name": "nurses", "label": "Nurses", "default": "${staff} * 2"},
                    {"type": "date", "name": "visit", "label": "Visit", "default": "today()"},
                    {"type": "text", "name": "code", "label": "Code", "default": "2026-R2"},
                    {"type": "decimal", "name": "temp", "label": "Fridge temperature"},
                    {"type": "text", "name": "temp_seen", "label": "Read at", "calculation": "concat('read ', ${temp})", "trigger": "${temp}"},
                    {"type": "text", "name": "temp_note", "label": "Note on the reading", "trigger": "${temp}"}]}
        """#.utf8))
        let rules = FormRules(form: form, nowMs: 86_400_000 * 20_000)
        let started = rules.applyDefaults(Answers(["staff": .integer(3)]))
        #expect(started["nurses"] == .integer(6))
        #expect(started["visit"] == .text("2024-10-04"))
        #expect(started["code"] == .text("2026-R2"))
        // First reading: computed. Another answer changes: kept. The reading changes: recomputed, the note cleared.
        let first = rules.settle(Answers(["temp": .decimal(4)]), previous: nil).answers
        #expect(first["temp_seen"] == .text("read 4"))
        var edited = first
        edited["temp_seen"] = .text("by hand")
        edited["temp_note"] = .text("door open")
        edited["staff"] = .integer(5)
        let kept = rules.settle(edited, previous: first).answers
        #expect(kept["temp_seen"] == .text("by hand") && kept["temp_note"] == .text("door open"))
        var changed = kept
        changed["temp"] = .decimal(9)
        let again = rules.settle(changed, previous: kept).answers
        #expect(again["temp_seen"] == .text("read 9") && again["temp_note"] == nil)
        // A trigger names one question.
        #expect(throws: (any Error).self) {
            try Form.load(json: Data(#"{"settings": [{"form_id": "t"}], "survey": [{"type": "text", "name": "a", "label": "A", "trigger": "1 + 2"}]}"#.utf8))
        }
    }

    @Test func settleClearsIrrelevantAnswersAndCalculates() {
        var a = Answers(["age": .integer(8), "pregnant": .text("no")])
        a["kids[k1].kid_age"] = .integer(3)
        a["kids[k2].kid_age"] = .integer(5)
        let (settled, cleared) = rules.settle(a)
        #expect(cleared == ["pregnant"])
        #expect(settled["pregnant"] == nil)
        #expect(settled["kids_total_age"] == .text("8"))
    }

    @Test func repeatReferencesSeeTheirOwnInstance() {
        var a = Answers(["age": .integer(10)])
        a["kids[k1].kid_age"] = .integer(3)
        a["kids[k2].kid_age"] = .integer(12)
        #expect(rules.problems(a, finalizing: false) == [AnswerProblem(field: "kids[2].kid_age", reason: Message(.answerConstraint, ["constraint": ". < ${age}"]))])
    }

    @Test func answersFileRoundTripsThroughShowJSON() throws {
        let object: [String: JSONValue] = [
            "age": .number(30), "pregnant": .string("no"), "langs": .array([.string("pt")]),
            "kids": .array([.object(["kid_age": .number(2)]), .object(["kid_age": .number(4)])]),
        ]
        var n = 0
        let (answers, problems) = Answers.read(object, form: form) { _ in n += 1; return "k\(n)" }
        #expect(problems.isEmpty)
        #expect(answers["kids[k2].kid_age"] == .integer(4))
        #expect(answers.json(form: form) == object)
    }

    @Test func answersFileProblemsNameTheField() {
        let object: [String: JSONValue] = [
            "age": .string("thirty"), "kid_age": .number(1), "kids": .array([.object(["kid_age": .string("x")])]),
            "kids_total_age": .string("9"), "zzz": .null,
        ]
        let (_, problems) = Answers.read(object, form: form) { "k\($0)" }
        #expect(problems.map(\.field) == ["age", "kid_age", "kids[1].kid_age", "kids_total_age", "zzz"])
    }

    @Test func typedAnswersAreParsedByType() throws {
        let q = form.questions["langs"]!
        let choices = form.choices(for: q)
        #expect(try Answer.parse("1 other", for: q, choices: choices).get() == .choices(["pt", "other"]))
        #expect((try? Answer.parse("3", for: q, choices: choices).get()) == nil)
        #expect(try Answer.parse(" 42 ", for: form.questions["age"]!, choices: []).get() == .integer(42))
        #expect(try Answer.parse("-25.9 32.6", for: form.questions["where"]!, choices: []).get() == .text("-25.9 32.6"))
    }

    @Test func canonicalJSONRoundTrips() {
        for a: Answer in [.text("Zóbuè \"quoted\"\n"), .integer(-3), .decimal(2.5), .decimal(3), .choices(["a", "b"])] {
            #expect(Answer(json: a.json) == a, "\(a.json)")
        }
    }

    @Test func walkerAsksAddAnotherAfterRepeatInstances() {
        var a = Answers(["age": .integer(30)])
        a["kids[k1].kid_age"] = .integer(1)
        let steps = rules.steps(a)
        let ids = steps.map(\.id)
        #expect(ids.contains("q:kids[k1].kid_age"))
        #expect(ids.contains("r:kids"))
        #expect(ids.firstIndex(of: "q:kids[k1].kid_age")! < ids.firstIndex(of: "r:kids")!)
    }
}

@Suite struct CSVExportTests {
    @Test func shapedAsODKCentral() throws {
        let form = try Form.load(definition([
            ["type": "begin_group", "name": "g"], ["type": "text", "name": "name"], ["type": "geopoint", "name": "gps"],
            ["type": "select_multiple l", "name": "m"], ["type": "end_group"],
            ["type": "begin_repeat", "name": "r"], ["type": "integer", "name": "n"], ["type": "end_repeat"],
            ["type": "note", "name": "bye", "label": "Bye"],
        ], choices: [["list_name": "l", "name": "a"], ["list_name": "l", "name": "b"]]))
        var a = Answers(["name": .text("Beira, \"Sofala\""), "gps": .text("-19.8 34.8 10 5"), "m": .choices(["a", "b"])])
        a["r[k1].n"] = .integer(1)
        a["r[k2].n"] = .integer(2)
        let tables = CSVExport.tables(form: form, records: [ExportRecord(
            id: "u1", answers: a, submissionDate: "2026-01-01", submitter: "ana", device: "d", status: "finalized", formVersion: "1")])
        #expect(tables.count == 2)
        #expect(tables[0].header == ["SubmissionDate", "g-name", "g-gps-Latitude", "g-gps-Longitude", "g-gps-Altitude",
                                     "g-gps-Accuracy", "g-m", "meta-instanceID", "KEY", "SubmitterName", "DeviceID",
                                     "Status", "ReviewState", "ReviewComment", "FormVersion"])
        #expect(tables[0].text.contains("\"Beira, \"\"Sofala\"\"\",-19.8,34.8,10,5,a b,uuid:u1"))
        #expect(tables[1].header == ["r-n", "PARENT_KEY", "KEY"])
        #expect(tables[1].rows == [["1", "uuid:u1", "uuid:u1/r[1]"], ["2", "uuid:u1", "uuid:u1/r[2]"]])
    }
}
