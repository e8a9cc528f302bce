import ArgumentParser
import Foundation
import Store

extension Recolha {
    /// Shows or keeps the language this device's person reads.
    struct LanguageCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "language",
            abstract: "Show or keep the language this device speaks (en or pt).",
            discussion: """
                Without an argument, says which language is used and why. With one, keeps it in the \
                store for every later command; --lang on a command still wins, and --clear goes back \
                to the environment's (LC_ALL, LC_MESSAGES, LANG).
                """)
        static let codes = ["en", "pt"]

        @OptionGroup var store: StoreOptions
        @Argument(help: "en or pt.") var code: String?
        @Flag(help: "Forget the kept language: the environment decides again.") var clear = false

        func validate() throws {
            if let code, !Self.codes.contains(code.lowercased()) {
                throw ValidationError("the language must be en or pt, not \(code)")
            }
            if code != nil && clear { throw ValidationError("give a language or --clear, not both") }
        }

        func run() throws {
            let s = try store.open()
            if let code {
                try s.setLanguage(code.lowercased())
            } else if clear {
                try s.setLanguage(nil)
            }
            let (chosen, from) = LanguageOption.chosen(lang: nil, store: s)
            let pt = chosen == "pt"
            let name = pt ? "português" : "English"
            let why: String
            switch from {
            case "store": why = pt ? "guardada nesta base de dados local" : "kept in this store"
            case "none": why = pt ? "nenhuma escolhida" : "none chosen, English by default"
            default: why = pt ? "de \(from)" : "from \(from)"
            }
            print(pt ? "Língua: \(name) (\(why))" : "Language: \(name) (\(why))")
        }
    }
}
