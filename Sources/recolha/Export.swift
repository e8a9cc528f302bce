import ArgumentParser
import Foundation
import Forms
import Store

extension Recolha {
    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Export a form's records as CSV (shaped as ODK Central's) or JSON.",
            discussion: "CSV of a form with repeat groups writes one more file per repeat beside --out: OUT-REPEAT.csv.")

        enum Format: String, ExpressibleByArgument, CaseIterable { case csv, json }

        @OptionGroup var store: StoreOptions
        @Option(help: "The form id.") var form: String
        @Option(help: "csv or json.") var format: Format = .csv
        @Option(help: "The file to write (else standard output).") var out: String?
        @Flag(help: "Include draft records (finalized only by default).") var includeDrafts = false

        func run() throws {
            let s = try store.open()
            let latest = try s.form(id: form)
            var records: [StoredRecord] = []
            for summary in try s.records(form: form) where includeDrafts || summary.status != RecordStatus.draft {
                records.append(try s.record(summary.id))
            }
            switch format {
            case .json:
                var forms: [String: Form] = [latest.version: latest]
                let items: [JSONValue] = try records.map { r in
                    if forms[r.formVersion] == nil { forms[r.formVersion] = try s.formOfRecord(r) }
                    return .object(RecordJSON.object(r, form: forms[r.formVersion]!))
                }
                try emit(JSONValue.array(items).text(pretty: true, keyOrder: JSONOut.recordKeys) + "\n", to: out)
                if let out { print("Wrote \(records.count) records to \(out)") }
            case .csv:
                let tables = CSVExport.tables(form: latest, records: records.map {
                    ExportRecord(id: $0.id, answers: $0.answers, submissionDate: Time.iso($0.updatedAt),
                                 submitter: $0.author, device: $0.device, status: $0.status, formVersion: $0.formVersion)
                })
                let repeats = tables.filter { $0.repeatName != nil }
                guard let out else {
                    if !repeats.isEmpty {
                        throw CLIError("form \(form) has repeat groups (\(repeats.compactMap(\.repeatName).joined(separator: ", "))): pass --out FILE.csv so their tables can be written beside it", code: .usage)
                    }
                    print(tables[0].text, terminator: "")
                    return
                }
                let base = out.hasSuffix(".csv") ? String(out.dropLast(4)) : out
                for t in tables {
                    let path = t.repeatName.map { "\(base)-\($0).csv" } ?? out
                    try Console.writeAtomically(t.text, to: path)
                    print("Wrote \(t.rows.count) rows to \(path)")
                }
            }
        }

        func emit(_ text: String, to path: String?) throws {
            if let path { try Console.writeAtomically(text, to: path) } else { print(text, terminator: "") }
        }
    }

    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show the store: records by status, changes not yet sent.")
        @OptionGroup var store: StoreOptions
        @Flag(help: "Print as JSON.") var json = false

        func run() throws {
            let opened = try store.open()
            let st = try opened.status()
            let sync = try opened.syncState()
            let rejected = try opened.rejectedVersions()
            if json {
                JSONOut.print(.object([
                    "store": .string(st.path), "site_id": st.device.map { .string($0.site.rawValue) } ?? .null,
                    "enumerator": st.device.map { .string($0.enumerator) } ?? .null,
                    "records": .object(st.records.mapValues { .number(Double($0)) }),
                    "deleted": .number(Double(st.deleted)), "conflicts": .number(Double(st.conflicts)),
                    "unsent_versions": .number(Double(st.unsent)), "forms": .number(Double(st.forms)),
                    "server": sync.map { .string($0.server) } ?? .null,
                    "last_sync": sync?.lastSyncAt.map { .string(Time.iso($0)) } ?? .null,
                    "clock_skew_ms": sync?.skewMs.map { .number(Double($0)) } ?? .null,
                    "rejected": .array(rejected.map { .object(["id": .string($0.id.description), "record": .string($0.record),
                                                               "field": .string($0.field), "reason": .string($0.reason)]) }),
                ]))
                return
            }
            print("Store: \(st.path)")
            if let d = st.device { print("Device: \(d.site) (enumerator \(d.enumerator))") } else {
                print("Device: not set up: run `recolha init --enumerator NAME`")
            }
            let counts = st.records.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }
            print("Records: \(counts.isEmpty ? "none" : counts.joined(separator: ", "))\(st.deleted > 0 ? ", \(st.deleted) deleted" : "")")
            if st.conflicts > 0 { print("Conflicts: \(st.conflicts) records need review") }
            print("Changes not yet sent: \(st.unsent)")
            if let sync {
                print("Server: \(sync.server) as \(sync.user) (\(sync.role)); last sync: \(sync.lastSyncAt.map(Time.iso) ?? "never")")
                if let skew = sync.skewMs, abs(skew) >= 5 * 60_000 {
                    print("Clock: this device is \(abs(skew) / 60_000) minutes \(skew > 0 ? "ahead of" : "behind") the server: set the date and time")
                }
            } else {
                print("Server: none yet: run `recolha login --server URL --user NAME`")
            }
            if !rejected.isEmpty {
                print("Rejected by the server (kept here): \(rejected.count)")
                for r in rejected { print("  \(r.id) record \(r.record) field \(r.field): \(r.reason)") }
            }
            print("Forms: \(st.forms)")
        }
    }
}
