import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Store
import Sync

/// The hub's HTTP side: `GET /v1/health` and `POST /v1/hub/exchange` on a
/// supervisor's device. Bodies are sealed bundles both ways, so what
/// crosses the local network (a phone hotspot, an office Wi-Fi) is readable
/// only by the devices it is for, with no certificate to set up.
public enum HubServer {
    /// The largest exchange body read.
    public static let maxBodyBytes = 64 << 20

    public static func router(_ service: HubService, logger: Logger) -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        router.get("v1/health") { _, _ in
            try json(HealthResponse(status: "ok", protocol: WireProtocol.version, serverTime: Store.wallClock()))
        }
        router.post("v1/hub/exchange") { request, _ in
            let started = DispatchTime.now().uptimeNanoseconds
            func log(_ status: Int, _ code: String? = nil) {
                var meta: Logger.Metadata = ["path": "/v1/hub/exchange", "status": "\(status)",
                                             "ms": "\((DispatchTime.now().uptimeNanoseconds - started) / 1_000_000)"]
                if let code { meta["error"] = "\(code)" }
                logger.info("request", metadata: meta)
            }
            guard let text = request.headers[HTTPField.Name(WireProtocol.protocolHeader)!], Int(text) == WireProtocol.version else {
                log(400, "protocol_mismatch")
                return try json(ErrorBody(error: "protocol_mismatch",
                                          message: "this hub speaks sync protocol \(WireProtocol.version): upgrade recolha on the older device; nothing was changed"),
                                status: .badRequest)
            }
            let body: ByteBuffer
            do {
                body = try await request.body.collect(upTo: maxBodyBytes)
            } catch {
                log(413, "too_large")
                return try json(ErrorBody(error: "too_large", message: "the bundle is larger than \(maxBodyBytes >> 20) MiB"), status: .contentTooLarge)
            }
            do {
                let answer = try service.exchange(Data(buffer: body))
                log(200)
                return try json(answer)
            } catch let r as HubService.Refusal {
                log(r.status, r.code)
                return try json(ErrorBody(error: r.code, message: r.message), status: .init(code: r.status))
            } catch let e as StoreError {
                log(500, "store")
                return try json(ErrorBody(error: "store", message: "the hub's store failed: \(e.description); nothing was changed: try again"),
                                status: .internalServerError)
            }
        }
        router.post("v1/hub/enrol") { request, _ in
            let body: ByteBuffer
            do { body = try await request.body.collect(upTo: 64 * 1024) } catch {
                return try json(ErrorBody(error: "too_large", message: "an enrolment request is small"), status: .contentTooLarge)
            }
            guard let r = try? JSONDecoder().decode(HubEnrolRequest.self, from: Data(buffer: body)) else {
                logger.info("request", metadata: ["path": "/v1/hub/enrol", "status": "400"])
                return try json(ErrorBody(error: "bad_json", message: "the body is not an enrolment request"), status: .badRequest)
            }
            do {
                let answer = try service.enrol(r)
                logger.info("request", metadata: ["path": "/v1/hub/enrol", "status": "200"])
                return try json(answer)
            } catch let e as HubService.Refusal {
                logger.info("request", metadata: ["path": "/v1/hub/enrol", "status": "\(e.status)", "error": "\(e.code)"])
                return try json(ErrorBody(error: e.code, message: e.message), status: .init(code: e.status))
            }
        }
        return router
    }

    static func json<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) throws -> Response {
        let data = try JSONEncoder().encode(value)
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        headers[HTTPField.Name(WireProtocol.protocolHeader)!] = String(WireProtocol.version)
        headers[HTTPField.Name(WireProtocol.serverTimeHeader)!] = String(Store.wallClock())
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// The hub application on `host`:`port` (0 picks a free port; `onRunning` gets it).
    public static func application(_ service: HubService, host: String, port: Int, logger: Logger,
                                   onRunning: @escaping @Sendable (Int) async -> Void) -> some ApplicationProtocol {
        Application(
            router: router(service, logger: logger),
            server: .http1(configuration: .init(idleTimeout: .seconds(60))),
            configuration: .init(address: .hostname(host, port: port), serverName: "recolha-hub"),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? port) },
            logger: logger)
    }
}
