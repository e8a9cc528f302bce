import ArgumentParser
import Foundation
import Forms
import Store

extension Recolha {
    struct FormsCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "forms", abstract: "Add, list and show survey forms.",
            subcommands: [Add.self, ListForms.self, ShowForm.self])
    }
}

extension Recolha.FormsCommand {
    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Check a form definition and add it to the store.")
        @OptionGroup var store: StoreOptions
        @Argument(help: "A form definition (.json shaped like an XLSForm).") var file: String
        @Flag(help: "Print the result as JSON.") var json = false

        func run() throws {
            let data: Data
            do {
                data = try Data(contentsOf: URL(fileURLWithPath: file))
            } catch {
                throw CLIError("cannot read \(file): \((error as NSError).localizedDescription)", code: .notFound)
            }
            let form: Form
            do {
                form = try Form.load(json: data)
            } catch {
                throw CLIError("\(file): \(error)", code: .refused)
            }
            let s = try store.open()
            let result = try s.addForm(form)
            if json {
                JSONOut.print(.object(["form_id": .string(form.id), "version": .string(form.version),
                                       "added": .bool(result == .added)]))
            } else if result == .added {
                print("Added form \(form.id) version \(form.version): \(form.title) (\(form.orderedQuestions.count) questions)")
            } else {
                print("Form \(form.id) version \(form.version) is already in the store, unchanged")
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
            if forms.isEmpty { print("No forms yet: add one with `recolha forms add FILE`"); return }
            for f in forms { print("\(f.id)  v\(f.version)  \(f.title)  (\(f.records) records)") }
        }
    }

    struct ShowForm: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "show", abstract: "Show a form's questions.")
        @OptionGroup var store: StoreOptions
        @OptionGroup var language: LanguageOption
        @Argument(help: "The form id.") var formID: String
        @Flag(help: "Print as JSON.") var json = false

        func run() throws {
            let form = try store.open().form(id: formID)
            let lang = language.code(for: form)
            if json {
                JSONOut.print(.object([
                    "form_id": .string(form.id), "version": .string(form.version), "title": .string(form.title),
                    "questions": .array(form.orderedQuestions.map { q in
                        var o: [String: JSONValue] = [
                            "name": .string(q.name), "type": .string(q.type.name),
                            "label": .string(q.label.text(lang, fallback: form.defaultLanguage) ?? ""),
                            "required": .bool(q.required != nil),
                        ]
                        if !q.repeats.isEmpty { o["repeat"] = .string(q.repeats.joined(separator: "/")) }
                        if q.type.hasChoices { o["choices"] = .array(form.choices(for: q).map { .string($0.name) }) }
                        return .object(o)
                    }),
                ]), keyOrder: ["form_id", "version", "title", "name", "type", "label"])
                return
            }
            print("\(form.title) (\(form.id) v\(form.version)), languages: \(form.languages.map(\.code).joined(separator: ", "))")
            func walk(_ nodes: [Node], depth: Int) {
                let pad = String(repeating: "  ", count: depth)
                for n in nodes {
                    switch n {
                    case .question(let q):
                        let label = q.label.text(lang, fallback: form.defaultLanguage) ?? ""
                        print("\(pad)\(q.name) [\(q.type.name)\(q.listName.map { " " + $0 } ?? "")\(q.required != nil ? ", required" : "")] \(label)")
                    case .group(let g):
                        print("\(pad)\(g.isRepeat ? "repeat" : "group") \(g.name): \(g.label.text(lang, fallback: form.defaultLanguage) ?? "")")
                        walk(g.children, depth: depth + 1)
                    }
                }
            }
            walk(form.nodes, depth: 1)
        }
    }
}
