import ArgumentParser
import Foundation
import Forms
import Store
import Words

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
            // Records are read a page at a time and written as they come:
            // memory stays flat however many records there are.
            var forms: [String: Form] = [latest.version: latest]
            func eachRecord(_ body: (StoredRecord) throws -> Void) throws -> Int {
                var after: (createdAt: Int64, id: String)? = nil
                var count = 0
                while true {
                    let page = try s.recordIDs(form: form, after: after, limit: 500, includeDrafts: includeDrafts)
                    guard let last = page.last else { return count }
                    for item in page {
                        let r = try s.record(item.id)
                        if forms[r.formVersion] == nil { forms[r.formVersion] = try s.formOfRecord(r) }
                        try body(r)
                        count += 1
                    }
                    after = last
                }
            }
            switch format {
            case .json:
                let sink = try Sink(out)
                try sink.write("[")
                let count = try eachRecord { r in
                    let text = JSONValue.object(RecordJSON.object(r, form: forms[r.formVersion]!)).text(pretty: true, indent: "  ", keyOrder: JSONOut.recordKeys)
                    try sink.write((sink.count == 0 ? "\n  " : ",\n  ") + text)
                    sink.count += 1
                }
                try sink.write(count == 0 ? "]\n" : "\n]\n")
                try sink.commit()
                if let out { say(.exportWrote, ["count": .int(count), "path": .text(out)]) }
            case .csv:
                let layout = CSVExport.Layout(form: latest)
                let repeats = layout.tables.compactMap(\.name)
                if out == nil && !repeats.isEmpty {
                    throw CLIError(.exportNeedsOut, ["form": .text(form), "repeats": .text(repeats.joined(separator: ", "))], code: .usage)
                }
                let base = out.map { $0.hasSuffix(".csv") ? String($0.dropLast(4)) : $0 }
                let sinks = try layout.tables.map { t in try Sink(t.name.map { "\(base!)-\($0).csv" } ?? out) }
                var files: [FileAnswer] = []
                for (i, t) in layout.tables.enumerated() { try sinks[i].write(Self.line(t.header)) }
                _ = try eachRecord { r in
                    let rows = layout.rows(ExportRecord(id: r.id, answers: r.answers, submissionDate: Time.iso(r.updatedAt),
                                                        submitter: r.author, device: r.device, status: r.status, formVersion: r.formVersion,
                                                        reviewState: r.reviewState?.rawValue ?? "", reviewComment: r.review?.comment ?? ""))
                    for case .file(let f) in r.answers.values.values { files.append(f) }
                    for (i, table) in rows.enumerated() {
                        for row in table { try sinks[i].write(Self.line(row)); sinks[i].count += 1 }
                    }
                }
                for sink in sinks {
                    try sink.commit()
                    if let path = sink.path { say(.exportWroteRows, ["count": .int(sink.count), "path": .text(path)]) }
                }
                if let base, !files.isEmpty { try MediaExport.write(files, from: s, to: base + "-media") }
            }
        }

        static func line(_ cells: [String]) -> String { cells.map(CSVTable.quote).joined(separator: ",") + "\r\n" }

        /// Standard output, or a file put in place only when whole.
        final class Sink {
            let path: String?
            let file: StreamedFile?
            var count = 0
            init(_ path: String?) throws {
                self.path = path
                file = try path.map(StreamedFile.init)
            }
            func write(_ text: String) throws {
                if let file { try file.write(text) } else { print(text, terminator: "") }
            }
            func commit() throws { try file?.commit() }
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
            let relay = try opened.relayStatus()
            let returned = try opened.returnedRecords().filter { $0.author == st.device?.enumerator }
            let files = try opened.mediaFiles()
            let toSend = files.filter { $0.held && !$0.sent && $0.refused == nil }
            let notHere = files.filter { !$0.held }
            let refusedFiles = files.filter { $0.refused != nil }
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
                    "hub": sync?.hub.map { .string($0) } ?? .null,
                    "saved_here": .number(Double(relay.savedHere)), "confirmed_by_server": .number(Double(relay.confirmed)),
                    "handed_to_relay": .array(relay.handed.map { .object(["bundle": .string($0.to), "at": .string(Time.iso($0.at)),
                                                                          "versions": .number(Double($0.versions))]) }),
                    "carried_for": .array(relay.carried.map { .object(["user": .string($0.user), "waiting_for_server": .number(Double($0.waiting)),
                                                                       "confirmed": .number(Double($0.confirmed)),
                                                                       "missing": .number(Double($0.missing))]) }),
                    "reviews": .object(st.reviews.mapValues { .number(Double($0)) }),
                    "files": .object(["held": .number(Double(files.count - notHere.count)), "unsent": .number(Double(toSend.count)),
                                      "missing_here": .number(Double(notHere.count)),
                                      "refused": .array(refusedFiles.map { .object(["sha256": .string($0.sha256), "name": .string($0.name),
                                                                                   "reason": .string($0.refused!.description)]) })]),
                    "returned": .array(returned.map { r in
                        var o = ["id": JSONValue.string(r.id), "form_id": .string(r.formID)]
                        if let review = r.review { o["review"] = ReviewText.json(review) }
                        return .object(o)
                    }),
                    "rejected": .array(rejected.map { .object(["id": .string($0.id.description), "record": .string($0.record),
                                                               "field": .string($0.field), "reason": .string($0.reason), "code": .string($0.message.key.rawValue)]) }),
                ]))
                return
            }
            // What an enumerator must act on comes first.
            if !returned.isEmpty {
                say(.statusReturned, ["count": .int(returned.count)])
                for r in returned {
                    print("  \(r.id)  \(r.formID)")
                    if let review = r.review { ReviewText.lines(review).forEach { print("    " + $0) } }
                }
            }
            say(.statusStore, ["path": .text(st.path)])
            if let d = st.device { say(.statusDevice, ["site": .text(d.site.rawValue), "enumerator": .text(d.enumerator)]) } else {
                say(.statusNoDevice)
            }
            var counts = st.records.sorted { $0.key < $1.key }.map { "\(Numbers.format($0.value, Lang.current)) \(Worded.status($0.key).localized)" }
            if st.deleted > 0 { counts.append(Message(.statusDeletedCount, ["count": .int(st.deleted)]).localized) }
            say(.statusRecords, ["counts": .text(counts.isEmpty ? Message(.statusNone).localized : counts.joined(separator: ", "))])
            if !st.reviews.isEmpty {
                let reviews = st.reviews.sorted { $0.key < $1.key }
                    .map { "\(Numbers.format($0.value, Lang.current)) \(Worded.state(code: $0.key).localized)" }
                say(.statusReviews, ["counts": .text(reviews.joined(separator: ", "))])
            }
            if st.conflicts > 0 { say(.statusConflicts, ["count": .int(st.conflicts)]) }
            say(.statusUnsent, ["count": .int(st.unsent)])
            say(.statusSavedHere, ["count": .int(relay.savedHere)])
            for h in relay.handed { say(.statusHanded, ["to": .text(h.to), "time": .time(h.at), "count": .int(h.versions)]) }
            say(.statusConfirmed, ["count": .int(relay.confirmed)])
            for c in relay.carried {
                say(.statusCarried, ["user": .text(c.user), "waiting": .int(c.waiting), "confirmed": .int(c.confirmed)])
                if c.missing > 0 { say(.statusGap, ["count": .int(c.missing), "user": .text(c.user)]) }
            }
            if let sync {
                print(Message(.statusServer, ["server": .text(sync.server), "user": .text(sync.user), "role": .message(Worded.role(sync.role)),
                                              "time": sync.lastSyncAt.map { .time($0) } ?? .message(Message(.statusNever))]).localized
                      + (sync.token.isEmpty ? Message(.statusHubOnly).localized : ""))
                if let hub = sync.hub { say(sync.token.isEmpty ? .statusHubDefault : .statusHub, ["hub": .text(hub)]) }
                if let skew = sync.skewMs, abs(skew) >= 5 * 60_000 {
                    let said = Message(skew > 0 ? .clockAhead : .clockBehind, ["minutes": .int(Int(abs(skew) / 60_000))])
                    say(.statusClock, ["said": .message(said)])
                }
            } else {
                say(.statusNoServer)
            }
            if !rejected.isEmpty {
                say(.statusRejected, ["count": .int(rejected.count)])
                for r in rejected {
                    say(.statusRejectedLine, ["version": .text(r.id.description), "record": .text(r.record), "field": .text(r.field),
                                              "reason": .message(r.message)])
                }
            }
            if !files.isEmpty {
                say(.statusFiles, ["count": .int(files.count), "unsent": .int(toSend.count), "missing": .int(notHere.count)])
                for f in refusedFiles { say(.statusFileRefused, ["file": .text(f.name), "reason": .message(f.refused!)]) }
            }
            say(.statusForms, ["count": .int(st.forms)])
        }
    }
}
