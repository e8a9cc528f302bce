import Forms
import Foundation

/// A form file as people hand it over: an XLSForm workbook (.xlsx) or the
/// JSON definition of schema/forms/.
public enum FormFile {
    public struct Loaded: Sendable {
        public var form: Form
        /// Things left aside while reading (other sheets).
        public var notes: [Message]
    }

    /// Why a form file cannot be used: one message naming file, sheet, row and column.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public var worded: Message
        /// In English (the server's administrators, logs, tests).
        public var description: String { worded.description }
    }

    /// Reads and checks a form file; a workbook is recognized by its zip
    /// signature, whatever its name.
    /// - Parameter media: files published with the form (CSV choice lists).
    public static func load(data: Data, name: String, media: [Media] = []) throws(Failure) -> Loaded {
        let file = (name as NSString).lastPathComponent
        var definition: FormDefinition
        var notes: [Message] = []
        // Excel 97-2003 files are OLE2 compound documents; no well-kept Swift
        // reader exists, so say how to convert instead of failing as JSON.
        if data.starts(with: [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) || name.lowercased().hasSuffix(".xls") {
            throw Failure(worded: XLSFormError(file: file, Message(.xlsformOldXLS, ["file": .text(file)])).worded)
        }
        if data.starts(with: [0x50, 0x4B, 0x03, 0x04]) || name.lowercased().hasSuffix(".xlsx") {
            let read: XLSFormReader.Result
            do { read = try XLSFormReader.read(data, name: name) } catch { throw Failure(worded: error.worded) }
            definition = read.definition
            notes = read.notes
        } else {
            do {
                definition = try JSONDecoder().decode(FormDefinition.self, from: data)
            } catch {
                // Form.load(json:) words why the JSON is not a definition.
                do { _ = try Form.load(json: data) } catch { throw Failure(worded: Message(.formFileSaid, ["file": .text(file), "problem": .message(error.worded)])) }
                throw Failure(worded: Message(.formFileSaid, ["file": .text(file), "problem": .message(Message(.formMediaNotCSV))]))
            }
        }
        if !media.isEmpty { definition = try attach(media, to: definition, form: name) }
        do {
            return Loaded(form: try Form.load(definition), notes: notes)
        } catch {
            throw Failure(worded: Message(.formFileSaid, ["file": .text(file), "problem": .message(error.worded)]))
        }
    }

    /// The definition as reviewable JSON: sorted keys, one row a line.
    public static func json(_ definition: FormDefinition) -> String {
        func rows(_ rows: [FormRow]) -> String {
            if rows.isEmpty { return "[]" }
            return "[\n" + rows.map { r in
                "    " + JSONValue.object(r.cells.filter { !$0.value.isEmpty }.mapValues(JSONValue.string)).text(
                    keyOrder: ["type", "list_name", "name", "label"])
            }.joined(separator: ",\n") + "\n  ]"
        }
        return "{\n  \"settings\": \(rows(definition.settings)),\n  \"survey\": \(rows(definition.survey)),\n  \"choices\": \(rows(definition.choices))"
            + (definition.externalChoices.isEmpty ? "" : ",\n  \"external_choices\": \(rows(definition.externalChoices))")
            + (definition.files.isEmpty ? "" : ",\n  \"files\": [\n" + definition.files.map { f in
                "    " + JSONValue.object(["name": .string(f.name), "sha256": .string(f.sha256), "size": .number(Double(f.size))]).text(keyOrder: ["name"])
            }.joined(separator: ",\n") + "\n  ]") + "\n}\n"
    }

    /// The resolved model as pyxform would give it: each question's path
    /// (`/data/group/name`), XLSForm type, required, relevant, constraint and
    /// choice names.
    public static func resolved(_ form: Form) -> JSONValue {
        .object([
            "form_id": .string(form.id), "version": .string(form.version), "title": .string(form.title),
            "questions": .array(form.orderedQuestions.map { q in
                var o: [String: JSONValue] = [
                    "path": .string(form.xformPath(q)), "name": .string(q.name), "type": .string(q.type.name),
                    "required": q.requiredText.map(JSONValue.string) ?? .null,
                    "relevant": q.relevantText.map(JSONValue.string) ?? .null,
                    "constraint": q.constraintText.map(JSONValue.string) ?? .null,
                ]
                if q.type.hasChoices { o["choices"] = .array(form.choices(for: q).map { .string($0.name) }) }
                return .object(o)
            }),
        ])
    }
}
