import ArgumentParser
import Foundation
import Store
import Words

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
                throw ValidationError(Message(.languageInvalid, ["lang": .text(code)]).localized)
            }
            if code != nil && clear { throw ValidationError(Message(.languageOrClear).localized) }
        }

        func run() throws {
            let s = try store.open()
            if let code {
                try s.setLanguage(code.lowercased())
            } else if clear {
                try s.setLanguage(nil)
            }
            let (chosen, from) = LanguageChoice.chosen(lang: store.lang, store: s)
            let language = chosen.flatMap(Lang.init(rawValue:)) ?? .en
            Lang.current = language
            let why: Message
            switch from {
            case "store": why = Message(.languageFromStore)
            case "none": why = Message(.languageNone)
            default: why = Message(.languageFrom, ["variable": .text(from)])
            }
            say(.languageIs, ["name": .message(Message(language == .pt ? .languagePortuguese : .languageEnglish)), "why": .message(why)])
        }
    }
}
