import Foundation
import RecolhaTesting
import Testing

/// The types real ODK and Kobo forms carry beyond the basics, captured from
/// a terminal and checked as Collect checks them (Tests/Conformance/
/// workbooks/recolha/types.xlsx, which pyxform converts the same way).
@Suite struct QuestionTypesTests {
    static let workbook = Package.path("Tests/Conformance/workbooks/recolha/types.xlsx")

    static func device() -> Device {
        let d = Device()
        precondition(d.run(["init", "--enumerator", "ana"]).status == 0)
        precondition(d.run(["forms", "add", workbook]).status == 0)
        return d
    }

    /// Each answer as its JSON text.
    static let good: [String: String] = [
        "opens_at": #""07:30""#, "batch": #""AB-1234/x""#, "agreed": #""OK""#, "satisfaction": "4", "ph": "7.5",
        "road": #""-25.9 32.5;-25.91 32.51""#, "compound": #""-25.9 32.5;-25.91 32.5;-25.91 32.51;-25.9 32.5""#,
        "contact": #""841234567""#, "_1": #""mine""#, "remarks": #""fine""#,
    ]

    func answers(_ d: Device, _ changes: [String: String]) throws -> String {
        let path = d.dir.file("answers-\(UUID().uuidString).json")
        let all = Self.good.merging(changes) { $1 }
        let text = "{" + all.map { "\"\($0.key)\": \($0.value)" }.joined(separator: ", ") + "}"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func everyTypeIsCapturedFromAnAnswersFile() throws {
        let d = Self.device()
        let r = d.run(["capture", "types", "--answers", try answers(d, [:]), "--finalize"])
        #expect(r.status == 0, "\(r.stderr)")
        let id = try #require((try d.json(["list"]) as? [[String: Any]])?.first?["id"] as? String)
        let shown = try #require(try d.json(["show", id]) as? [String: Any])
        #expect(shown["opens_at"] as? String == "07:30")
        #expect(shown["agreed"] as? String == "OK")
        #expect(shown["satisfaction"] as? Int == 4)
        #expect(shown["ph"] as? Double == 7.5)
        #expect(shown["survey_round"] as? String == "2026-R2", "a hidden question holds its default")
        #expect(shown["_1"] as? String == "mine", "a name starting with _ is the survey designer's")
        #expect(shown["phone_meta"] == nil && shown["sim"] == nil, "a laptop has no phone number or SIM")
    }

    /// start-geopoint takes the position given as the record starts (a laptop
    /// has no GPS); a dynamic default reads the answers; a trigger stamps its
    /// question when its trigger is answered.
    @Test func startPositionDynamicDefaultAndTrigger() throws {
        let d = Self.device()
        let bad = d.run(["capture", "types", "--answers", try answers(d, [:]), "--position", "north"])
        #expect(bad.status == 2 && bad.stderr.contains("--position takes the latitude and longitude in decimal degrees"), "\(bad.stderr)")
        let r = d.run(["capture", "types", "--answers", try answers(d, ["fridge_temp": "4.5"]), "--position", "-25.9655 32.5832", "--finalize"])
        #expect(r.status == 0, "\(r.stderr)")
        let id = try #require((try d.json(["list"]) as? [[String: Any]])?.first?["id"] as? String)
        let shown = try #require(try d.json(["show", id]) as? [String: Any])
        #expect(shown["where_started"] as? String == "-25.9655 32.5832")
        #expect(shown["rooms"] as? Int == 5, "default ${satisfaction} + 1")
        #expect((shown["fridge_read_at"] as? String)?.count ?? 0 > 10, "now() when the temperature was given")
        let given = d.run(["capture", "types", "--answers", try answers(d, ["where_started": #""1 2""#])])
        #expect(given.status == 3 && given.stderr.contains("where_started"), "the device fills it: \(given.stderr)")
        // Without a position it stays empty, as Collect leaves it without a fix.
        #expect(d.run(["capture", "types", "--answers", try answers(d, [:])]).status == 0)
        let ids = try #require((try d.json(["list"]) as? [[String: Any]])?.compactMap { $0["id"] as? String })
        #expect(try ids.compactMap { try (d.json(["show", $0]) as? [String: Any])?["where_started"] }.count == 1)
    }

    @Test(arguments: [
        (["satisfaction": "5"], "must be a number from 0 to 10 in steps of 2"),
        (["ph": "15"], "must be a number from 0.5 to 14 in steps of 0.5"),
        (["opens_at": #""25:00""#], "must be a time written HH:MM"),
        (["agreed": #""no""#], "type OK (or y) to acknowledge"),
        (["road": #""-25.9 32.5""#], "must be 2 or more points"),
        (["compound": #""-25.9 32.5;-25.91 32.5;-25.91 32.51;-25.92 32.5""#], "the last the same as the first"),
        (["_1": #""other""#], "does not meet its constraint `. != 'other'`"),
        (["contact": #""84 123""#], "does not meet its constraint"),
        (["survey_round": #""x""#], "cannot be given"),
    ])
    func aWrongAnswerIsRefusedAndSaysWhy(change: [String: String], says: String) throws {
        let d = Self.device()
        let r = d.run(["capture", "types", "--answers", try answers(d, change), "--finalize"])
        #expect(r.status == 3 && r.stderr.contains(says), "\(r.stderr)")
        #expect(try d.count("SELECT count(*) FROM records") == 0)
    }

    @Test func typedInATerminalInPortuguese() throws {
        let d = Self.device()
        let typed = ["7:30", "07:30", "ABC-1", "não", "s", "3", "4", "", "-25.9 32.5;-25.91 32.51", "", "12345", "", ""]
        let r = d.run(["capture", "types", "--lang", "pt"], stdin: typed.joined(separator: "\n") + "\n:save\n")
        #expect(r.stdout.contains("(HH:MM)") && r.stdout.contains("! tem de ser uma hora escrita HH:MM"), "\(r.stdout)")
        #expect(r.stdout.contains("! escreva OK (ou s) para confirmar"))
        #expect(r.stdout.contains("(0 a 10, de 2 em 2)") && r.stdout.contains("! tem de ser um número de 0 a 10, de 2 em 2"))
        let id = try #require((try d.json(["list"]) as? [[String: Any]])?.first?["id"] as? String)
        let shown = try #require(try d.json(["show", id]) as? [String: Any])
        #expect(shown["opens_at"] as? String == "07:30" && shown["agreed"] as? String == "OK" && shown["satisfaction"] as? Int == 4)
        #expect(shown["road"] as? String == "-25.9 32.5;-25.91 32.51")
    }

    @Test func backgroundAudioIsRefusedWithItsReason() throws {
        let d = Device()
        _ = d.run(["init", "--enumerator", "ana"])
        let path = d.dir.file("photo.json")
        try #"{"settings": [{"form_id": "p"}], "survey": [{"type": "background-audio", "name": "ambient"}], "choices": []}"#
            .write(toFile: path, atomically: true, encoding: .utf8)
        let r = d.run(["forms", "add", path])
        #expect(r.status == 3 && r.stderr.contains("background-audio is not captured by Recolha"), "\(r.stderr)")
    }

    /// repeat_count, read_only, guidance_hint, likert and a choice's image,
    /// multiline and numbers, as a terminal shows them.
    @Test func columnsSurveyDesignersUse() throws {
        let d = Device()
        _ = d.run(["init", "--enumerator", "ana"])
        let path = d.dir.file("columns.json")
        try #"""
        {"settings": [{"form_id": "columns", "version": "1"}],
         "survey": [
          {"type": "integer", "name": "rooms", "label": "Rooms", "guidance_hint": "Count the consulting rooms only."},
          {"type": "begin_repeat", "name": "room", "label": "Room", "repeat_count": "${rooms}"},
          {"type": "text", "name": "room_use", "label": "Use of the room"},
          {"type": "end_repeat"},
          {"type": "text", "name": "district_code", "label": "District code", "read_only": "yes", "default": "TE-05"},
          {"type": "select_one clean", "name": "cleanliness", "label": "Cleanliness", "appearance": "likert"},
          {"type": "text", "name": "notes", "label": "Notes", "appearance": "multiline"},
          {"type": "text", "name": "register_no", "label": "Register number", "appearance": "numbers"}],
         "choices": [
          {"list_name": "clean", "name": "poor", "label": "Poor", "media::image": "poor.png"},
          {"list_name": "clean", "name": "fair", "label": "Fair"},
          {"list_name": "clean", "name": "good", "label": "Good"}]}
        """#.write(toFile: path, atomically: true, encoding: .utf8)
        #expect(d.run(["forms", "add", path]).status == 0)
        // Two rooms: two instances, no "Add another?"; the read-only code is shown, not asked.
        let r = d.run(["capture", "columns", "--lang", "en"], stdin: ["2", "consulting", "maternity", "", "3", "Roof leaks.", "Fridge fine.", "", "12a", "0412", "y"].joined(separator: "\n") + "\n")
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("› Count the consulting rooms only."), "\(r.stdout)")
        #expect(!r.stdout.contains("Add another"), "a repeat_count repeat is never asked")
        #expect(r.stdout.contains("-- Room #2 --"))
        #expect(r.stdout.contains("1. Poor [image: poor.png]   2. Fair   3. Good"), "likert lays the choices in a row")
        let id = try #require((try d.json(["list"]) as? [[String: Any]])?.first?["id"] as? String)
        let shown = try #require(try d.json(["show", id]) as? [String: Any])
        #expect((shown["room"] as? [[String: Any]])?.map { $0["room_use"] as? String } == ["consulting", "maternity"])
        #expect(shown["district_code"] as? String == "TE-05" && shown["cleanliness"] as? String == "good")
        #expect(shown["notes"] as? String == "Roof leaks.\nFridge fine.", "multiline takes lines until an empty one")
        #expect(r.stdout.contains("type digits only") && shown["register_no"] as? String == "0412", "numbers takes digits")
        // A read-only answer is not the person's to give.
        let answers = d.dir.file("a.json")
        try #"{"rooms": 0, "district_code": "XX"}"#.write(toFile: answers, atomically: true, encoding: .utf8)
        let refused = d.run(["capture", "columns", "--answers", answers])
        #expect(refused.status == 3 && refused.stderr.contains("district_code: is read-only and cannot be given"), "\(refused.stderr)")
    }
}
