import Foundation

/// The real `recolha-server` binary serving a temporary data folder on
/// 127.0.0.1 at a port the system picked; stopped when released.
public final class TestServer: @unchecked Sendable {
    public let dir = TempDir()
    public private(set) var port = 0
    public var url: String { "\(scheme)://127.0.0.1:\(port)" }
    private var process: Process?
    private var lifeline: Pipe?
    private let serveArgs: [String]
    public var scheme = "http"
    public let logPath: String

    /// Users made at start: name -> (role, password).
    public static let users: [(name: String, role: String, password: String)] = [
        ("ana", "enumerator", "ana-password-1"), ("bento", "enumerator", "bento-password-1"),
        ("sara", "supervisor", "sara-password-1"), ("admin", "admin", "admin-password-1"),
    ]

    public static func password(_ user: String) -> String { users.first { $0.name == user }!.password }

    /// Sets up data (users, the flagship form) and starts serving: on
    /// embedded SQLite, or on the PostgreSQL database at `postgres`. With
    /// `setUp: false` it only serves a database another instance set up.
    public init(env: [String: String] = [:], publish: [String] = [Package.flagship], serveArgs: [String] = [],
                postgres: String? = nil, setUp: Bool = true) throws {
        self.postgres = postgres
        self.serveArgs = serveArgs
        logPath = dir.file("server.log")
        if setUp {
            try Self.admin(["init"] + storageArgs)
            for u in Self.users {
                try Self.admin(["users", "add", u.name, "--role", u.role, "--password-stdin"] + storageArgs, stdin: u.password + "\n")
            }
            for form in publish { try Self.admin(["forms", "publish", Package.path(form)] + storageArgs) }
        }
        try start(env: env)
    }

    public let postgres: String?
    public var data: String { dir.file("data") }
    /// `--data DIR` or `--postgres URL`, for admin commands.
    public var storageArgs: [String] { postgres.map { ["--postgres", $0] } ?? ["--data", data] }

    /// Runs `recolha-server ARGS` to completion.
    @discardableResult
    public static func admin(_ args: [String], stdin: String = "") throws -> CLI.Result {
        let r = CLI.run(args, stdin: stdin, binary: CLI.binary("recolha-server"))
        guard r.status == 0 else { throw ServerFailure(message: "recolha-server \(args.first ?? ""): \(r.stderr)") }
        return r
    }

    /// Starts (or restarts) serving; waits for the `listening on` line.
    public func start(env: [String: String] = [:], port fixed: Int = 0) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: CLI.binary("recolha-server"))
        p.arguments = ["serve"] + storageArgs + ["--host", "127.0.0.1", "--port", String(fixed == 0 ? port : fixed),
                                                 "--stop-when-stdin-closes"] + serveArgs
        // The server stops when this pipe closes: when the test process
        // ends, however it ends, its servers end too.
        let lifeline = Pipe()
        p.standardInput = lifeline
        self.lifeline = lifeline
        if serveArgs.contains("--tls-cert") { scheme = "https" }
        var environment = ProcessInfo.processInfo.environment
        for (k, v) in env { environment[k] = v }
        p.environment = environment
        let out = Pipe()
        p.standardOutput = out
        FileManager.default.createFile(atPath: logPath, contents: nil)
        p.standardError = FileHandle(forWritingAtPath: logPath)
        try p.run()
        process = p
        let reader = out.fileHandleForReading
        var text = ""
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            let chunk = reader.availableData
            if chunk.isEmpty { break }
            text += String(decoding: chunk, as: UTF8.self)
            if let line = text.split(separator: "\n").first(where: { $0.contains("listening on") }),
               let colon = line.lastIndex(of: ":"), let n = Int(line[line.index(after: colon)...]) {
                port = n
                return
            }
        }
        throw ServerFailure(message: "recolha-server did not start: \(text) \((try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "")")
    }

    /// Stops the server: SIGTERM (or SIGKILL when `hard`), then waits.
    public func stop(hard: Bool = false) {
        guard let p = process, p.isRunning else { return }
        kill(p.processIdentifier, hard ? SIGKILL : SIGTERM)
        p.waitUntilExit()
        process = nil
        try? lifeline?.fileHandleForWriting.close()
        lifeline = nil
    }

    public var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    deinit { stop(hard: true) }
}

public struct ServerFailure: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}

/// The throwaway PostgreSQL cluster `make test` starts (scripts/with-postgres.sh).
public enum TestPostgres {
    public static var available: Bool { ProcessInfo.processInfo.environment["RECOLHA_TEST_POSTGRES_URL"] != nil }

    /// A new, empty database on the cluster, as a URL.
    public static func freshDatabase() throws -> String {
        let env = ProcessInfo.processInfo.environment
        guard let bin = env["RECOLHA_TEST_PG_BIN"], let port = env["RECOLHA_TEST_PG_PORT"] else {
            throw ServerFailure(message: "no PostgreSQL: run the tests with `make test` (scripts/with-postgres.sh)")
        }
        let name = "t_" + UUID().uuidString.prefix(12).lowercased().replacingOccurrences(of: "-", with: "")
        let r = CLI.run(["-h", "127.0.0.1", "-p", port, "-U", "recolha", name], binary: bin + "/createdb")
        guard r.status == 0 else { throw ServerFailure(message: "createdb failed: \(r.stderr)") }
        return "postgres://recolha@127.0.0.1:\(port)/\(name)"
    }
}
