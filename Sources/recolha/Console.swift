import Foundation
import Words

/// Reading and writing the terminal (or whatever stdin and stdout are).
enum Console {
    static func error(_ message: Message) {
        FileHandle.standardError.write(Data((Message(.errorPrefix, ["message": .message(message)]).localized + "\n").utf8))
    }

    /// A note on standard error ("note: ...").
    static func note(_ message: Message) {
        FileHandle.standardError.write(Data((Message(.notePrefix, ["message": .message(message)]).localized + "\n").utf8))
    }

    static func warning(_ message: Message) {
        FileHandle.standardError.write(Data((Message(.warningPrefix, ["message": .message(message)]).localized + "\n").utf8))
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
            throw CLIError(Message(.cannotWrite, ["path": .text(path), "reason": .text((error as NSError).localizedDescription)]), code: .failed)
        }
    }
}

/// A file written piece by piece and put in place only when whole: a
/// temporary file beside it, renamed at `commit()`; removed if never committed.
final class StreamedFile {
    let path: String
    private let temp: String
    private let handle: FileHandle
    private var buffer = Data()
    private var committed = false

    init(_ path: String) throws {
        self.path = path
        temp = path + ".partial-\(getpid())"
        guard FileManager.default.createFile(atPath: temp, contents: nil), let h = FileHandle(forWritingAtPath: temp) else {
            throw CLIError(Message(.cannotWrite, ["path": .text(path), "reason": .text(String(cString: strerror(errno)))]), code: .failed)
        }
        handle = h
    }

    func write(_ text: String) throws {
        buffer.append(contentsOf: text.utf8)
        if buffer.count >= 1 << 16 { try flush() }
    }

    private func flush() throws {
        do { try handle.write(contentsOf: buffer) } catch {
            throw CLIError(Message(.cannotWriteNothing, ["path": .text(path), "reason": .text((error as NSError).localizedDescription)]), code: .failed)
        }
        buffer.removeAll(keepingCapacity: true)
    }

    func commit() throws {
        try flush()
        do {
            try handle.synchronize()
            try handle.close()
        } catch {
            throw CLIError(Message(.cannotWriteNothing, ["path": .text(path), "reason": .text((error as NSError).localizedDescription)]), code: .failed)
        }
        guard rename(temp, path) == 0 else { throw CLIError(Message(.cannotWrite, ["path": .text(path), "reason": .text(String(cString: strerror(errno)))]), code: .failed) }
        committed = true
    }

    deinit {
        if !committed { try? handle.close(); unlink(temp) }
    }
}

/// Prints one message of the catalogue in the chosen language.
func say(_ key: Key, _ args: [String: Message.Arg] = [:]) {
    print(Message(key, args).localized)
}
