import Words

/// The words of an interactive capture, from the catalogue, in the
/// capture's language (the form's language chosen for it).
struct UIText {
    let lang: Lang

    init(language: String) { lang = Lang(rawValue: language) ?? Lang.current }

    private func t(_ key: Key, _ args: [String: Message.Arg] = [:]) -> String { Message(key, args).text(lang) }

    var help: String { t(.captureHelp) }
    var required: String { t(.captureRequired) }
    var current: String { t(.captureCurrent) }
    var defaultWord: String { t(.captureDefault) }
    var keepHint: String { t(.captureKeep) }
    var pressEnter: String { t(.capturePressEnter) }
    var atStart: String { t(.captureAtStart) }
    var yesNo: String { t(.captureYesNo) }
    var summary: String { t(.captureSummary) }
    var finalizeNow: String { t(.captureFinalizeNow) }
    var multiHint: String { t(.captureMultiHint) }
    var geoHint: String { t(.captureGeoHint) }
    var returned: String { t(.captureReturned) }
    var supervisorSays: String { t(.captureSupervisorSays) }
    var dateHint: String { t(.captureDateHint) }
    var nothingSaved: String { t(.captureNothingSaved) }

    func title(_ title: String, form: String, version: String, record: String?) -> String {
        let args: [String: Message.Arg] = ["title": .text(title), "form": .text(form), "version": .text(version)]
        return record.map { t(.captureTitleRecord, args.merging(["record": .text($0)]) { $1 }) } ?? t(.captureTitle, args)
    }

    func add(_ label: String, first: Bool) -> String { t(first ? .captureAdd : .captureAddAnother, ["label": .text(label)]) }
    func keptDraft(_ id: String) -> String { t(.captureKeptDraft, ["record": .text(id)]) }
    func finalized(_ id: String) -> String { t(.captureFinalized, ["record": .text(id)]) }
    func say(_ message: Message) -> String { message.text(lang) }

    /// Reads yes/no in either language; nil when neither.
    static func yes(_ text: String) -> Bool? {
        switch text.lowercased() {
        case "y", "yes", "s", "sim": return true
        case "n", "no", "não", "nao": return false
        default: return nil
        }
    }
}
