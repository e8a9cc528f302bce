import ArgumentParser
import Foundation
import Store
import Sync
import SyncClient

/// The field CLI: capture surveys offline into a local store.
@main
struct Recolha: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recolha",
        abstract: "Capture health-facility surveys offline; every save is ready to sync.",
        discussion: """
            Exit codes: 0 done, 1 failed, 2 bad usage, 3 answers refused (listed),
            4 unknown form or record, 5 store unusable (missing, not a store, newer, disk full),
            6 nothing could reach the server, 7 the server refused, 8 synced but some changes were rejected.
            """,
        version: "recolha \(Release.version) (sync protocol \(WireProtocol.version), SQLite \(Store.sqliteVersion), libcurl \(CurlTransport.libcurlVersion))",
        subcommands: [
            Init.self, FormsCommand.self, Capture.self, Edit.self, Finalize.self, List.self, Show.self,
            Delete.self, Review.self, Export.self, Status.self, Login.self, Sync.self, Conflicts.self, BundleCommand.self, HubCommand.self, Enrol.self,
            LanguageCommand.self,
        ])

    static func main() async {
        umask(0o077)
        // A file size limit should fail the write (and roll it back), not kill us.
        signal(SIGXFSZ, SIG_IGN)
        CurlTransport.initialize()
        do {
            var command = try parseAsRoot()
            if var serving = command as? AsyncParsableCommand {
                try await serving.run()
            } else {
                try command.run()
            }
        } catch let error as CLIError {
            Console.error(error.message)
            Foundation.exit(error.code.rawValue)
        } catch let error as SyncError {
            Console.error(error.description)
            Foundation.exit(ExitStatus.of(error).rawValue)
        } catch let error as StoreError {
            Console.error(error.description)
            Foundation.exit(ExitStatus.of(error).rawValue)
        } catch {
            let code = exitCode(for: error)
            let message = fullMessage(for: error)
            if code == .success {
                if !message.isEmpty { print(message) }
                Foundation.exit(0)
            }
            FileHandle.standardError.write(Data((message + "\n").utf8))
            Foundation.exit(code == .validationFailure ? ExitStatus.usage.rawValue : code.rawValue)
        }
    }
}
