import Foundation
import RecolhaTesting
import Testing
@testable import Forms

/// Calculations that read one another in a ring are refused when the form
/// loads, as ODK refuses them, instead of settling for eight passes on
/// every save and then keeping whatever the last pass left.
@Suite struct CalculationCycleTests {
    @Test func aCalculationThatReadsItselfIsRefused() {
        let p = problems(definition([
            ["type": "integer", "name": "a"],
            ["type": "calculate", "name": "n", "calculation": "concat(${n}, 'x')"],
        ]))
        #expect(p.map(\.description) == [
            "survey row 3, column calculation: these calculations read each other in a ring, so they never settle: ${n}; break the ring (a trigger, or a calculation that reads none of the others)",
        ])
    }

    @Test func eachRingIsOneProblemOnItsFirstRow() {
        let p = problems(definition([
            ["type": "calculate", "name": "d", "calculation": "${a} + 1"],
            ["type": "calculate", "name": "b", "calculation": "${c} + 1"],
            ["type": "calculate", "name": "a", "calculation": "${b} + 1"],
            ["type": "calculate", "name": "c", "calculation": "${a} * 2"],
            ["type": "calculate", "name": "x", "calculation": "${y}"],
            ["type": "calculate", "name": "y", "calculation": "${x}"],
        ]))
        #expect(p.map(\.row) == [3, 6])
        #expect(p.first?.message.contains(": ${b}, ${a}, ${c};") == true, "\(p)")
        #expect(p.last?.message.contains(": ${x}, ${y};") == true, "\(p)")
    }

    /// What is not refused: a chain against sheet order, a calculation
    /// computed only when its trigger changes, a calculation inside a
    /// repeat that reads its own name (there a name may stand for another
    /// instance, as a running total's does through indexed-repeat).
    @Test func chainsTriggersAndRunningTotalsLoad() throws {
        _ = try Form.load(definition([
            ["type": "calculate", "name": "c3", "calculation": "${c2} + 1"],
            ["type": "calculate", "name": "c2", "calculation": "${c1} * 2"],
            ["type": "integer", "name": "a"],
            ["type": "calculate", "name": "c1", "calculation": "${a} + ${a}"],
            ["type": "calculate", "name": "count", "calculation": "coalesce(${count}, 0) + 1", "trigger": "${a}"],
            ["type": "begin_repeat", "name": "r"],
            ["type": "integer", "name": "x"],
            ["type": "calculate", "name": "running", "calculation": "${x} + coalesce(${running}, 0)"],
            ["type": "end_repeat"],
        ]))
    }

    /// Random calculations: reading only calculations further down a random
    /// order always loads; one more read from the last of a chain back to
    /// its first closes a ring, which is refused naming every calculation
    /// of the chain.
    @Test(arguments: 0..<40)
    func ringsAreFoundWhereverTheyAre(seed: UInt64) throws {
        var rng = SeededRandom(seed: seed)
        let count = Int.random(in: 2...12, using: &rng)
        let order = (0..<count).shuffled(using: &rng)
        var reads: [[Int]] = Array(repeating: [], count: count)
        for i in 0..<count - 1 {
            // order[i] reads at least the next one along (a chain) and maybe others after it.
            reads[order[i]] = [order[i + 1]] + order[(i + 1)...].filter { _ in Bool.random(using: &rng) }
        }
        func rows(_ back: Bool) -> [[String: String]] {
            (0..<count).map { n in
                var names = Set(reads[n]).sorted().map { "${c\($0)}" }
                if back && n == order[count - 1] { names.append("${c\(order[0])}") }
                return ["type": "calculate", "name": "c\(n)", "calculation": names.isEmpty ? "1" : "concat(" + (names + ["''"]).joined(separator: ", ") + ")"]
            }
        }
        #expect(problems(definition(rows(false))).isEmpty, "seed \(seed)")
        let p = problems(definition(rows(true)))
        try #require(p.count == 1, "seed \(seed): \(p)")
        // Every calculation is on the chain, so all are in the ring.
        for n in 0..<count { #expect(p[0].message.contains("${c\(n)}"), "seed \(seed)") }
        #expect(p[0].row == 2, "seed \(seed)")
    }
}
