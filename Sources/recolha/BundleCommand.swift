import ArgumentParser
import Foundation
import Store
import Sync
import SyncClient
import Words

extension Recolha {
    /// Sync on a USB stick: this device's work out to a relay, receipts back.
    struct BundleCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "bundle",
            abstract: "Carry work to and from a supervisor on a USB stick: one encrypted file each way.",
            discussion: """
                An enumerator writes `recolha bundle export --out FILE`; the supervisor imports it, and \
                their next `recolha sync` relays it to the server, which checks every signature. The \
                supervisor's `recolha bundle export --for USER --out FILE` carries the server's receipts \
                back. A bundle is encrypted to the server and the devices that may read it: a lost stick \
                leaks nothing. Importing the same bundle twice, or work that also came another way, \
                changes nothing the second time.
                """,
            subcommands: [Export.self, Import.self])

        struct Export: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Write this device's unconfirmed work (or, with --for, what a team member is owed) to an encrypted file.")
            @OptionGroup var store: StoreOptions
            @Option(help: ArgumentHelp("The bundle file to write.", valueName: "file")) var out: String
            @Option(name: .customLong("for"), help: ArgumentHelp(
                "On a supervisor's device: the user whose devices the bundle is for (the server's receipts for their work).",
                valueName: "user")) var user: String?
            @Flag(help: "Print the result as JSON.") var json = false

            func run() throws {
                let s = try store.open()
                let now = Store.wallClock()
                let written: BundleFile.Written
                do {
                    written = try BundleFile.write(s, for: user, now: now)
                } catch let e as BundleFile.Failure {
                    throw CLIError(e.message, code: e.notFound ? .notFound : .refused)
                }
                let content = written.content, readers = written.readers, versions = written.versions
                do {
                    try written.sealed.write(to: URL(fileURLWithPath: out), options: .atomic)
                } catch {
                    throw CLIError(.cannotWrite, ["path": .text(out), "reason": .text((error as NSError).localizedDescription)], code: .failed)
                }
                try s.markHanded(content.changesets, to: (out as NSString).lastPathComponent, at: now)
                let names = [Message(.bundleServer).localized] + readers.map { "\($0.user) (\"\($0.name)\")" }
                if json {
                    JSONOut.print(.object([
                        "file": .string(out), "changesets": .number(Double(content.changesets.count)), "versions": .number(Double(versions)),
                        "receipts": .number(Double(content.receipts.count)), "readers": .array(names.map { .string($0) }),
                        "files": .number(Double(content.media?.count ?? 0)),
                    ]))
                } else if let user {
                    say(.bundleWroteReceipts, ["path": .text(out), "count": .int(content.receipts.count), "user": .text(user), "names": .text(names.joined(separator: ", "))])
                } else {
                    say(.bundleWrote, ["path": .text(out), "count": .int(versions), "saves": .int(content.changesets.count), "names": .text(names.joined(separator: ", "))])
                    if let media = content.media, !media.isEmpty { say(.bundleFiles, ["count": .int(media.count)]) }
                    say(.bundleHandIt)
                }
            }
        }

        struct Import: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Verify and store what a bundle carries: team members' work to relay, or the server's receipts for yours.")
            @OptionGroup var store: StoreOptions
            @Argument(help: ArgumentHelp("The bundle file.", valueName: "file")) var file: String
            @Flag(help: "Print the result as JSON.") var json = false

            func run() throws {
                let s = try store.open()
                let size = (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? Int) ?? nil
                guard let size else { throw CLIError(.bundleMissing, ["path": .text(file)], code: .notFound) }
                guard size <= BundleEnvelope.maxBytes, let data = FileManager.default.contents(atPath: file) else {
                    throw CLIError(.bundleNotABundle, ["path": .text(file)], code: .refused)
                }
                let content: BundleContent
                do {
                    content = try BundleFile.read(data, with: s)
                } catch let e as BundleError {
                    throw CLIError(.bundleFileSaid, ["path": .text(file), "reason": .message(e.message)], code: .refused)
                } catch let e as BundleFile.Failure {
                    throw CLIError(.bundleFileSaid, ["path": .text(file), "reason": .message(e.message)], code: .refused)
                }
                let r = try s.importBundle(content)
                if json {
                    JSONOut.print(.object([
                        "from": .string(content.from.rawValue), "from_user": .string(content.fromUser),
                        "stored": .number(Double(r.stored)), "already": .number(Double(r.already)),
                        "confirmed": .number(Double(r.confirmed)), "receipts_kept": .number(Double(r.receiptsKept)),
                        "refused": .array(r.refused.map { .string($0.description) }), "forms_added": .number(Double(r.formsAdded)),
                        "files_stored": .number(Double(r.filesStored)),
                    ]))
                } else {
                    let relays = ["supervisor", "admin"].contains(try s.syncState()?.role ?? "")
                    var line = [Message(.bundleImported, ["path": .text(file), "user": .text(content.fromUser), "site": .text(content.from.rawValue),
                                                          "count": .int(r.stored)])]
                    if relays { line.append(Message(.bundleToRelay)) }
                    line.append(Message(.bundleAlreadyHere, ["count": .int(r.already)]))
                    if r.confirmed > 0 { line.append(Message(.bundleConfirmedYours, ["count": .int(r.confirmed)])) }
                    if r.receiptsKept > 0 { line.append(Message(.bundleReceiptsKept, ["count": .int(r.receiptsKept)])) }
                    if r.formsAdded > 0 { line.append(Message(.bundleNewForms, ["count": .int(r.formsAdded)])) }
                    if r.filesStored > 0 { line.append(Message(.bundleNewFiles, ["count": .int(r.filesStored)])) }
                    print(line.map(\.localized).joined())
                    let me = try s.device()?.enumerator
                    let returned = try s.returnedRecords().filter { $0.author == me }.count
                    if returned > 0 { say(.syncReturned, ["count": .int(returned)]) }
                    for line in r.refused { say(.refusedLine, ["reason": .message(line)]) }
                    for n in r.notices { Console.note(n) }
                    if r.stored > 0 && relays { say(.bundleRelayNext) }
                }
                if !r.refused.isEmpty {
                    throw CLIError(.bundleSomeRefused, ["count": .int(r.refused.count)], code: .refused)
                }
            }
        }
    }
}
