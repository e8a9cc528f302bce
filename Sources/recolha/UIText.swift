/// The words of an interactive capture, in English and Portuguese.
struct UIText {
    let pt: Bool

    init(language: String) { pt = language == "pt" }

    var help: String {
        pt ? "Escreva a resposta e carregue Enter. :back volta à pergunta anterior, :save guarda um rascunho e sai."
           : "Type an answer and press Enter. :back goes to the previous question, :save keeps a draft and stops."
    }
    var required: String { pt ? "Esta resposta é obrigatória." : "This answer is required." }
    var current: String { pt ? "actual" : "current" }
    var defaultWord: String { pt ? "sugerido" : "default" }
    var keepHint: String { pt ? "Enter mantém" : "Enter keeps it" }
    var pressEnter: String { pt ? "(Enter para continuar)" : "(press Enter to continue)" }
    var atStart: String { pt ? "Já está na primeira pergunta." : "This is the first question." }
    var yesNo: String { pt ? "[s/n]" : "[y/n]" }
    var summary: String { pt ? "Resumo" : "Summary" }
    var finalizeNow: String { pt ? "Finalizar este registo agora?" : "Finalize this record now?" }
    var multiHint: String { pt ? "números ou nomes separados por espaços" : "numbers or names separated by spaces" }
    var geoHint: String { pt ? "latitude longitude [altitude precisão]" : "latitude longitude [altitude accuracy]" }
    var returned: String {
        pt ? "O supervisor devolveu este registo para correcção:" : "The supervisor returned this record for correction:"
    }
    var supervisorSays: String { pt ? "supervisor" : "supervisor" }
    var dateHint: String { pt ? "AAAA-MM-DD" : "YYYY-MM-DD" }

    func add(_ label: String, first: Bool) -> String {
        if pt { return first ? "Adicionar \(label)?" : "Adicionar outro(a) \(label)?" }
        return first ? "Add \(label)?" : "Add another \(label)?"
    }

    func keptDraft(_ id: String) -> String {
        pt ? "Guardado como rascunho: registo \(id). Continue com `recolha edit \(id)`."
           : "Kept as draft: record \(id). Continue with `recolha edit \(id)`."
    }

    func finalized(_ id: String) -> String { pt ? "Registo \(id) finalizado." : "Finalized record \(id)." }
    var nothingSaved: String { pt ? "Nada foi respondido; nenhum registo guardado." : "Nothing was answered; no record saved." }

    /// An answer's problem in the chosen language (Forms words them in English).
    func reason(_ english: String) -> String {
        guard pt else { return english }
        let known: [(String, String)] = [
            ("must be a whole number", "tem de ser um número inteiro"),
            ("must be a number", "tem de ser um número"),
            ("choose a number from 1 to ", "escolha um número de 1 a "),
            ("not one of the choices: type its number or its name", "não é uma das opções: escreva o número ou o nome"),
            ("must be a date written YYYY-MM-DD", "tem de ser uma data escrita AAAA-MM-DD"),
            ("must be a date and time written YYYY-MM-DDTHH:MM:SS", "tem de ser data e hora escritas AAAA-MM-DDTHH:MM:SS"),
            ("must be `latitude longitude [altitude accuracy]` with latitude -90..90 and longitude -180..180",
             "tem de ser `latitude longitude [altitude precisão]` com latitude -90..90 e longitude -180..180"),
        ]
        for (en, text) in known where english.hasPrefix(en) { return text + english.dropFirst(en.count) }
        return english
    }

    /// Reads yes/no in either language; nil when neither.
    static func yes(_ text: String) -> Bool? {
        switch text.lowercased() {
        case "y", "yes", "s", "sim": return true
        case "n", "no", "não", "nao": return false
        default: return nil
        }
    }
}
