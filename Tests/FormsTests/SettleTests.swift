import Foundation
import RecolhaTesting
import Testing
@testable import Forms

/// The shortcuts a save takes through the form's rules give what the long
/// way gives: settling stops at a real fixed point, a choice is on offer
/// exactly when the filtered list holds it, and quoting round-trips.
@Suite struct SettleTests {
    /// Calculations that read each other against sheet order, relevance
    /// that reads them, one nobody reads, and a repeat summed outside it.
    let chained = try! Form.load(definition([
        ["type": "calculate", "name": "c3", "calculation": "${c2} + 1"],
        ["type": "calculate", "name": "c2", "calculation": "${c1} * 2"],
        ["type": "integer", "name": "a"],
        ["type": "calculate", "name": "c1", "calculation": "${a} + 1"],
        ["type": "text", "name": "shown", "relevant": "${c3} > 10"],
        ["type": "calculate", "name": "unread", "calculation": "concat(${a}, 'x')"],
        ["type": "text", "name": "note_a", "relevant": "${a} > 3"],
        ["type": "begin_repeat", "name": "r"],
        ["type": "integer", "name": "x"],
        ["type": "text", "name": "y", "relevant": "${x} > 2"],
        ["type": "calculate", "name": "rx", "calculation": "${x} * 2"],
        ["type": "end_repeat"],
        ["type": "calculate", "name": "total", "calculation": "sum(${rx})"],
        ["type": "text", "name": "big", "relevant": "${total} > 10"],
    ]))

    static func input(_ rng: inout SeededRandom) -> Answers {
        var a = Answers()
        func maybe(_ p: String, _ v: @autoclosure () -> Answer) { if Bool.random(using: &rng) { a[p] = v() } }
        maybe("a", .integer(Int.random(in: -2...8, using: &rng)))
        for p in ["shown", "note_a", "big", "unread", "c1", "c3", "total"] { maybe(p, .text("stale")) }
        for i in 0..<Int.random(in: 0...3, using: &rng) {
            let key = "k\(i)"
            maybe("r[\(key)].x", .integer(Int.random(in: 0...6, using: &rng)))
            maybe("r[\(key)].y", .text("y"))
            maybe("r[\(key)].rx", .text("stale"))
        }
        return a
    }

    @Test(arguments: 0..<300)
    func settlingReachesAFixedPoint(seed: Int) {
        var rng = SeededRandom(seed: UInt64(seed) &* 0x9E37)
        let rules = FormRules(form: chained, nowMs: 0)
        let input = Self.input(&rng)
        let (settled, _, fields) = rules.settleKeepingFields(input)
        // Settling what settled changes nothing and clears nothing.
        let again = rules.settleKeepingFields(settled)
        #expect(again.answers == settled, "seed \(seed)")
        #expect(again.cleared.isEmpty, "seed \(seed)")
        // The fields it hands to the checks are those of what it settled.
        let walked = rules.fields(settled)
        #expect(fields?.map(\.path) == walked.map(\.path), "seed \(seed)")
        #expect(fields?.map(\.relevant) == walked.map(\.relevant), "seed \(seed)")
    }

    @Test func chainedCalculationsSettleAgainstSheetOrder() {
        let rules = FormRules(form: chained, nowMs: 0)
        let (s, cleared) = rules.settle(Answers(["a": .integer(4), "shown": .text("s"), "r[k].x": .integer(6)]))
        #expect(s["c1"] == .text("5") && s["c2"] == .text("10") && s["c3"] == .text("11"))
        #expect(s["shown"] == .text("s") && s["big"] == nil && s["total"] == .text("12"))
        #expect(cleared.isEmpty)
        // A calculation that falls clears what its relevance held up.
        let (low, lowCleared) = rules.settle(Answers(["a": .integer(1), "shown": .text("s")]))
        #expect(low["shown"] == nil && lowCleared == ["shown"])
    }

    /// The flagship form's filtered lists (district by province, facility
    /// by district): a pick is refused exactly when the list shown holds no
    /// such choice.
    @Test(arguments: 0..<40)
    func aChoiceIsOnOfferExactlyWhenTheFilteredListHoldsIt(seed: Int) throws {
        let form = try Form.load(json: Package.data(Package.flagship))
        var rng = SeededRandom(seed: UInt64(seed) + 77)
        let rules = FormRules(form: form, nowMs: 0)
        let provinces = form.choiceLists["province"]!.map(\.name)
        let districts = form.choiceLists["district"]!.map(\.name) + ["nowhere"]
        for _ in 0..<20 {
            let answers = Answers(["consent": .text("yes"), "province": .text(provinces.randomElement(using: &rng)!),
                                   "district": .text(districts.randomElement(using: &rng)!)])
            let field = try #require(rules.fields(answers).first { $0.path == "district" })
            let shown = rules.context(answers).choices(for: field.question).map(\.name)
            let refused = rules.check(answers["district"]!, field: field, answers: answers) != nil
            #expect(refused == !shown.contains(answers["district"]!.xvalue.asString))
        }
    }

    @Test(arguments: 0..<200)
    func quotedTextReadsBackAsItself(seed: Int) throws {
        var rng = SeededRandom(seed: UInt64(seed))
        let alphabet: [Character] = ["a", "Z", "0", " ", "\"", "\\", "\n", "\r", "\t", "\u{0}", "\u{1F}", "\u{7F}",
                                     "é", "ç", "ã", "€", "\u{2028}", "😀", "/", "'"]
        let s = String((0..<Int.random(in: 0...12, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! })
        let back = try JSONDecoder().decode(String.self, from: Data(JSONText.quote(s).utf8))
        #expect(back == s)
    }

    /// The byte scan for a path's question name gives what Foundation's
    /// backwards search gave.
    @Test(arguments: 0..<200)
    func aPathsNameIsWhatFollowsItsLastInstance(seed: Int) {
        var rng = SeededRandom(seed: UInt64(seed) &+ 991)
        let alphabet: [Character] = ["a", "b", "]", ".", "[", "é", "_", "0"]
        let path = String((0..<Int.random(in: 0...14, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! })
        let foundation = path.range(of: "].", options: .backwards).map { String(path[$0.upperBound...]) } ?? path
        #expect(FormRules.name(of: path) == foundation, "\(path)")
        #expect(FormRules.name(of: "staff[k1].cadre") == "cadre" && FormRules.name(of: "a[x].b[y].c") == "c")
    }

    /// Stored lists of choices take the fast path and read as the decoder reads them.
    @Test func storedListsReadAsTheDecoderReadsThem() {
        for text in [#"["a","b"]"#, "[]", #"[""]"#, #"["a,b"]"#, #"["a","b",]"#, #"["a" ,"b"]"#, #"["a"b"]"#, #"[1]"#, "[", #"["é","ç ã"]"#] {
            let slow = (try? JSONValue.parse(Data(text.utf8))).flatMap { Answer(jsonValue: $0, integral: true) }
            #expect(Answer(json: text) == slow, "\(text)")
        }
    }

    /// A calculation that never settles (inside a repeat it reads itself; a
    /// ring outside repeats is refused at load) still leaves the irrelevant
    /// answers cleared, as every pass cleared them before.
    @Test func irrelevantAnswersAreClearedWhenCalculationsNeverSettle() throws {
        let form = try Form.load(definition([
            ["type": "begin_repeat", "name": "r"],
            ["type": "integer", "name": "x"],
            ["type": "calculate", "name": "n", "calculation": "concat(${n}, 'x')"],
            ["type": "end_repeat"],
            ["type": "integer", "name": "a"],
            ["type": "text", "name": "t", "relevant": "${a} > 5"],
        ]))
        let (settled, cleared, fields) = FormRules(form: form, nowMs: 0)
            .settleKeepingFields(Answers(["a": .integer(1), "t": .text("x"), "r[k].x": .integer(2)]))
        #expect(settled["t"] == nil && cleared == ["t"])
        #expect(fields == nil)
    }
}
