/// Text in several languages, keyed by language code (`en`, `pt`).
public struct Localized: Hashable, Sendable {
    public var byLanguage: [String: String]

    public init(_ byLanguage: [String: String] = [:]) {
        self.byLanguage = byLanguage
    }

    public var isEmpty: Bool { byLanguage.isEmpty }

    /// The text in `language`, else in `fallback`, else any text there is.
    public func text(_ language: String, fallback: String? = nil) -> String? {
        if let t = byLanguage[language] { return t }
        if let f = fallback, let t = byLanguage[f] { return t }
        if let t = byLanguage[Language.unnamed] { return t }
        return byLanguage.keys.sorted().first.flatMap { byLanguage[$0] }
    }
}

/// A language of a form, as its column names spell it: `English (en)`.
public struct Language: Hashable, Sendable {
    public var name: String
    public var code: String

    /// The code of a plain `label` column when settings name no default language.
    public static let unnamed = "default"

    /// Reads `English (en)` as name and code `en`; a name without a code in
    /// parentheses is its own code, lowercased.
    public init(column name: String) {
        self.name = name
        if let open = name.lastIndex(of: "("), name.hasSuffix(")") {
            let code = name[name.index(after: open)..<name.index(before: name.endIndex)]
            self.code = String(code).trimmingSpaces.lowercased()
        } else {
            self.code = name.trimmingSpaces.lowercased()
        }
    }
}
