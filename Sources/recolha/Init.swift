import ArgumentParser
import Store

extension Recolha {
    struct Init: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make a new store for this device and its enumerator.")

        @OptionGroup var store: StoreOptions
        @Option(help: "Who captures on this device (recorded as the author of every change).")
        var enumerator: String
        @Option(name: .customLong("lang"), help: "The language this device's person reads, kept in the store: en or pt (change it with `recolha language`).")
        var language: String?
        @Flag(help: "Print the result as JSON.") var json = false

        func validate() throws {
            if enumerator.trimmingCharacters(in: .whitespaces).isEmpty {
                throw ValidationError("--enumerator needs a name")
            }
            if let language, !LanguageCommand.codes.contains(language.lowercased()) {
                throw ValidationError("--lang must be en or pt, not \(language)")
            }
        }

        func run() throws {
            let s = try store.open(create: true)
            let device = try s.initialize(enumerator: enumerator)
            if let language { try s.setLanguage(language.lowercased()) }
            if json {
                JSONOut.print(.object(["store": .string(s.path), "site_id": .string(device.site.rawValue),
                                       "enumerator": .string(device.enumerator)]))
            } else {
                print("Store ready at \(s.path)")
                print("Device \(device.site) for enumerator \(device.enumerator). Next: recolha forms add FILE")
            }
        }
    }
}
