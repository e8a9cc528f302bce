import Foundation

/// Reading and writing the terminal (or whatever stdin and stdout are).
enum Console {
    static func error(_ message: String) {
        FileHandle.standardError.write(Data(("error: " + message + "\n").utf8))
    }

    static func note(_ message: String) {
        FileHandle.standardError.write(Data((message + "\n").utf8))
    }

    static var stdinIsTerminal: Bool { isatty(0) == 1 }

    /// One line of input, or nil at end of input.
    static func line(_ prompt: String) -> String? {
        print(prompt, terminator: "")
        fflush(nil)
        let line = readLine(strippingNewline: true)
        // Piped answers: echo them so a transcript reads like a session.
        if let line, !stdinIsTerminal { print(line) }
        return line
    }

    /// Writes text to a file atomically (a temporary file, then rename), so a
    /// full disk or a crash never leaves half a file.
    static func writeAtomically(_ text: String, to path: String) throws {
        let url = URL(fileURLWithPath: path)
        do {
            try Data(text.utf8).write(to: url, options: .atomic)
        } catch {
            throw CLIError("cannot write \(path): \((error as NSError).localizedDescription)", code: .failed)
        }
    }
}
