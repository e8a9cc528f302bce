import ArgumentParser
import Foundation
import Forms
import Store
import Sync
import SyncClient
import Words

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
                guard Console.stdinIsTerminal else { throw CLIError(.loginNoTerminal, code: .usage) }
                password = getpass(Message(.loginPassword, ["user": .text(user)]).localized).map { String(cString: $0) } ?? ""
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
                Console.note(Message(.loginCopy, ["site": .text(ids.current.site.rawValue)]))
                answer = try SyncClient.Login.run(transport: transport, user: user, password: password, deviceName: name,
                                                  identity: ids.current, previous: ids.previous)
            }
            let identity = ids.current
            try s.saveLogin(server: server, user: answer.user, role: answer.role, token: answer.token, cacert: cacert, site: identity.site,
                            serverKey: answer.serverKey)
            let renamed = try s.adoptUser(answer.user)
            if device.enumerator != answer.user {
                Console.note(Message(renamed > 0 ? .loginRenamedCount : .loginRenamed,
                                     ["user": .text(answer.user), "was": .text(device.enumerator), "count": .int(renamed)]))
            }
            say(.loginDone, ["server": .text(server), "user": .text(answer.user), "role": .message(Worded.role(answer.role))])
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
                if !json { say(.syncToRememberedHub, ["hub": .text(remembered)]) }
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
                    let phase = Message(p.phase == "push" ? .phasePush : .phasePull)
                    let line = Message(.syncProgress, ["phase": .message(phase), "count": .text(count)]).localized
                    FileHandle.standardError.write(Data("\r\(line)   ".utf8))
                }
            }
            let summary = try engine.run(SyncOptions(includeDrafts: includeDrafts))
            if showProgress { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
            let skewMinutes = summary.skewMs / 60_000
            if json {
                JSONOut.print(.object([
                    "sent": .number(Double(summary.sent)), "already_on_server": .number(Double(summary.alreadyOnServer)),
                    "received": .number(Double(summary.received)), "conflicts": .number(Double(summary.conflicts)),
                    "rejected": .array(summary.rejected.map { r in
                        .object(["id": .string(r.id.description), "reason": .string(r.reason), "code": r.message.map { .string($0.key.rawValue) } ?? .null])
                    }),
                    "forms_added": .array(summary.formsAdded.map(JSONValue.string)),
                    "clock_skew_ms": .number(Double(summary.skewMs)),
                    "files_sent": .number(Double(summary.filesSent)), "files_resumed": .number(Double(summary.filesResumed)),
                    "files_received": .number(Double(summary.filesReceived)), "files_waiting": .number(Double(summary.filesWaiting)),
                    "notices": .array(summary.notices.map { .string($0.description) }),
                ]))
            } else {
                print(Message(.syncSummary, ["server": .text(state.server), "sent": .int(summary.sent), "received": .int(summary.received),
                                             "conflicts": .int(summary.conflicts), "rejected": .int(summary.rejected.count)]).localized
                      + (summary.formsAdded.isEmpty ? "" : Message(.syncNewForms, ["forms": .text(summary.formsAdded.joined(separator: ", "))]).localized))
                if summary.filesSent + summary.filesReceived + summary.filesWaiting > 0 {
                    say(.syncFiles, ["sent": .int(summary.filesSent), "resumed": .int(summary.filesResumed),
                                     "received": .int(summary.filesReceived), "waiting": .int(summary.filesWaiting)])
                }
                for r in summary.rejected { say(.syncRejectedLine, ["version": .text(r.id.description), "reason": .message(r.worded)]) }
                for n in summary.notices { say(.syncNoteLine, ["message": .message(n)]) }
                if summary.conflicts > 0 { say(.syncSeeConflicts) }
                let returned = try s.returnedRecords().filter { $0.author == state.user }.count
                if returned > 0 { say(.syncReturned, ["count": .int(returned)]) }
            }
            if abs(skewMinutes) >= 5 {
                Console.warning(Message(skewMinutes > 0 ? .clockAhead : .clockBehind, ["minutes": .int(Int(abs(skewMinutes)))]))
            }
            if !summary.rejected.isEmpty {
                throw CLIError(.syncSomeRejected, ["count": .int(summary.rejected.count)], code: .partlyRejected)
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
            if conflicts.isEmpty { say(.conflictsNone); return }
            for c in conflicts {
                say(.conflictsHead, ["record": .text(c.record), "field": .text(c.field)])
                for (i, h) in c.heads.enumerated() {
                    let value = h.value.flatMap { Answer(json: $0)?.display } ?? (h.value ?? Message(.conflictsCleared).localized)
                    let what = c.field == MetaField.deleted && h.field != MetaField.deleted
                        ? Message(.conflictsEditOf, ["field": .text(h.field), "value": .text(value)]).localized : value
                    say(.conflictsLine, ["mark": .text(i == 0 ? "*" : " "), "version": .text(h.id.description), "value": .text(what),
                                         "author": .text(h.author), "time": .time(h.clock.ms)])
                }
            }
            say(.conflictsHowTo)
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
            if (value == nil) == (keep == nil) { throw ValidationError(Message(.conflictsValueOrKeep).localized) }
        }

        func run() throws {
            let s = try store.open()
            let id = try s.resolveRecordID(recordID)
            let json: String?
            if let keep {
                guard let vid = VersionID(keep), let v = try s.versions(record: id).first(where: { $0.id == vid }) else {
                    throw CLIError(.conflictsNoVersion, ["version": .text(keep), "record": .text(id)], code: .notFound)
                }
                json = v.field == field ? v.value : (field == MetaField.deleted ? "false" : v.value)
            } else if field == MetaField.review {
                throw CLIError(.conflictsReviewKeep, code: .usage)
            } else if field == MetaField.deleted {
                guard value == "true" || value == "false" else { throw CLIError(.conflictsDeletedValue, code: .usage) }
                json = value
            } else {
                let record = try s.record(id)
                let form = try s.formOfRecord(record)
                guard let q = form.questions[FormRules.name(of: field)] else {
                    throw CLIError(.conflictsNotAQuestion, ["field": .text(field), "form": .text(form.id)], code: .usage)
                }
                if value!.isEmpty { json = nil } else {
                    let rules = FormRules(form: form, nowMs: Store.wallClock())
                    switch try s.answer(value!, for: q, choices: rules.context(record.answers).choices(for: q)) {
                    case .success(let a): json = a.json
                    case .failure(let e): throw StoreError.invalid([AnswerProblem(field: field, reason: e.message)], finalizing: false)
                    }
                }
            }
            try s.resolve(record: id, field: field, value: json)
            say(.conflictsResolved, ["field": .text(field), "record": .text(id)])
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
            if case .refused(let status, let code, let message, _) = error, status == 0 {
                throw CLIError(SyncError.refused(status: 0, code: code, message: message).message, code: .refused)
            }
            throw error
        }
        if json {
            JSONOut.print(.object([
                "hub_user": .string(r.hubUser), "handed": .number(Double(r.handed)), "saves": .number(Double(r.saves)),
                "stored": .number(Double(r.stored)), "already_on_hub": .number(Double(r.already)),
                "confirmed": .number(Double(r.confirmed)), "refused": .array(r.refused.map { .string($0.description) }),
                "received": .number(Double(r.received)), "forms_added": .number(Double(r.formsAdded)),
                "files_handed": .number(Double(r.filesHanded)),
            ]))
        } else {
            say(.hubSynced, ["hub": .text(hub), "hubUser": .text(r.hubUser), "handed": .int(r.handed), "saves": .int(r.saves),
                             "stored": .int(r.stored), "already": .int(r.already), "confirmed": .int(r.confirmed)])
            if r.filesHanded > 0 { say(.bundleFiles, ["count": .int(r.filesHanded)]) }
            if r.received > 0 || r.formsAdded > 0 {
                say(r.formsAdded > 0 ? .hubReceivedForms : .hubReceived, ["count": .int(r.received), "forms": .int(r.formsAdded)])
            }
            let me = try s.device()?.enumerator
            let returned = try s.returnedRecords().filter { $0.author == me }.count
            if returned > 0 { say(.syncReturned, ["count": .int(returned)]) }
            for line in r.refused { say(.refusedLine, ["reason": .message(line)]) }
            if r.handed > r.confirmed { say(.hubStayHere) }
        }
        if !r.refused.isEmpty {
            throw CLIError(.hubSomeRefused, ["count": .int(r.refused.count)], code: .partlyRejected)
        }
    }
}
