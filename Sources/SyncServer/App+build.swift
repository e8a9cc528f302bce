import Words
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore
import NIOSSL
import Sync

/// How to run the server.
public struct ServerOptions: Sendable {
    public var host: String
    public var port: Int
    public var tlsCertificate: String?
    public var tlsKey: String?
    /// A connection that sends nothing for this long (between requests, or
    /// in the middle of one) is closed.
    public var idleTimeoutSeconds: Int64

    public init(host: String = "127.0.0.1", port: Int = 8080, tlsCertificate: String? = nil, tlsKey: String? = nil,
                idleTimeoutSeconds: Int64 = 60) {
        self.host = host; self.port = port; self.tlsCertificate = tlsCertificate; self.tlsKey = tlsKey
        self.idleTimeoutSeconds = idleTimeoutSeconds
    }
}

/// Each request's context: Hummingbird's core storage and the peer's
/// address (login throttling counts failures per user and address).
public struct ServerContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }

    /// The peer's IP address, or "" when unknown.
    public var address: String { remoteAddress?.ipAddress ?? "" }
}

/// Whether a path belongs to the supervisors' web console (HTML, its own
/// errors and headers) rather than the sync protocol.
func isConsole(_ path: String) -> Bool { path == "/console" || path.hasPrefix("/console/") }

/// The routes of the sync protocol (docs/openapi.yaml), and the console's
/// when `console` adds them.
public func buildRouter(_ service: SyncService, logger: Logger,
                        console: (@Sendable (Router<ServerContext>) -> Void)? = nil) -> Router<ServerContext> {
    let router = Router(context: ServerContext.self)
    router.add(middleware: RequestLogMiddleware(logger: logger))
    router.add(middleware: MethodMiddleware())
    router.add(middleware: ProtocolMiddleware())
    router.get("v1/health") { request, _ in
        try Body.response(HealthResponse(status: "ok", protocol: WireProtocol.version, serverTime: ServerClock.nowMs()), for: request)
    }
    router.post("v1/login") { request, context in
        try Body.response(try await service.login(try await Body.decode(LoginRequest.self, from: request), address: context.address),
                          for: request)
    }
    router.post("v1/identity") { request, _ in
        let (device, user) = try await service.authenticate(request.headers[.authorization])
        let body = try await Body.decode(IdentityRequest.self, from: request)
        return try Body.response(try await service.changeIdentity(body, device: device, user: user), for: request)
    }
    router.get("v1/forms") { request, _ in
        _ = try await service.authenticate(request.headers[.authorization])
        return try Body.response(try await service.formList(), for: request)
    }
    router.get("v1/forms/:form/:version") { request, context in
        _ = try await service.authenticate(request.headers[.authorization])
        let id = try context.parameters.require("form"), version = try context.parameters.require("version")
        return try Body.response(data: Data(try await service.formDefinition(id: id, version: version).utf8),
                                 contentType: "application/json", for: request)
    }
    router.post("v1/enrolments") { request, _ in
        let (device, user) = try await service.authenticate(request.headers[.authorization])
        let body = try await Body.decode(EnrolmentPush.self, from: request)
        return try Body.response(try await service.enrol(body, device: device, user: user), for: request)
    }
    router.get("v1/recipients") { request, _ in
        let (device, user) = try await service.authenticate(request.headers[.authorization])
        return try Body.response(try await service.recipients(device: device, user: user), for: request)
    }
    router.post("v1/push") { request, _ in
        let (device, user) = try await service.authenticate(request.headers[.authorization])
        let body = try await Body.push(from: request)
        let answer = try await service.push(body, device: device, user: user)
        #if RECOLHA_FAULTS
        switch Faults.afterCommit() {
        case .drop: throw ServerError(.internalServerError, "fault", "injected: the answer was lost after commit")
        case .stall:
            // Committed, never answered: a test kills this instance now.
            FileHandle.standardError.write(Data("fault: stalled after commit\n".utf8))
            try await Task.sleep(for: .seconds(3600))
        case nil: break
        }
        #endif
        return try Body.response(answer, for: request)
    }
    router.post("v1/pull") { request, _ in
        let (device, user) = try await service.authenticate(request.headers[.authorization])
        try await service.noteClock(of: device, header: request.headers[HTTPField.Name(WireProtocol.clientTimeHeader)!])
        let body = try await Body.decode(PullRequest.self, from: request)
        return try Body.pullResponse(try await service.pull(body, device: device, user: user), for: request)
    }
    addMediaRoutes(router, service)
    console?(router)
    return router
}

/// The application tests and `recolha-server serve` run.
/// - Parameter onRunning: called with the port actually bound (useful with port 0).
public func buildApplication(
    _ service: SyncService, options: ServerOptions, logger: Logger,
    console: (@Sendable (Router<ServerContext>) -> Void)? = nil,
    onRunning: @escaping @Sendable (Int) async -> Void = { _ in }
) throws -> some ApplicationProtocol {
    let router = buildRouter(service, logger: logger, console: console)
    let http1 = HTTP1Channel.Configuration(idleTimeout: .seconds(options.idleTimeoutSeconds))
    var server: HTTPServerBuilder = .http1(configuration: http1)
    if let cert = options.tlsCertificate, let key = options.tlsKey {
        let certificates = try NIOSSLCertificate.fromPEMFile(cert).map { NIOSSLCertificateSource.certificate($0) }
        // Read the key ourselves: NIOSSL takes a `.key` file for DER, but
        // operators' server.key files are nearly always PEM.
        let privateKey: NIOSSLPrivateKey
        do {
            privateKey = try NIOSSLPrivateKey(file: key, format: .pem)
        } catch {
            do { privateKey = try NIOSSLPrivateKey(file: key, format: .der) } catch {
                throw ServerSetupError("cannot read the TLS private key \(key): give a PEM or DER key file")
            }
        }
        guard !certificates.isEmpty else { throw ServerSetupError("no certificate in \(cert): give a PEM certificate chain") }
        var tls = TLSConfiguration.makeServerConfiguration(certificateChain: certificates, privateKey: .privateKey(privateKey))
        tls.minimumTLSVersion = .tlsv12
        server = try .tls(.http1(configuration: http1), tlsConfiguration: tls)
    }
    return Application(
        router: router, server: server,
        configuration: .init(address: .hostname(options.host, port: options.port), serverName: "recolha-server"),
        onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? options.port) },
        logger: logger)
}

/// The routes' methods, so a known path asked with another method gets 405
/// with `Allow` (not a bare 404), and an unknown path a JSON 404.
struct MethodMiddleware: RouterMiddleware {
    typealias Context = ServerContext
    static let routes: [(pattern: [String], methods: [HTTPRequest.Method])] = [
        (["v1", "health"], [.get]), (["v1", "login"], [.post]), (["v1", "identity"], [.post]),
        (["v1", "forms"], [.get]), (["v1", "forms", "*", "*"], [.get]),
        (["v1", "push"], [.post]), (["v1", "pull"], [.post]), (["v1", "recipients"], [.get]), (["v1", "enrolments"], [.post]),
        (["v1", "media", "*"], [.get, .put]), (["v1", "media", "*", "content"], [.get]),
    ]

    static func methods(for path: String) -> [HTTPRequest.Method]? {
        let parts = path.split(separator: "/", omittingEmptySubsequences: true)
        return routes.first { route in
            route.pattern.count == parts.count && zip(route.pattern, parts).allSatisfy { $0 == "*" || $0 == $1 }
        }?.methods
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if isConsole(request.uri.path) { return try await next(request, context) }
        guard let methods = Self.methods(for: request.uri.path) else {
            throw ServerError(.notFound, "not_found", "no such endpoint: the sync protocol is described in docs/openapi.yaml")
        }
        guard methods.contains(request.method) else {
            throw ServerError(.methodNotAllowed, "method_not_allowed",
                              "\(request.uri.path) takes \(methods.map(\.rawValue).joined(separator: " or ")), not \(request.method.rawValue)",
                              allow: methods)
        }
        return try await next(request, context)
    }
}

/// Refuses a request whose protocol version differs, saying which side to upgrade.
struct ProtocolMiddleware: RouterMiddleware {
    typealias Context = ServerContext
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if isConsole(request.uri.path) { return try await next(request, context) }
        if request.uri.path != "/v1/health" {
            guard let text = request.headers[HTTPField.Name(WireProtocol.protocolHeader)!], let theirs = Int(text) else {
                throw ServerError(.badRequest, "protocol_missing", "every request carries \(WireProtocol.protocolHeader): \(WireProtocol.version)")
            }
            if theirs != WireProtocol.version {
                let upgrade = theirs < WireProtocol.version ? "upgrade recolha on this device" : "upgrade the server (recolha-server)"
                throw ServerError(.badRequest, "protocol_mismatch",
                                  "this device speaks sync protocol \(theirs) and the server speaks \(WireProtocol.version): \(upgrade); nothing was changed")
            }
        }
        var response = try await next(request, context)
        response.headers[HTTPField.Name(WireProtocol.serverTimeHeader)!] = String(ServerClock.nowMs())
        response.headers[HTTPField.Name(WireProtocol.protocolHeader)!] = String(WireProtocol.version)
        return response
    }
}

/// One structured log line per request: method, path, status, time. No
/// bodies, no answers, no tokens.
struct RequestLogMiddleware: RouterMiddleware {
    typealias Context = ServerContext
    let logger: Logger

    /// The path as logged: a media file's hash (part of an answer) is left out.
    static func logged(_ path: String) -> String {
        guard path.hasPrefix("/v1/media/") else { return path }
        return path.split(separator: "/", omittingEmptySubsequences: false)
            .map { $0.count == 64 && $0.allSatisfy(\.isHexDigit) ? "{sha256}" : String($0) }.joined(separator: "/")
    }
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = DispatchTime.now().uptimeNanoseconds
        func log(_ status: Int, _ code: String? = nil) {
            var meta: Logger.Metadata = [
                "method": "\(request.method.rawValue)", "path": "\(Self.logged(request.uri.path))", "status": "\(status)",
                "ms": "\((DispatchTime.now().uptimeNanoseconds - start) / 1_000_000)",
            ]
            if let code { meta["error"] = "\(code)" }
            logger.info("request", metadata: meta)
        }
        do {
            let response = try await next(request, context)
            log(Int(response.status.code))
            return response
        } catch let e as ServerError {
            log(Int(e.status.code), e.code)
            throw e
        } catch let e as HTTPResponseError {
            log(Int(e.status.code))
            throw e
        } catch {
            log(500, "internal")
            logger.error("unexpected failure", metadata: ["type": "\(type(of: error))"])
            throw ServerError(.internalServerError, "internal", "the server failed; nothing was stored for this request: try again")
        }
    }
}

#if RECOLHA_FAULTS
/// Fault injection for cut-point tests (debug builds only):
/// RECOLHA_SERVER_FAULT=drop-after-commit:N fails every Nth push answer after
/// its commit, as a crash between commit and answer would;
/// stall-after-commit:N commits the Nth push and never answers, says
/// `fault: stalled after commit` on stderr, and waits for the test to kill
/// the instance.
enum Faults {
    enum Action { case drop, stall }
    static let rule: (action: Action, n: Int)? = {
        let v = ProcessInfo.processInfo.environment["RECOLHA_SERVER_FAULT"] ?? ""
        let parts = v.split(separator: ":")
        guard parts.count == 2, let n = Int(parts[1]), n > 0 else { return nil }
        switch parts[0] {
        case "drop-after-commit": return (.drop, n)
        case "stall-after-commit": return (.stall, n)
        default: return nil
        }
    }()
    private static let counter = Counter()

    static func afterCommit() -> Action? {
        guard let rule else { return nil }
        let n = counter.next()
        switch rule.action {
        case .drop: return n % rule.n == 0 ? .drop : nil
        case .stall: return n == rule.n ? .stall : nil
        }
    }

    final class Counter: @unchecked Sendable {
        private var n = 0
        private let lock = NSLock()
        func next() -> Int { lock.withLock { n += 1; return n } }
    }
}
#endif
