import ArgumentParser
import Foundation
import Forms
import Store
import Sync
import SyncClient
import Words

extension Recolha {
    /// A new device that has never reached the server joins through a supervisor's hub.
    struct Enrol: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Join the team through a supervisor's hub, without the internet: type the code the hub shows.",
            discussion: """
                The supervisor's device signs this device's enrolment and carries it to the server with \
                its next sync; the server then accepts this device's work relayed by the supervisor. \
                This device receives the forms and the keys its bundles are sealed to.
                """)
        @OptionGroup var store: StoreOptions
        @Option(help: ArgumentHelp("The hub's address (`recolha hub` prints it).", valueName: "url")) var hub: String
        @Option(help: ArgumentHelp("Your user name on the server.", valueName: "name")) var user: String
        @Option(help: ArgumentHelp("The code the hub shows.", valueName: "code")) var code: String
        @Option(help: "A name for this device (default: its host name).") var deviceName = ProcessInfo.processInfo.hostName

        func run() throws {
            let s = try store.open()
            let identity = try s.identity().current
            let transport = try CurlTransport(baseURL: hub, retry: RetryPolicy(attempts: 3))
            let body = try JSONEncoder().encode(HubEnrolRequest(user: user, deviceName: deviceName, identity: identity, code: code))
            let response: HTTPResponse
            do {
                response = try transport.send(HTTPRequest(method: "POST", path: "/v1/hub/enrol",
                                                          headers: ["Content-Type": "application/json"], body: body))
            } catch {
                throw CLIError(.enrolUnreachable, ["hub": .text(hub), "reason": .message(error.words)], code: .unreachable)
            }
            guard response.status == 200 else {
                let body = try? JSONDecoder().decode(ErrorBody.self, from: response.body)
                let said = body.flatMap { SyncError.worded(code: $0.error) } ?? .verbatim(body?.message ?? "HTTP \(response.status)")
                throw CLIError(.enrolRefused, ["reason": .message(said)], code: .serverRefused)
            }
            guard let answer = try? JSONDecoder().decode(HubEnrolAnswer.self, from: response.body) else {
                throw CLIError(.hubUnreadable, code: .unreachable)
            }
            var added = 0
            for definition in answer.forms {
                guard let form = try? Form.load(json: Data(definition.utf8)) else { continue }
                if case .added = try s.addForm(form) { added += 1 }
            }
            try s.adoptUser(user)
            // No token yet: this device syncs through relays until it logs in.
            try s.saveLogin(server: answer.server, user: user, role: "enumerator", token: "", cacert: nil, site: identity.site,
                            serverKey: answer.serverKey)
            try s.saveRecipients(answer.recipients)
            try s.rememberHub(hub)
            say(.enrolDone, ["user": .text(user), "hubUser": .text(answer.hubUser), "site": .text(identity.site.rawValue), "count": .int(added)])
            say(.enrolNext, ["hubUser": .text(answer.hubUser)])
        }
    }
}
