import Foundation
import RecolhaTesting
import Testing

@Suite struct InteractiveCaptureTests {
    /// What an enumerator types for the flagship form, mistakes and :back included.
    static let typed = [
        "2030-01-01", "2026-11-20",  // a visit in the future is refused
        "Ana Mondlane", "Dr. Paulo Banda", "1", "", "", "1",
        "5", "11", ":back", "moatize",  // back to the district, then by name
        "",  // not in the national list: name and code typed next
        "Centro de Saúde de Zóbuè", "te-91", "TE-0091", "2", "1", "-15.6089 34.4311",
        "4", "2.5", "1 2 3", "30", "2", "4", "1 5", "1", "1", "1 3 4", "1", "1", "28",
        "2", "1", "2", "3", "2",
        "y", "3", "4", "5", "2", "n",  // 5 trained of 4 staff is refused
        "3", "6", "2", "1", "", "", "", "", "y",  // opening time and entrance photo skipped
    ]

    @Test func theFlagshipFormDrivenThroughStdin() throws {
        let d = Device.ready()
        let r = d.run(["capture", Device.form, "--lang", "en"], stdin: Self.typed.joined(separator: "\n") + "\n")
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("The visit date cannot be in the future or before 2020."))
        #expect(r.stdout.contains("The code is two capital letters, a dash and four digits"))
        #expect(r.stdout.contains("Cannot be more than the staff of this cadre."))
        #expect(r.stdout.contains("Add another staff cadre? [y/n]"))
        #expect(r.stdout.contains("== Summary =="))
        #expect(r.stdout.contains("Finalized record"))
        let list = try #require(try d.json(["list"]) as? [[String: Any]])
        #expect(list.count == 1)
        let id = try #require(list.first?["id"] as? String)
        let shown = try #require(try d.json(["show", id]) as? [String: Any])
        #expect(shown["status"] as? String == "finalized")
        #expect(shown["district"] as? String == "moatize")
        #expect(shown["facility_code"] as? String == "TE-0091")
        #expect(shown["visit_date"] as? String == "2026-11-20")
        #expect(shown["services"] as? [String] == ["hiv", "malaria", "maternal"])
        let staff = try #require(shown["staff"] as? [[String: Any]])
        #expect(staff.count == 1)
        #expect(staff[0]["cadre"] as? String == "nurse")
        #expect(staff[0]["cadre_trained_migrant_health"] as? Int == 2)
        #expect(shown["total_staff"] as? String == "4")
        #expect(shown["last_outbreak_drill"] == nil)  // skipped: no outbreak plan
    }

    @Test func portugueseLabelsWhenAsked() {
        let d = Device.ready()
        let r = d.run(["capture", Device.form, "--lang", "pt"], stdin: "amanhã\n2026-11-20\n:save\n")
        #expect(r.stdout.contains("Data da visita"))
        #expect(r.stdout.contains("! tem de ser uma data escrita AAAA-MM-DD"))
        #expect(r.stdout.contains("Guardado como rascunho"))
    }

    /// One language choice: --lang, else the one the store keeps (`recolha
    /// init --lang`, `recolha language`), else the environment's.
    @Test func theLanguageKeptInTheStoreHoldsUntilChanged() throws {
        let english: [String: String] = ["LC_ALL": "", "LC_MESSAGES": "", "LANG": "en_US.UTF-8"]
        let mozambique: [String: String] = ["LC_ALL": "", "LC_MESSAGES": "", "LANG": "pt_MZ.UTF-8"]
        let d = Device.ready()
        #expect(d.run(["language"], env: mozambique).stdout == "Língua: português (de LANG)\n")
        #expect(d.run(["language", "pt"], env: english).stdout == "Língua: português (guardada nesta base de dados local)\n")
        #expect(d.run(["capture", Device.form, "--answers", Example.ressano]).status == 0)
        let id = try #require((try d.json(["list"]) as? [[String: Any]])?.first?["id"] as? String)
        #expect(d.run(["show", id], env: english).stdout.contains("Data da visita"), "the store's choice beats the environment's")
        #expect(d.run(["show", id, "--lang", "en"], env: mozambique).stdout.contains("Date of the visit"), "--lang beats the store's")
        #expect(d.run(["language", "--clear"], env: english).stdout == "Language: English (from LANG)\n")
        #expect(d.run(["show", id], env: english).stdout.contains("Date of the visit"))
        #expect(d.run(["language", "fr"]).status == 2)

        let tablet = Device()
        #expect(tablet.run(["init", "--enumerator", "dina", "--lang", "pt"]).status == 0)
        #expect(tablet.run(["language"], env: english).stdout.contains("guardada nesta base de dados local"))
    }

    @Test func everyAnswerIsSavedAsItIsGiven() throws {
        let d = Device.ready()
        // Input ends after the province, as if the power went: a draft holds all that was answered.
        let r = d.run(["capture", Device.form], stdin: Self.typed.prefix(9).joined(separator: "\n") + "\n")
        #expect(r.status == 0)
        let list = try #require(try d.json(["list"]) as? [[String: Any]])
        let id = try #require(list.first?["id"] as? String)
        #expect(list.first?["status"] as? String == "draft")
        let shown = try #require(try d.json(["show", id]) as? [String: Any])
        #expect(shown["province"] as? String == "tete")
        #expect(shown["consent"] as? String == "yes")
        // Editing later starts from the current answers: Enter keeps each.
        let keep = d.run(["edit", id], stdin: String(repeating: "\n", count: 8) + "6\n:save\n")
        #expect(keep.stdout.contains("current: 2026-11-20"))
        let after = try #require(try d.json(["show", id]) as? [String: Any])
        #expect(after["province"] as? String == "tete" && after["district"] as? String == "doa")
    }

    @Test func noConsentEndsTheSurvey() throws {
        let d = Device.ready()
        let r = d.run(["capture", Device.form],
                      stdin: ["2026-11-20", "Ana", "Dr X", "1", "", "", "2", "", "", "y"].joined(separator: "\n") + "\n")
        #expect(r.stdout.contains("did not consent"))
        #expect(!r.stdout.contains("Province"))
        #expect(r.stdout.contains("Finalized record"))
    }
}
