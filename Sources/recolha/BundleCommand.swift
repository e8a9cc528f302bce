import ArgumentParser
import Foundation
import Store
import Sync
import SyncClient

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
                    throw CLIError(e.description, code: e.notFound ? .notFound : .refused)
                }
                let content = written.content, readers = written.readers, versions = written.versions
                do {
                    try written.sealed.write(to: URL(fileURLWithPath: out), options: .atomic)
                } catch {
                    throw CLIError("cannot write \(out): \((error as NSError).localizedDescription)", code: .failed)
                }
                try s.markHanded(content.changesets, to: (out as NSString).lastPathComponent, at: now)
                let names = ["the server"] + readers.map { "\($0.user)'s \"\($0.name)\"" }
                if json {
                    JSONOut.print(.object([
                        "file": .string(out), "changesets": .number(Double(content.changesets.count)), "versions": .number(Double(versions)),
                        "receipts": .number(Double(content.receipts.count)), "readers": .array(names.map { .string($0) }),
                    ]))
                } else if let user {
                    print("Wrote \(out): \(content.receipts.count) server receipts for \(user)'s work. Readable only by: \(names.joined(separator: ", ")).")
                } else {
                    print("Wrote \(out): \(versions) changes (\(content.changesets.count == 1 ? "1 save" : "\(content.changesets.count) saves")) not yet confirmed by the server. Readable only by: \(names.joined(separator: ", ")).")
                    print("Hand it to your supervisor; the changes stay here until a server receipt confirms them.")
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
                guard let size else { throw CLIError("no bundle at \(file)", code: .notFound) }
                guard size <= BundleEnvelope.maxBytes, let data = FileManager.default.contents(atPath: file) else {
                    throw CLIError("\(file) is not a Recolha bundle (too large or unreadable)", code: .refused)
                }
                let content: BundleContent
                do {
                    content = try BundleFile.read(data, with: s)
                } catch let e as BundleError {
                    throw CLIError("\(file): \(e.description)", code: .refused)
                } catch let e as BundleFile.Failure {
                    throw CLIError("\(file): \(e.description)", code: .refused)
                }
                let r = try s.importBundle(content)
                if json {
                    JSONOut.print(.object([
                        "from": .string(content.from.rawValue), "from_user": .string(content.fromUser),
                        "stored": .number(Double(r.stored)), "already": .number(Double(r.already)),
                        "confirmed": .number(Double(r.confirmed)), "receipts_kept": .number(Double(r.receiptsKept)),
                        "refused": .array(r.refused.map { .string($0) }), "forms_added": .number(Double(r.formsAdded)),
                    ]))
                } else {
                    let relays = ["supervisor", "admin"].contains(try s.syncState()?.role ?? "")
                    print("Imported \(file) from \(content.fromUser)'s device (site \(content.from)): \(r.stored) new saves"
                          + (relays ? " to relay to the server" : "") + ", \(r.already) already here"
                          + (r.confirmed > 0 ? "; \(r.confirmed) of your changes confirmed by the server" : "")
                          + (r.receiptsKept > 0 ? "; \(r.receiptsKept) receipts kept for their devices" : "")
                          + (r.formsAdded > 0 ? "; \(r.formsAdded) new forms" : ""))
                    let me = try s.device()?.enumerator
                    let returned = try s.returnedRecords().filter { $0.author == me }.count
                    if returned > 0 { print("Returned for correction: \(returned) record\(returned == 1 ? "" : "s") (`recolha list --returned`)") }
                    for line in r.refused { print("  refused: \(line)") }
                    for n in r.notices { Console.note("note: " + n) }
                    if r.stored > 0 && relays { print("Next: recolha sync (when there is a connection) relays them.") }
                }
                if !r.refused.isEmpty {
                    throw CLIError("\(r.refused.count) parts of the bundle were refused (listed above); the rest was imported", code: .refused)
                }
            }
        }
    }
}
