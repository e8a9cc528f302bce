import ArgumentParser
import Foundation
import Forms
import Store
import Sync
import SyncClient

extension Recolha {
    struct Login: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Log this device in to a sync server; the token is kept in the (owner-only) store.")
        @OptionGroup var store: StoreOptions
        @Option(help: "The server, e.g. https://sync.example.org or http://127.0.0.1:8080.") var server: String
        @Option(help: "Your user name on the server.") var user: String
        @Flag(help: "Read the password from the first line of standard input.") var passwordStdin = false
        @Option(help: "A PEM file of the CA that signed a district server's certificate.") var cacert: String?
        @Option(help: "A name for this device (default: the host name).") var deviceName: String?

        func run() throws {
            let s = try store.open()
            guard let device = try s.device() else { throw StoreError.notInitialized(path: s.path) }
            let password: String
            if passwordStdin {
                password = readLine(strippingNewline: true) ?? ""
            } else {
                guard Console.stdinIsTerminal else { throw CLIError("no terminal to ask the password on: pass --password-stdin", code: .usage) }
                password = getpass("Password for \(user): ").map { String(cString: $0) } ?? ""
            }
            let transport = try CurlTransport(baseURL: server, cacert: cacert, retry: RetryPolicy(attempts: 2))
            let name = deviceName ?? ProcessInfo.processInfo.hostName
            var ids = try s.identity()
            var answer: LoginResponse
            do {
                answer = try SyncClient.Login.run(transport: transport, user: user, password: password, deviceName: name,
                                                  identity: ids.current, previous: ids.previous)
            } catch {
                // Another user's device holds this site: this store is a copy
                // of theirs. Take a new identity and log in as it.
                guard case .refused(409, ErrorCode.siteTaken, _, _) = error else { throw error }
                try s.reassign(site: ids.current.site, from: device.nextSeq)
                ids = try s.identity()
                Console.note("this store is a copy of another user's device: it now writes as its own site \(ids.current.site)")
                answer = try SyncClient.Login.run(transport: transport, user: user, password: password, deviceName: name,
                                                  identity: ids.current, previous: ids.previous)
            }
            let identity = ids.current
            try s.saveLogin(server: server, user: answer.user, role: answer.role, token: answer.token, cacert: cacert, site: identity.site,
                            serverKey: answer.serverKey)
            let renamed = try s.adoptUser(answer.user)
            if device.enumerator != answer.user {
                Console.note("this device now writes as \(answer.user), the name the server knows (it was \(device.enumerator))"
                             + (renamed > 0 ? "; \(renamed) unsent changes re-attributed" : ""))
            }
            print("Logged in to \(server) as \(answer.user) (\(answer.role)). Next: recolha sync")
        }
    }

    struct Sync: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Send this device's changes, receive everyone else's, and fetch new forms.",
            discussion: "Interrupted at any point, the next `recolha sync` finishes the job with nothing lost or duplicated.")
        @OptionGroup var store: StoreOptions
        @Flag(help: "Send draft records too (only finalized ones by default).") var includeDrafts = false
        @Flag(help: "Send again the changes the server rejected (after fixing the cause, e.g. the clock).") var retryRejected = false
        @Option(help: ArgumentHelp(
            "Sync with a supervisor's hub on the local network instead of the server (the address `recolha hub` prints); remembered for a device enrolled through a hub, whose plain `recolha sync` then goes there.",
            valueName: "url")) var hub: String?
        @Flag(help: "Print the summary as JSON.") var json = false

        func run() throws {
            let s = try store.open()
            if let hub {
                try syncWithHub(s, hub)
                try s.rememberHub(hub)
                return
            }
            guard let state = try s.syncState() else { throw SyncError.notLoggedIn }
            // A device enrolled through a hub has no token of its own: its
            // sync goes to the hub it knows until it logs in to the server.
            if state.token.isEmpty, let remembered = state.hub {
                if !json { print("This device has not logged in to the server: syncing with the hub at \(remembered) (`recolha sync --hub URL` for another)") }
                return try syncWithHub(s, remembered)
            }
            if retryRejected { _ = try s.retryRejected() }
            let attempts = Int(ProcessInfo.processInfo.environment["RECOLHA_RETRY_ATTEMPTS"] ?? "") ?? 5
            let transport = try CurlTransport(baseURL: state.server, cacert: state.cacert, retry: RetryPolicy(attempts: max(1, attempts)))
            let engine = SyncEngine(store: s, transport: transport, token: state.token)
            let showProgress = !json && isatty(2) == 1
            if showProgress {
                engine.progress = { p in
                    let count = p.total.map { "\(p.done)/\($0)" } ?? "\(p.done)"
                    FileHandle.standardError.write(Data("\r\(p.phase) \(count) changes   ".utf8))
                }
            }
            let summary = try engine.run(SyncOptions(includeDrafts: includeDrafts))
            if showProgress { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
            let skewMinutes = summary.skewMs / 60_000
            if json {
                JSONOut.print(.object([
                    "sent": .number(Double(summary.sent)), "already_on_server": .number(Double(summary.alreadyOnServer)),
                    "received": .number(Double(summary.received)), "conflicts": .number(Double(summary.conflicts)),
                    "rejected": .array(summary.rejected.map { .object(["id": .string($0.id.description), "reason": .string($0.reason)]) }),
                    "forms_added": .array(summary.formsAdded.map(JSONValue.string)),
                    "clock_skew_ms": .number(Double(summary.skewMs)),
                    "notices": .array(summary.notices.map(JSONValue.string)),
                ]))
            } else {
                print("Synced with \(state.server): sent \(summary.sent), received \(summary.received), "
                      + "conflicts \(summary.conflicts), rejected \(summary.rejected.count)"
                      + (summary.formsAdded.isEmpty ? "" : ", new forms: \(summary.formsAdded.joined(separator: ", "))"))
                for r in summary.rejected { print("  rejected \(r.id): \(r.reason)") }
                for n in summary.notices { print("  note: \(n)") }
                if summary.conflicts > 0 { print("  review conflicts with `recolha conflicts`") }
                let returned = try s.returnedRecords().filter { $0.author == state.user }.count
                if returned > 0 { print("Returned for correction: \(returned) record\(returned == 1 ? "" : "s") (`recolha list --returned`)") }
            }
            if abs(skewMinutes) >= 5 {
                Console.note("warning: this device's clock is \(abs(skewMinutes)) minutes \(skewMinutes > 0 ? "ahead of" : "behind") the server's: set the date and time")
            }
            if !summary.rejected.isEmpty {
                throw CLIError("\(summary.rejected.count) changes were rejected (listed above); they stay on this device: see `recolha status`",
                               code: .partlyRejected)
            }
        }
    }

    struct Conflicts: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List records whose fields were changed in different ways at once, and resolve them.",
            subcommands: [ListConflicts.self, Resolve.self], defaultSubcommand: ListConflicts.self)
    }
}

extension Recolha.Conflicts {
    struct ListConflicts: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List every conflict with each value, who and when.")
        @OptionGroup var store: StoreOptions
        @Flag(help: "Print as JSON.") var json = false

        func run() throws {
            let conflicts = try store.open().conflicts()
            if json {
                JSONOut.print(.array(conflicts.map { c in
                    .object(["record": .string(c.record), "form_id": .string(c.formID), "field": .string(c.field),
                             "values": .array(c.heads.map { h in
                                 .object(["version": .string(h.id.description), "field": .string(h.field),
                                          "value": h.value.flatMap { Answer(json: $0)?.jsonValue } ?? (h.value == nil ? .null : .string(h.value!)),
                                          "author": .string(h.author), "at": .string(Time.iso(h.clock.ms))])
                             })])
                }), keyOrder: ["record", "form_id", "field", "version"])
                return
            }
            if conflicts.isEmpty { print("No conflicts"); return }
            for c in conflicts {
                print("record \(c.record)  field \(c.field):")
                for (i, h) in c.heads.enumerated() {
                    let value = h.value.flatMap { Answer(json: $0)?.display } ?? (h.value ?? "(cleared)")
                    let what = c.field == MetaField.deleted && h.field != MetaField.deleted ? "edit of \(h.field): \(value)" : value
                    print("  \(i == 0 ? "*" : " ") \(h.id)  \(what)  by \(h.author) at \(Time.iso(h.clock.ms))")
                }
            }
            print("Resolve with `recolha conflicts resolve RECORD FIELD --keep VERSION` or `--value V`")
        }
    }

    struct Resolve: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Resolve a conflict: keep one version's value or set a new one (it syncs like any edit).",
            discussion: "For a delete that missed an edit (field _deleted): --value true keeps the delete, --value false restores the record.")
        @OptionGroup var store: StoreOptions
        @Argument(help: "The record id (or a unique prefix).") var recordID: String
        @Argument(help: "The field in conflict.") var field: String
        @Option(help: "The value to keep, typed as for `edit --set`.") var value: String?
        @Option(help: "The version whose value to keep.") var keep: String?

        func validate() throws {
            if (value == nil) == (keep == nil) { throw ValidationError("give exactly one of --value and --keep") }
        }

        func run() throws {
            let s = try store.open()
            let id = try s.resolveRecordID(recordID)
            let json: String?
            if let keep {
                guard let vid = VersionID(keep), let v = try s.versions(record: id).first(where: { $0.id == vid }) else {
                    throw CLIError("no version \(keep) in record \(id): see `recolha conflicts`", code: .notFound)
                }
                json = v.field == field ? v.value : (field == MetaField.deleted ? "false" : v.value)
            } else if field == MetaField.review {
                throw CLIError("for _review keep one of the verdicts with --keep VERSION (see `recolha conflicts`), or write a new one with `recolha review`",
                               code: .usage)
            } else if field == MetaField.deleted {
                guard value == "true" || value == "false" else { throw CLIError("for _deleted give --value true (delete) or false (restore)", code: .usage) }
                json = value
            } else {
                let record = try s.record(id)
                let form = try s.formOfRecord(record)
                guard let q = form.questions[FormRules.name(of: field)] else {
                    throw CLIError("\(field) is not a question of form \(form.id)", code: .usage)
                }
                if value!.isEmpty { json = nil } else {
                    let rules = FormRules(form: form, nowMs: Store.wallClock())
                    switch Answer.parse(value!, for: q, choices: rules.context(record.answers).choices(for: q)) {
                    case .success(let a): json = a.json
                    case .failure(let e): throw StoreError.invalid([AnswerProblem(field: field, reason: e.reason)], finalizing: false)
                    }
                }
            }
            try s.resolve(record: id, field: field, value: json)
            print("Resolved \(field) of record \(id); it syncs with the next `recolha sync`")
        }
    }
}

extension Recolha.Sync {
    /// Hands this device's unconfirmed work to a hub and takes back the
    /// server receipts it holds for this device.
    func syncWithHub(_ s: Store, _ hub: String) throws {
        let attempts = Int(ProcessInfo.processInfo.environment["RECOLHA_RETRY_ATTEMPTS"] ?? "") ?? 5
        let transport = try CurlTransport(baseURL: hub, retry: RetryPolicy(attempts: max(1, attempts)))
        // Bundles are compressed and sealed already.
        transport.compressRequests = false
        let r: HubSync.Summary
        do {
            r = try HubSync.run(store: s, transport: transport, hubURL: hub, now: Store.wallClock())
        } catch {
            // Nothing reached the hub when this device cannot write a bundle yet.
            if case .refused(let status, _, let message, _) = error, status == 0 { throw CLIError(message, code: .refused) }
            throw error
        }
        if json {
            JSONOut.print(.object([
                "hub_user": .string(r.hubUser), "handed": .number(Double(r.handed)), "saves": .number(Double(r.saves)),
                "stored": .number(Double(r.stored)), "already_on_hub": .number(Double(r.already)),
                "confirmed": .number(Double(r.confirmed)), "refused": .array(r.refused.map(JSONValue.string)),
                "received": .number(Double(r.received)), "forms_added": .number(Double(r.formsAdded)),
            ]))
        } else {
            print("Synced with the hub at \(hub) (\(r.hubUser)'s device): handed \(r.handed) changes "
                  + "(\(r.saves == 1 ? "1 save" : "\(r.saves) saves"): \(r.stored) new to the hub, \(r.already) it already held); "
                  + "\(r.confirmed) of your changes confirmed by the server")
            if r.received > 0 || r.formsAdded > 0 {
                print("Received from the hub: \(r.received) saves on your records (reviews, resolutions)"
                      + (r.formsAdded > 0 ? ", \(r.formsAdded) new forms" : ""))
            }
            let me = try s.device()?.enumerator
            let returned = try s.returnedRecords().filter { $0.author == me }.count
            if returned > 0 { print("Returned for correction: \(returned) record\(returned == 1 ? "" : "s") (`recolha list --returned`)") }
            for line in r.refused { print("  refused: \(line)") }
            if r.handed > r.confirmed { print("They stay here until a server receipt confirms them (`recolha status`).") }
        }
        if !r.refused.isEmpty {
            throw CLIError("\(r.refused.count) saves were refused by the hub (listed above); they stay on this device", code: .partlyRejected)
        }
    }
}
