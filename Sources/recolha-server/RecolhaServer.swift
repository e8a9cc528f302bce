import ArgumentParser
import Console
import Foundation
import Logging
import Sync
import SyncServer
import XLSForm

/// The sync server and its administration.
@main
struct RecolhaServer: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recolha-server",
        abstract: "The Recolha sync server: users, devices, forms, and serving sync over HTTP(S).",
        discussion: "Exit codes: 0 done, 1 failed, 2 bad usage, 3 refused (exists, changed form), 4 not found.",
        version: "recolha-server \(Release.version) (sync protocol \(WireProtocol.version), SQLite \(SQLiteStorage.sqliteVersion))",
        subcommands: [Init.self, Users.self, Devices.self, Forms.self, Serve.self, Export.self, Import.self])

    static func main() async {
        umask(0o077)
        do {
            var command = try parseAsRoot()
            if var async = command as? any AsyncParsableCommand { try await async.run() } else { try command.run() }
        } catch let e as AdminError {
            FileHandle.standardError.write(Data("error: \(e.message)\n".utf8))
            Foundation.exit(e.code)
        } catch let e as ServerSetupError {
            FileHandle.standardError.write(Data("error: \(e.description)\n".utf8))
            Foundation.exit(3)
        } catch let e as ServerError {
            FileHandle.standardError.write(Data("error: \(e.message)\n".utf8))
            Foundation.exit(3)
        } catch {
            let code = exitCode(for: error)
            let message = fullMessage(for: error)
            if code == .success { if !message.isEmpty { print(message) }; Foundation.exit(0) }
            FileHandle.standardError.write(Data("error: \(message)\n".utf8))
            Foundation.exit(code == .validationFailure ? 2 : code.rawValue)
        }
    }
}

struct AdminError: Error {
    var message: String
    var code: Int32
    init(_ message: String, code: Int32 = 1) { self.message = message; self.code = code }
}

struct DataOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The server's data folder for embedded SQLite (else $RECOLHA_SERVER_DATA).", valueName: "dir"))
    var data: String?
    @Option(help: ArgumentHelp("Use PostgreSQL instead of SQLite: postgres://USER:PASSWORD@HOST:PORT/DB (else $RECOLHA_POSTGRES_URL).",
                               valueName: "url"))
    var postgres: String?

    var postgresURL: String? {
        if let postgres { return postgres }
        if data != nil { return nil }
        if let url = ProcessInfo.processInfo.environment["RECOLHA_POSTGRES_URL"], !url.isEmpty { return url }
        return nil
    }

    var folder: String {
        get throws {
            if let data { return data }
            if let d = ProcessInfo.processInfo.environment["RECOLHA_SERVER_DATA"], !d.isEmpty { return d }
            throw ValidationError("pass --data DIR (or set RECOLHA_SERVER_DATA)")
        }
    }

    /// The storage these options name: PostgreSQL when a URL is given, else
    /// the SQLite file in the data folder.
    func storage(create: Bool = false) async throws -> any ServerStorage {
        if let url = postgresURL { return try await PostgresStorage(url: url) }
        return try sqlite(create: create)
    }

    func sqlite(create: Bool = false) throws -> SQLiteStorage {
        let dir = try folder
        if create {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        }
        let storage = try SQLiteStorage(path: dir + "/server.sqlite", create: create)
        if let notice = storage.upgradeNotice { FileHandle.standardError.write(Data(("note: " + notice + "\n").utf8)) }
        return storage
    }
}

extension RecolhaServer {
    struct Init: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create the server's data folder and database.")
        @OptionGroup var data: DataOptions
        func run() async throws {
            if data.postgresURL != nil {
                _ = try await data.storage()
                print("PostgreSQL database ready. Next: recolha-server users add NAME --role admin --postgres URL")
                return
            }
            let storage = try data.sqlite(create: true)
            print("Server data ready at \(storage.path). Next: recolha-server users add NAME --role admin")
        }
    }

    struct Users: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add, list and disable users.",
                                                        subcommands: [Add.self, List.self, Disable.self, Enable.self])

        struct Add: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Add a user (password from a prompt or --password-stdin).")
            @OptionGroup var data: DataOptions
            @Argument(help: "The user name.") var name: String
            @Option(help: "enumerator, supervisor or admin.") var role: String
            @Flag(help: "Read the password from the first line of standard input.") var passwordStdin = false

            func validate() throws {
                guard Role(rawValue: role) != nil else { throw ValidationError("--role must be enumerator, supervisor or admin, not \(role)") }
                guard name.range(of: "^[A-Za-z0-9_.-]{1,64}$", options: .regularExpression) != nil else {
                    throw ValidationError("a user name is 1 to 64 letters, digits, _ . or -")
                }
            }

            func run() async throws {
                let password = try Password.read(fromStdin: passwordStdin)
                let storage = try await data.storage()
                do {
                    try await storage.createUser(UserRecord(name: name, role: Role(rawValue: role)!,
                                                            passwordHash: Credentials.hashPassword(password), createdAt: ServerClock.nowMs()))
                } catch let e as ServerSetupError {
                    throw AdminError(e.description, code: 3)
                }
                print("Added \(role) \(name)")
            }
        }

        struct List: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "List users.")
            @OptionGroup var data: DataOptions
            func run() async throws {
                for u in try await data.storage().users() {
                    print("\(u.name)  \(u.role.rawValue)\(u.disabled ? "  disabled" : "")")
                }
            }
        }

        struct Disable: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Disable a user: their devices are refused at once.")
            @OptionGroup var data: DataOptions
            @Argument var name: String
            func run() async throws { try await setDisabled(name, true, in: data) }
        }

        struct Enable: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Enable a disabled user.")
            @OptionGroup var data: DataOptions
            @Argument var name: String
            func run() async throws { try await setDisabled(name, false, in: data) }
        }

        static func setDisabled(_ name: String, _ disabled: Bool, in data: DataOptions) async throws {
            guard try await data.storage().setDisabled(user: name, disabled) else { throw AdminError("no user \(name)", code: 4) }
            print("\(disabled ? "Disabled" : "Enabled") \(name)")
        }
    }

    struct Devices: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List and revoke device tokens.", subcommands: [List.self, Revoke.self])

        struct List: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "List devices that logged in.")
            @OptionGroup var data: DataOptions
            func run() async throws {
                let storage = try await data.storage()
                let devices = try await storage.devices()
                let byID = Dictionary(devices.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
                let relayed = Dictionary(try await storage.relayedArrivals().map { ($0.site, $0) }, uniquingKeysWith: { a, _ in a })
                func time(_ ms: Int64?) -> String {
                    guard let ms else { return "never" }
                    let f = ISO8601DateFormatter()
                    return f.string(from: Date(timeIntervalSince1970: Double(ms) / 1000))
                }
                for d in devices {
                    var line = "\(d.id)  \(d.user)  \(d.name)  site \(d.site)\(d.revoked ? "  revoked" : "")  last direct sync \(time(d.lastSeenAt))"
                    if let r = relayed[d.site] {
                        let via = byID[r.carriedBy].map { "\($0.user)'s \"\($0.name)\"" } ?? "device \(r.carriedBy)"
                        line += "  last relayed arrival \(time(r.at)) through \(via)"
                    }
                    print(line)
                }
            }
        }

        struct Revoke: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Revoke a device's token.")
            @OptionGroup var data: DataOptions
            @Argument(help: "The device id (from `devices list`).") var id: String
            func run() async throws {
                guard try await data.storage().revokeDevice(id: id) else { throw AdminError("no device \(id)", code: 4) }
                print("Revoked device \(id)")
            }
        }
    }

    struct Forms: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Publish forms to devices.", subcommands: [Publish.self])

        struct Publish: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Check a form definition and publish it.")
            @OptionGroup var data: DataOptions
            @Argument(help: "An XLSForm workbook (.xlsx) or a form definition (.json).") var file: String
            @Option(parsing: .upToNextOption, help: "Files published with the form: the CSV, XML or GeoJSON choices of each select_one_from_file, and the CSV each pulldata() or instance() reads.")
            var media: [String] = []
            func run() async throws {
                guard let bytes = FileManager.default.contents(atPath: file) else { throw AdminError("cannot read \(file)", code: 4) }
                var files: [FormFile.Media] = []
                for m in media {
                    guard let data = FileManager.default.contents(atPath: m) else { throw AdminError("cannot read \(m)", code: 4) }
                    files.append(FormFile.Media(name: m, data: data))
                }
                let loaded: FormFile.Loaded
                do { loaded = try FormFile.load(data: bytes, name: file, media: files) } catch { throw AdminError(error.description, code: 3) }
                for note in loaded.notes { FileHandle.standardError.write(Data("note: \(note)\n".utf8)) }
                let service = SyncService(storage: try await data.storage())
                let (form, added) = try await service.publish(definition: loaded.form.definition)
                print(added ? "Published \(form.id) version \(form.version)" : "\(form.id) version \(form.version) was already published")
            }
        }
    }

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write the whole deployment (users, devices, forms, every version) to a file, to move it.",
            discussion: "The file holds password and token hashes: it is written owner-only; keep it so.")
        @OptionGroup var data: DataOptions
        @Option(help: "The file to write (JSON Lines).") var out: String
        func run() async throws {
            let n = try await Deployment.export(try await data.storage(), to: out)
            print("Exported \(n) versions to \(out)")
        }
    }

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Load an export into a new, empty deployment (e.g. SQLite to PostgreSQL); tokens and cursors stay valid.")
        @OptionGroup var data: DataOptions
        @Argument(help: "A file written by `recolha-server export`.") var file: String
        func run() async throws {
            let storage = try await data.storage(create: true)
            let n = try await Deployment.importFile(file, into: storage)
            print("Imported \(n) versions from \(file)")
        }
    }

    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Serve sync over HTTP, or HTTPS with --tls-cert and --tls-key.")
        @OptionGroup var data: DataOptions
        @Option(help: "Address to listen on.") var host = "127.0.0.1"
        @Option(help: "Port (0 picks a free one; the line `listening on` says which).") var port = 8080
        @Option(help: "PEM certificate chain for HTTPS.") var tlsCert: String?
        @Option(help: "PEM private key for HTTPS.") var tlsKey: String?
        @Option(help: "Days a device token lasts before its device must log in again.") var tokenDays = 90
        @Option(help: "The largest photo, recording, video or file taken, in megabytes (a larger one is refused, its record kept).")
        var maxFileMb = 25
        /// For a supervising process (the tests): stop, as on SIGTERM, when
        /// standard input closes, so a server never outlives its parent.
        @Flag(help: .hidden) var stopWhenStdinCloses = false

        func validate() throws {
            if (tlsCert == nil) != (tlsKey == nil) { throw ValidationError("--tls-cert and --tls-key go together") }
            if !(1...1000).contains(maxFileMb) { throw ValidationError("--max-file-mb takes 1 to 1000") }
        }

        func run() async throws {
            LoggingSystem.bootstrap { label in
                var h = StreamLogHandler.standardError(label: label)
                h.logLevel = .info
                return h
            }
            let logger = Logger(label: "recolha-server")
            let storage = try await data.storage()
            if try await storage.isImporting() {
                throw ServerSetupError("an import into this database did not finish: run `recolha-server import FILE` again before serving")
            }
            let service = SyncService(storage: storage, tokenLifetimeDays: tokenDays, maxMediaBytes: maxFileMb * 1_000_000)
            let scheme = tlsCert == nil ? "http" : "https"
            let host = self.host
            let console = try Console(service: service, secure: tlsCert != nil)
            let app = try buildApplication(
                service, options: ServerOptions(host: host, port: port, tlsCertificate: tlsCert, tlsKey: tlsKey), logger: logger,
                console: { console.add(to: $0) }
            ) { port in
                print("recolha-server listening on \(scheme)://\(host):\(port)")
                print("console for supervisors: \(scheme)://\(host):\(port)/console")
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

enum Password {
    /// Reads a password: from stdin when asked, else from a prompt without echo.
    static func read(fromStdin: Bool) throws -> String {
        let password: String?
        if fromStdin {
            password = readLine(strippingNewline: true)
        } else {
            guard isatty(0) == 1 else { throw AdminError("no terminal to prompt on: pass --password-stdin", code: 2) }
            password = getpass("Password: ").map { String(cString: $0) }
        }
        guard let password, password.count >= 8 else { throw AdminError("a password needs at least 8 characters", code: 2) }
        return password
    }
}
