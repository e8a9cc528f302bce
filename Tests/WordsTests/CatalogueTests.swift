import Foundation
import Testing
@testable import Words

/// The catalogue speaks both languages: every message exists in each (the
/// switches are exhaustive, so a missing one does not compile), with the
/// same parameters, and no Portuguese entry is English left untranslated.
struct CatalogueTests {
    /// Entries that read the same in both languages on purpose.
    static let sameInBoth: Set<Key> = [
        .verbatim, .answerProblem, .captureTitle, .captureTimeHint, .captureSupervisorSays, .roleSupervisor,
        .bundleFileSaid, .syncNoteLine, .formProblemAt, .xlsformAt, .formFileSaid,
    ]

    @Test func everyMessageHasBothLanguagesWithTheSameParameters() {
        for key in Key.allCases {
            let en = Catalogue.template(key, .en), pt = Catalogue.template(key, .pt)
            #expect(!en.isEmpty && !pt.isEmpty, "\(key) is empty in a language")
            #expect(Template.parameters(en) == Template.parameters(pt), "\(key): the languages take different parameters")
            if !Self.sameInBoth.contains(key) {
                #expect(en != pt, "\(key) reads the same in Portuguese as in English: translate it or list it in sameInBoth")
            }
        }
    }

    @Test func everyTemplateRendersWithNoBraceLeft() {
        for key in Key.allCases {
            let args = Dictionary(uniqueKeysWithValues: Template.parameters(Catalogue.template(key, .en)).map { ($0, Message.Arg.int(2)) })
            for language in Lang.allCases {
                let text = Message(key, args).text(language)
                #expect(!text.contains("{") && !text.contains("}"), "\(key) in \(language) leaves a brace: \(text)")
            }
        }
    }

    @Test func pluralsNumbersAndDatesFollowTheLanguage() {
        #expect(Message(.listConflicts, ["count": 1]).text(.pt) == "1 conflito")
        #expect(Message(.listConflicts, ["count": 3]).text(.pt) == "3 conflitos")
        #expect(Message(.listConflicts, ["count": 1]).text(.en) == "1 conflict")
        #expect(Numbers.format(1234, .en) == "1,234")
        #expect(Numbers.format(1234, .pt) == "1234")
        #expect(Numbers.format(12345, .pt) == "12\u{00A0}345")
        #expect(Numbers.format(-1_234_567, .pt) == "-1\u{00A0}234\u{00A0}567")
        #expect(Numbers.format(3.14159, decimals: 2, .pt) == "3,14")
        #expect(Numbers.format(3.14159, decimals: 2, .en) == "3.14")
        // 2026-11-29 14:05 UTC
        #expect(Dates.format(1_795_961_100_000, .pt) == "29/11/2026 14:05 UTC")
        #expect(Dates.format(1_795_961_100_000, .en) == "2026-11-29 14:05 UTC")
        #expect(Dates.format(0, .pt) == "01/01/1970 00:00 UTC")
    }

    @Test(arguments: [0, 7, 999, 1000, 9999, 10_000, 123_456_789, Int.max, -5, -10_000, Int.min + 1])
    func numbersKeepTheirDigits(_ n: Int) {
        for language in Lang.allCases {
            let text = Numbers.format(n, language).filter { $0 != "," && $0 != "\u{00A0}" }
            #expect(text == String(n))
        }
    }

    @Test func datesAgreeWithFoundationForEveryDayOfFourCenturies() {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        var ms: Int64 = -2_208_988_800_000 // 1900-01-01
        while ms < 10_413_792_000_000 { // 2300-01-01
            let c = calendar.dateComponents([.year, .month, .day], from: Date(timeIntervalSince1970: Double(ms) / 1000))
            let (y, m, d, _, _) = Dates.civil(ms)
            #expect(y == c.year && m == c.month && d == c.day)
            if y != c.year || m != c.month || d != c.day { break }
            ms += 86_400_000 * 7 + 3_600_000
        }
    }

    @Test func messagesTravelByCodeAndAnUnknownCodeIsRefused() throws {
        let m = Message(.rejectField, ["field": "staff[1].cadre", "reason": .message(Message(.answerChooseNumber, ["count": 4]))])
        let data = try JSONEncoder().encode(m)
        let back = try JSONDecoder().decode(Message.self, from: data)
        #expect(back == m)
        #expect(back.text(.pt) == "o campo staff[1].cadre: escolha um número de 1 a 4")
        let timed = Message(.showBy, ["author": "ana", "time": .time(0)])
        #expect(try JSONDecoder().decode(Message.self, from: JSONEncoder().encode(timed)) == timed)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(Message.self, from: Data(#"{"code":"noSuchMessage"}"#.utf8)) }
    }
}

/// What `recolha` prints comes from the catalogue: no sentence is written
/// straight into a print, an error or a prompt of the CLI.
struct NoScatteredSentencesTests {
    @Test func theCLIWritesNoSentenceOutsideTheCatalogue() throws {
        let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Sources/recolha").standardized
        let files = try FileManager.default.contentsOfDirectory(atPath: sources.path).filter { $0.hasSuffix(".swift") }
        #expect(files.count > 10)
        let call = try Regex(#"(print|CLIError|ValidationError|Console\.line|Console\.note|Console\.error)\("((?:[^"\\]|\\.)*)""#)
        let words = try Regex(#"[A-Za-z]{2,}[ ,]+[A-Za-z]{2,}"#)
        for file in files {
            let text = try String(contentsOf: sources.appendingPathComponent(file), encoding: .utf8)
            for (n, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                for match in line.matches(of: call) {
                    let literal = Self.withoutInterpolations(String(match.output[2].substring ?? ""))
                    #expect(literal.firstMatch(of: words) == nil, "\(file):\(n + 1) writes a sentence outside the catalogue: \(literal)")
                }
            }
        }
    }

    /// A string literal's text without its `\(...)` interpolations.
    static func withoutInterpolations(_ literal: String) -> String {
        var out = "", depth = 0
        var chars = Array(literal)[...]
        while let c = chars.popFirst() {
            if depth == 0 {
                if c == "\\", chars.first == "(" { chars.removeFirst(); depth = 1 } else { out.append(c) }
            } else if c == "(" { depth += 1 } else if c == ")" { depth -= 1 }
        }
        return out
    }
}
