import Foundation

/// A deliberately misbehaving HTTP server on 127.0.0.1 for client tests:
/// each connection reads one request and answers with whatever `script`
/// returns as raw bytes (or stalls, or closes). Stops when released.
public final class ScriptedServer: @unchecked Sendable {
    public enum Reply {
        case raw(Data)
        /// Accept and never answer.
        case stall
        case close
    }

    public struct Request: Sendable {
        public var line: String
        public var headers: [String: String]
        public var body: Data
    }

    public private(set) var port: Int = 0
    private let listener: Int32
    private let lock = NSLock()
    private var _requests: [Request] = []
    private var running = true
    private let script: @Sendable (Int, Request) -> Reply

    public var requests: [Request] { lock.withLock { _requests } }

    /// - Parameter script: given the 0-based request number and the request, the reply.
    public init(_ script: @escaping @Sendable (Int, Request) -> Reply) {
        self.script = script
        listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var yes: Int32 = 1
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = 0
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        listen(listener, 16)
        var bound = sockaddr_in()
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &bound) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &len) } }
        port = Int(UInt16(bigEndian: bound.sin_port))
        let thread = Thread { [weak self] in self?.loop() }
        thread.start()
    }

    public var url: String { "http://127.0.0.1:\(port)" }

    private func loop() {
        var n = 0
        while lock.withLock({ running }) {
            let fd = accept(listener, nil, nil)
            if fd < 0 { break }
            let index = n
            n += 1
            Thread { [weak self] in self?.serve(fd, index) }.start()
        }
    }

    private func serve(_ fd: Int32, _ index: Int) {
        var buffer = Data()
        var chunk = [UInt8](repeating: 0, count: 65536)
        var request: Request?
        while request == nil {
            let got = read(fd, &chunk, chunk.count)
            if got <= 0 { close(fd); return }
            buffer.append(contentsOf: chunk[0..<got])
            guard let end = buffer.range(of: Data("\r\n\r\n".utf8)) else { continue }
            let head = String(decoding: buffer[..<end.lowerBound], as: UTF8.self).split(separator: "\r\n")
            var headers: [String: String] = [:]
            for line in head.dropFirst() {
                if let colon = line.firstIndex(of: ":") {
                    headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                }
            }
            let length = Int(headers["content-length"] ?? "0") ?? 0
            while buffer.count - end.upperBound < length {
                let more = read(fd, &chunk, chunk.count)
                if more <= 0 { break }
                buffer.append(contentsOf: chunk[0..<more])
            }
            request = Request(line: String(head.first ?? ""), headers: headers,
                              body: buffer[end.upperBound...].prefix(length))
        }
        lock.withLock { _requests.append(request!) }
        switch script(index, request!) {
        case .raw(let data):
            data.withUnsafeBytes { _ = write(fd, $0.baseAddress, data.count) }
            close(fd)
        case .close:
            close(fd)
        case .stall:
            while lock.withLock({ running }) { usleep(50_000) }
            close(fd)
        }
    }

    /// An HTTP/1.1 answer with a JSON body.
    public static func http(_ status: Int, _ body: String, headers: [String: String] = [:]) -> Reply {
        var text = "HTTP/1.1 \(status) X\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: \(body.utf8.count)\r\n"
        for (k, v) in headers { text += "\(k): \(v)\r\n" }
        return .raw(Data((text + "\r\n" + body).utf8))
    }

    deinit {
        lock.withLock { running = false }
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }
}
