import ArgumentParser
import Foundation
import Forms
import Store
import Words

/// The store every command works on, and the language its person reads.
struct StoreOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "The store file (else $RECOLHA_STORE, else $XDG_DATA_HOME/recolha/store.sqlite).", valueName: "path"))
    var store: String?

    @Option(name: .long, help: ArgumentHelp(
        "The language to speak: en or pt (else the one `recolha language` keeps in the store, else $LC_ALL, $LC_MESSAGES or $LANG).",
        valueName: "code"))
    var lang: String?

    var path: String {
        if let store { return store }
        let env = ProcessInfo.processInfo.environment
        if let s = env["RECOLHA_STORE"], !s.isEmpty { return s }
        let data = env["XDG_DATA_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? ((env["HOME"] ?? NSHomeDirectory()) + "/.local/share")
        return data + "/recolha/store.sqlite"
    }

    func validate() throws {
        if let lang {
            guard let chosen = Lang(rawValue: lang.lowercased()) else {
                throw ValidationError(Message(.langInvalid, ["lang": .text(lang)]).localized)
            }
            Lang.current = chosen
        }
    }

    /// Opens the store; says so on standard error when opening found the
    /// file is a copy of another device's and took a new identity. From
    /// here on, the store's language speaks unless --lang was given.
    func open(create: Bool = false) throws -> Store {
        let store = try Store(path: path, create: create)
        if lang == nil, let kept = try? store.language(), let language = Lang(rawValue: kept) { Lang.current = language }
        if let notice = store.upgradeNotice { Console.note(notice) }
        if let notice = store.copiedNotice { Console.note(notice) }
        return store
    }

    /// The chosen language, and where the choice came from.
    func chosen(store: Store?) -> (code: String?, from: String) { LanguageChoice.chosen(lang: lang, store: store) }

    /// The language to show a form in: the chosen one when the form has
    /// it, else the form's default.
    func code(for form: Form, store: Store?) -> String {
        let code = chosen(store: store).code ?? ""
        return form.languages.contains { $0.code == code } ? code : form.defaultLanguage
    }
}

/// The language a person reads: `--lang`, else the one kept in the store
/// (`recolha init --lang`, `recolha language`), else the environment's
/// (LC_ALL, LC_MESSAGES, LANG: pt_MZ, pt_PT and pt_BR all mean Portuguese).
enum LanguageChoice {
    static func chosen(lang: String?, store: Store?) -> (code: String?, from: String) {
        if let lang { return (lang.lowercased(), "--lang") }
        if let kept = try? store?.language() { return (kept, "store") }
        if let (code, variable) = environment() { return (code, variable) }
        return (nil, "none")
    }

    /// The language the environment names, if it is one Recolha speaks.
    static func environment(_ env: [String: String] = ProcessInfo.processInfo.environment) -> (String, String)? {
        for variable in ["LC_ALL", "LC_MESSAGES", "LANG"] {
            guard let value = env[variable], !value.isEmpty else { continue }
            let code = String(value.prefix(2)).lowercased()
            return ["en", "pt"].contains(code) ? (code, variable) : nil
        }
        return nil
    }
}

/// Prints JSON values for scripts.
enum JSONOut {
    static func print(_ value: JSONValue, keyOrder: [String] = []) {
        Swift.print(value.text(pretty: true, keyOrder: keyOrder))
    }

    static let recordKeys = ["id", "form_id", "form_version", "status"]
}

extension Store {
    func formOfRecord(_ r: StoredRecord) throws -> Form {
        try form(id: r.formID, version: r.formVersion)
    }
}

extension StoreOptions {
    /// Opens the store and a record that may still be changed, with its form.
    /// - Throws: `.unknownRecord`, `.ambiguousRecord`, `.recordDeleted`.
    func changeableRecord(_ idOrPrefix: String) throws -> (Store, StoredRecord, Form) {
        let s = try open()
        let record = try s.record(try s.resolveRecordID(idOrPrefix))
        if record.deleted { throw StoreError.recordDeleted(id: record.id) }
        return (s, record, try s.formOfRecord(record))
    }
}
