import ArgumentParser
import Foundation
import Store
import Sync
import SyncClient
import Words

/// The field CLI: capture surveys offline into a local store.
@main
struct Recolha: AsyncParsableCommand {
    // Computed: the exit codes are told in the language of the environment.
    static var configuration: CommandConfiguration { CommandConfiguration(
        commandName: "recolha",
        abstract: "Capture health-facility surveys offline; every save is ready to sync.",
        discussion: Message(.exitCodes).localized,
        version: "recolha \(Release.version) (sync protocol \(WireProtocol.version), SQLite \(Store.sqliteVersion), libcurl \(CurlTransport.libcurlVersion))",
        subcommands: [
            Init.self, FormsCommand.self, Capture.self, Edit.self, Finalize.self, List.self, Show.self,
            Delete.self, Review.self, Export.self, Status.self, Login.self, Sync.self, Conflicts.self, BundleCommand.self, HubCommand.self, Enrol.self,
            LanguageCommand.self,
        ]) }

    static func main() async {
        umask(0o077)
        // A file size limit should fail the write (and roll it back), not kill us.
        signal(SIGXFSZ, SIG_IGN)
        CurlTransport.initialize()
        // The environment's language until --lang or the store says otherwise.
        if let (code, _) = LanguageChoice.environment(), let language = Lang(rawValue: code) { Lang.current = language }
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
            Console.error(error.message)
            Foundation.exit(ExitStatus.of(error).rawValue)
        } catch let error as StoreError {
            Console.error(error.message)
            Foundation.exit(ExitStatus.of(error).rawValue)
        } catch {
            let code = exitCode(for: error)
            if let language = UsageText.languageFromArguments() { Lang.current = language }
            let message = UsageText.localized(fullMessage(for: error))
            if code == .success {
                if !message.isEmpty { print(message) }
                Foundation.exit(0)
            }
            FileHandle.standardError.write(Data((message + "\n").utf8))
            Foundation.exit(code == .validationFailure ? ExitStatus.usage.rawValue : code.rawValue)
        }
    }
}
