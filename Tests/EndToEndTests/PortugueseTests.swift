import Foundation
import GRDB
import RecolhaTesting
import Testing

/// A whole day in Portuguese: a flagship capture, a sync with a rejection
/// and a conflict, a supervisor's review and its correction. Nothing
/// printed may be an English sentence.
@Suite struct PortugueseTests {
    static let mozambique: [String: String] = ["LC_ALL": "", "LC_MESSAGES": "", "LANG": "pt_MZ.UTF-8"]

    /// Words that only English uses (not "no", "a", "do": Portuguese has them).
    static let english: Set<String> = [
        "the", "and", "with", "was", "were", "has", "have", "this", "that", "these", "is", "are", "be", "it", "its", "to",
        "or", "of", "for", "from", "by", "at", "in", "on", "your", "you", "record", "records", "change", "changes",
        "nothing", "saved", "sent", "received", "server", "device", "store", "again", "not", "error", "warning", "note",
        "rejected", "conflict", "conflicts", "field", "form", "forms", "question", "review", "returned", "correction",
        "synced", "draft", "finalized", "approved", "corrected", "deleted", "added", "wrote", "run", "give", "must",
        "none", "never", "yes", "clock", "minutes", "ahead", "behind", "status", "summary", "required", "answer",
    ]

    /// The flagship's choice names: codes, shown beside their labels.
    static let choiceNames: Set<String> = {
        let form = try! JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: Package.path(Package.flagship)))) as! [String: Any]
        return Set((form["choices"] as! [[String: Any]]).compactMap { $0["name"] as? String })
    }()

    /// The English words in `text`, leaving out commands (`recolha ...` and
    /// anything in backticks), options, paths, ids and codes.
    static func englishWords(_ text: String) -> [String] {
        var t = text.replacingOccurrences(of: "`[^`]*`", with: " ", options: .regularExpression)
        t = t.replacingOccurrences(of: "(/[^/\\s]+)+", with: " ", options: .regularExpression)
        t = t.replacingOccurrences(of: "recolha( [a-z][a-z-]*)+", with: " ", options: .regularExpression)
        t = t.replacingOccurrences(of: "--[a-z][a-z-]*", with: " ", options: .regularExpression)
        t = t.replacingOccurrences(of: "<[a-z-]+>", with: " ", options: .regularExpression)  // a usage line's placeholders
        return t.components(separatedBy: CharacterSet.whitespacesAndNewlines.union(CharacterSet(charactersIn: ".,:;!?()[]\"'*=<>/—-")))
            .filter { w in !w.isEmpty && !w.contains("_") && !w.contains(where: \.isNumber) && !choiceNames.contains(w) }
            .map { $0.lowercased() }
            .filter { english.contains($0) }
    }

    final class Transcript: @unchecked Sendable {
        var text = ""
        func run(_ d: Device, _ args: [String], stdin: String = "") -> CLI.Result {
            let r = d.run(args, stdin: stdin, env: PortugueseTests.mozambique)
            text += "$ recolha \(args.joined(separator: " "))\n" + r.stdout + r.stderr
            return r
        }
    }

    @Test func aWholeDayInPortugueseSpeaksNoEnglish() throws {
        let server = try TestServer()
        let (sara, ana) = try BundleTests.team(server)
        let said = Transcript()

        // Capture the flagship interactively, then sync it.
        let capture = said.run(ana, ["capture", Device.form], stdin: InteractiveCaptureTests.typed.joined(separator: "\n") + "\n")
        #expect(capture.status == 0, "\(capture.stderr)")
        #expect(capture.stdout.contains("Avaliação de unidades sanitárias"), "the form's title in Portuguese")
        #expect(capture.stdout.contains("Registo") && capture.stdout.contains("finalizado"))
        let id = try #require((try ana.json(["list"]) as? [[String: Any]])?.first?["id"] as? String)
        #expect(said.run(ana, ["sync"]).status == 0)
        #expect(said.run(sara, ["sync"]).status == 0)

        // The supervisor and the enumerator change the same answer at once.
        #expect(said.run(sara, ["edit", id, "--set", "isolation_beds=5"]).status == 0)
        #expect(said.run(sara, ["sync"]).status == 0)
        #expect(said.run(ana, ["edit", id, "--set", "isolation_beds=6"]).status == 0)
        let conflicted = said.run(ana, ["sync"])
        #expect(conflicted.stdout.contains("conflitos 1"), "\(conflicted.stdout)")
        #expect(said.run(ana, ["conflicts"]).stdout.contains("registo \(id)  campo isolation_beds"))
        #expect(said.run(ana, ["conflicts", "resolve", id, "isolation_beds", "--value", "6"]).status == 0)
        #expect(said.run(ana, ["sync"]).stdout.contains("enviadas 1"))

        // A change written with a clock far ahead is rejected, and said so.
        #expect(said.run(ana, ["edit", id, "--set", "respondent_name=Ana M."]).status == 0)
        try DatabaseQueue(path: ana.store).write { db in
            try db.execute(sql: "UPDATE versions SET clock_ms = clock_ms + 365 * 86400000 WHERE acked = 0")
            try db.execute(sql: "DELETE FROM changesets WHERE acked = 0")
            try db.execute(sql: "UPDATE versions SET signed = 0 WHERE acked = 0")
        }
        let rejected = said.run(ana, ["sync"])
        #expect(rejected.status == 8)
        #expect(rejected.stdout.contains("minutos adiantado em relação ao do servidor"), "\(rejected.stdout)")
        #expect(said.run(ana, ["status"]).stdout.contains("Rejeitadas pelo servidor (guardadas aqui): 1"))

        // The review goes back to the enumerator, who fixes the record.
        #expect(said.run(sara, ["sync"]).status == 0)
        #expect(said.run(sara, ["review", id, "--return", "Confirme o telefone", "--field", "respondent_phone=Falta um dígito"]).status == 0)
        #expect(said.run(sara, ["sync"]).status == 0)
        #expect(said.run(ana, ["sync"]).stdout.contains("Devolvidos para correcção: 1 registo"))
        #expect(said.run(ana, ["list", "--returned"]).stdout.contains("devolvido para correcção"))
        #expect(said.run(ana, ["show", id]).stdout.contains("Revisão: devolvido para correcção"))
        let wrong = said.run(ana, ["edit", id, "--set", "isolation_beds=muitas"])
        #expect(wrong.status == 3 && wrong.stderr.contains("tem de ser um número inteiro"), "\(wrong.stderr)")
        #expect(said.run(ana, ["edit", id, "--set", "respondent_phone=+258841234568"]).status == 0)
        #expect(said.run(ana, ["sync"]).status == 0)
        #expect(said.run(ana, ["status"]).status == 0)
        #expect(said.run(ana, ["show", "ffffffff"]).status == 4)
        // argument-parser's own usage errors too.
        let usage = said.run(ana, ["list", "--review-state", "talvez"])
        #expect(usage.status == 2 && usage.stderr.contains("erro: O valor 'talvez' não é válido para '--review-state"), "\(usage.stderr)")
        #expect(said.run(ana, ["init"]).stderr.contains("erro: Falta o argumento obrigatório '--enumerator <enumerator>'"))
        #expect(said.run(sara, ["sync"]).status == 0)
        let corrected = said.run(sara, ["list"]).stdout
        #expect(corrected.contains("corrigido") && !corrected.contains("conflito"), "\(corrected)")

        // Kept for reading (the README's Portuguese session comes from it).
        try? said.text.write(toFile: Package.path(".build/portuguese-session.txt"), atomically: true, encoding: .utf8)
        let found = Self.englishWords(said.text)
        #expect(found.isEmpty, "English in a Portuguese session: \(Set(found).sorted())\n\(said.text)")
    }

    @Test func theEnglishDetectorFindsEnglish() {
        #expect(Self.englishWords("Saved record 1234 (draft)") == ["saved", "record", "draft"])
        #expect(Self.englishWords("Registo guardado; execute `recolha sync` ou recolha list --returned").isEmpty)
    }
}
