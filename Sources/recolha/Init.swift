import ArgumentParser
import Store
import Words

extension Recolha {
    struct Init: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make a new store for this device and its enumerator.")

        @OptionGroup var store: StoreOptions
        @Option(help: "Who captures on this device (recorded as the author of every change).")
        var enumerator: String
        @Flag(help: "Print the result as JSON.") var json = false

        func validate() throws {
            if enumerator.trimmingCharacters(in: .whitespaces).isEmpty {
                throw ValidationError(Message(.initNeedsName).localized)
            }
        }

        func run() throws {
            let s = try store.open(create: true)
            let device = try s.initialize(enumerator: enumerator)
            // --lang at init is this device person's language: kept in the store.
            if let lang = store.lang { try s.setLanguage(lang.lowercased()) }
            if json {
                JSONOut.print(.object(["store": .string(s.path), "site_id": .string(device.site.rawValue),
                                       "enumerator": .string(device.enumerator)]))
            } else {
                say(.initReady, ["path": .text(s.path)])
                say(.initDevice, ["site": .text(device.site.rawValue), "enumerator": .text(device.enumerator)])
            }
        }
    }
}
