import ArgumentParser
import Foundation
import Hub
import Logging
import Store
import Words

extension Recolha {
    /// A supervisor's laptop serves the team on a local network.
    struct HubCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "hub",
            abstract: "Serve the team on a local network: enumerators run `recolha sync --hub URL` to hand their work to this device.",
            discussion: """
                What they hand over is stored here with every signature checked and goes to the server \
                with this device's next `recolha sync`; the server's receipts for their work go back to \
                them at their next exchange with this hub. Everything that crosses the network is a \
                sealed bundle, readable only by the devices it is for. Stop with Ctrl-C.
                """)
        @OptionGroup var store: StoreOptions
        @Option(help: "Address to listen on (0.0.0.0: every network of this laptop).") var host = "0.0.0.0"
        @Option(help: "Port (0 picks a free one; the line `listening on` says which).") var port = 8090
        /// For a supervising process (the tests): stop when standard input closes.
        @Flag(help: .hidden) var stopWhenStdinCloses = false

        func run() async throws {
            let s = try store.open()
            guard let state = try s.syncState(), state.role == "supervisor" || state.role == "admin" else {
                throw CLIError(.hubOnlySupervisors, code: .refused)
            }
            guard try s.recipients().serverKey != nil else {
                throw CLIError(.hubNeedsSync, code: .refused)
            }
            LoggingSystem.bootstrap { label in
                var h = StreamLogHandler.standardError(label: label)
                h.logLevel = .info
                return h
            }
            let host = self.host
            let user = state.user
            let service = HubService(store: s, onNewCode: { code in
                say(.hubCode, ["code": .text(code)])
                fflush(nil)
            })
            let app = HubServer.application(service, host: host, port: port, logger: Logger(label: "recolha-hub")) { port in
                say(.hubListening, ["host": .text(host), "port": .text(String(port)), "user": .text(user)])
                fflush(nil)
            }
            if stopWhenStdinCloses {
                Thread.detachNewThread {
                    while FileHandle.standardInput.availableData.count > 0 {}
                    kill(getpid(), SIGTERM)
                }
            }
            try await app.runService()
        }
    }
}
