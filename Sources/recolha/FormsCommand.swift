import ArgumentParser
import Foundation
import Forms
import Store
import XLSForm
import Words

extension Recolha {
    struct FormsCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "forms", abstract: "Add, list and show survey forms.",
            subcommands: [Add.self, ListForms.self, ShowForm.self, Convert.self])
    }
}

extension Recolha.FormsCommand {
    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Check a form definition and add it to the store.")
        @OptionGroup var store: StoreOptions
        @Argument(help: "An XLSForm workbook (.xlsx) or a form definition (.json).") var file: String
        @Option(parsing: .upToNextOption, help: "Files published with the form: the CSV, XML or GeoJSON choices of each select_one_from_file, and the CSV each pulldata() or instance() reads.")
        var media: [String] = []
        @Flag(help: "Print the result as JSON.") var json = false

        func run() throws {
            let form = try FormFiles.load(file, media: media)
            let s = try store.open()
            let result = try s.addForm(form)
            if json {
                JSONOut.print(.object(["form_id": .string(form.id), "version": .string(form.version),
                                       "added": .bool(result == .added)]))
            } else if result == .added {
                say(.formAdded, ["form": .text(form.id), "version": .text(form.version), "title": .text(form.title(Lang.current.rawValue)),
                                 "count": .int(form.orderedQuestions.count)])
            } else {
                say(.formAlreadyHeld, ["form": .text(form.id), "version": .text(form.version)])
            }
        }
    }

    struct ListForms: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List the forms in the store.")
        @OptionGroup var store: StoreOptions
        @Flag(help: "Print as JSON.") var json = false

        func run() throws {
            let forms = try store.open().forms()
            if json {
                JSONOut.print(.array(forms.map {
                    .object(["form_id": .string($0.id), "version": .string($0.version), "title": .string($0.title),
                             "records": .number(Double($0.records))])
                }), keyOrder: ["form_id", "version", "title"])
                return
            }
            if forms.isEmpty { say(.formsNone); return }
            for f in forms { say(.formsLine, ["form": .text(f.id), "version": .text(f.version), "title": .text(f.title), "count": .int(f.records)]) }
        }
    }

    struct ShowForm: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "show", abstract: "Show a form's questions.")
        @OptionGroup var store: StoreOptions
        @Argument(help: "The form id.") var formID: String
        @Flag(help: "Print as JSON.") var json = false

        func run() throws {
            let s = try store.open()
            let form = try s.form(id: formID)
            let lang = store.code(for: form, store: s)
            if json {
                JSONOut.print(FormFile.resolved(form), keyOrder: ["form_id", "version", "title", "path", "name", "type"])
                return
            }
            say(.formShowHead, ["title": .text(form.title(lang)), "form": .text(form.id), "version": .text(form.version),
                                 "languages": .text(form.languages.map(\.code).joined(separator: ", "))])
            func walk(_ nodes: [Node], depth: Int) {
                let pad = String(repeating: "  ", count: depth)
                for n in nodes {
                    switch n {
                    case .question(let q):
                        let label = q.label.text(lang, fallback: form.defaultLanguage) ?? ""
                        print("\(pad)\(q.name) [\(q.type.name)\(q.listName.map { " " + $0 } ?? "")\(q.required != nil ? ", " + Message(.formShowRequired).localized : "")] \(label)")
                    case .group(let g):
                        print("\(pad)\(Message(g.isRepeat ? .formShowRepeat : .formShowGroup).localized) \(g.name): \(g.label.text(lang, fallback: form.defaultLanguage) ?? "")")
                        walk(g.children, depth: depth + 1)
                    }
                }
            }
            walk(form.nodes, depth: 1)
        }
    }
}

extension Recolha.FormsCommand {
    struct Convert: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write an XLSForm workbook as the JSON form definition, for review in git.")
        @Argument(help: "An XLSForm workbook (.xlsx).") var file: String
        @Option(help: "The JSON file to write.") var out: String
        @Option(parsing: .upToNextOption, help: "Files published with the form, written into the JSON as `forms add --media` keeps them.")
        var media: [String] = []

        func run() throws {
            let form = try FormFiles.load(file, media: media)
            try Console.writeAtomically(FormFile.json(form.definition), to: out)
            say(.formWrote, ["path": .text(out), "form": .text(form.id), "version": .text(form.version), "count": .int(form.orderedQuestions.count)])
        }
    }
}

enum FormFiles {
    /// Reads and checks a form file (.xlsx or .json); notes go to stderr.
    static func load(_ path: String, media: [String] = []) throws -> Form {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CLIError(.cannotReadMissing, ["path": .text(path)], code: .notFound)
        }
        let files = try media.map { m -> FormFile.Media in
            guard let bytes = FileManager.default.contents(atPath: m) else { throw CLIError(.cannotReadMissing, ["path": .text(m)], code: .notFound) }
            return FormFile.Media(name: m, data: bytes)
        }
        do {
            let loaded = try FormFile.load(data: data, name: path, media: files)
            for note in loaded.notes { Console.note(note) }
            return loaded.form
        } catch {
            throw CLIError(error.worded, code: .refused)
        }
    }
}
