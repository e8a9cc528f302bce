import Foundation

/// Runs the built `recolha` binary, as a person or a script would.
public enum CLI {
    public struct Result: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
        /// True when the process was killed by a signal.
        public var signaled: Bool
    }

    /// The folder holding the built binaries: $RECOLHA_BIN_DIR (set by
    /// `make test`), else the package's .build/debug.
    public static var binDir: String {
        if let d = ProcessInfo.processInfo.environment["RECOLHA_BIN_DIR"], !d.isEmpty { return d }
        return Package.path(".build/debug")
    }

    public static func binary(_ name: String = "recolha") -> String { binDir + "/" + name }

    /// Runs `recolha ARGS` with `stdin` as its input and the given extra
    /// environment; waits for it to end.
    @discardableResult
    public static func run(_ args: [String], stdin: String = "", env: [String: String] = [:],
                           binary: String = CLI.binary(), directory: String? = nil) -> Result {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        if let directory { p.currentDirectoryURL = URL(fileURLWithPath: directory) }
        p.arguments = args
        var environment = ProcessInfo.processInfo.environment
        environment["LANG"] = "C"
        environment.removeValue(forKey: "RECOLHA_STORE")
        for (k, v) in env { environment[k] = v }
        p.environment = environment
        let inPipe = Pipe(), outPipe = Pipe(), errPipe = Pipe()
        p.standardInput = inPipe
        p.standardOutput = outPipe
        p.standardError = errPipe
        try! p.run()
        let writer = Thread {
            inPipe.fileHandleForWriting.write(Data(stdin.utf8))
            try? inPipe.fileHandleForWriting.close()
        }
        writer.start()
        let outData = outPipe.fileHandleForReading.readDataToEndOfFile()
        let errData = errPipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return Result(status: p.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                      stderr: String(decoding: errData, as: UTF8.self),
                      signaled: p.terminationReason == .uncaughtSignal)
    }
}
