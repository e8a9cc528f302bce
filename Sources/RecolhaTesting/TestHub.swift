import Foundation

/// A supervisor's `recolha hub` on 127.0.0.1 for a test: started on a free
/// port, stopped at the end (or when the test process ends: it stops when
/// its standard input closes).
public final class TestHub: @unchecked Sendable {
    public let store: String
    public private(set) var port = 0
    public var url: String { "http://127.0.0.1:\(port)" }
    private var process: Process?
    private var lifeline: Pipe?
    private let logPath: String
    private let lock = NSLock()
    private var output = ""

    public init(store: String, env: [String: String] = [:]) throws {
        self.store = store
        logPath = store + ".hub.log"
        try start(env: env)
    }

    /// Starts (or restarts on the same port) the hub; waits for `listening on`.
    public func start(env: [String: String] = [:]) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: CLI.binary("recolha"))
        p.arguments = ["hub", "--store", store, "--host", "127.0.0.1", "--port", String(port), "--stop-when-stdin-closes"]
        let lifeline = Pipe()
        p.standardInput = lifeline
        self.lifeline = lifeline
        var environment = ProcessInfo.processInfo.environment
        for (k, v) in env { environment[k] = v }
        p.environment = environment
        let out = Pipe()
        p.standardOutput = out
        FileManager.default.createFile(atPath: logPath, contents: nil)
        p.standardError = FileHandle(forWritingAtPath: logPath)
        try p.run()
        process = p
        var text = ""
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            text += String(decoding: chunk, as: UTF8.self)
            if let r = text.range(of: "listening on http://127.0.0.1:") {
                let digits = text[r.upperBound...].prefix { $0.isNumber }
                if let n = Int(digits) {
                    port = n
                    lock.withLock { output = text }
                    // Keep reading: the hub prints each new enrolment code.
                    let reader = out.fileHandleForReading
                    Thread.detachNewThread { [weak self] in
                        while true {
                            let chunk = reader.availableData
                            if chunk.isEmpty { return }
                            guard let self else { return }
                            self.lock.withLock { self.output += String(decoding: chunk, as: UTF8.self) }
                        }
                    }
                    return
                }
            }
        }
        throw ServerFailure(message: "recolha hub did not start: \(text) \(log)")
    }

    /// Stops the hub: SIGTERM (or SIGKILL when `hard`), then waits.
    public func stop(hard: Bool = false) {
        guard let p = process, p.isRunning else { return }
        kill(p.processIdentifier, hard ? SIGKILL : SIGTERM)
        p.waitUntilExit()
        process = nil
        try? lifeline?.fileHandleForWriting.close()
        lifeline = nil
    }

    public var isRunning: Bool { process?.isRunning == true }

    /// The enrolment code the hub shows now (waits a moment for a new one to be printed).
    public func code(after previous: String? = nil) -> String? {
        let deadline = Date().addingTimeInterval(5)
        while Date() < deadline {
            let text = lock.withLock { output }
            let codes = text.components(separatedBy: "enrolment code for a new device: ").dropFirst().map { String($0.prefix(6)) }
            if let last = codes.last, last != previous { return last }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return nil
    }
    public var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    deinit { stop(hard: true) }
}
