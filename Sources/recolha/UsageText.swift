import Foundation
import Words

/// argument-parser's own usage errors ("Missing expected argument ..."),
/// said in the reader's language: each line it writes is matched by its
/// shape and worded from the catalogue. Its help texts stay English, so a
/// Portuguese reader gets the usage line and the pointer to `--help`.
enum UsageText {
    static func localized(_ text: String) -> String {
        guard Lang.current != .en else { return text }
        var out: [String] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            if line.hasPrefix("Help:") { continue }
            if let rest = line.dropPrefix("Error: ") {
                out.append(Message(.errorPrefix, ["message": .message(reason(rest))]).localized)
            } else if let rest = line.dropPrefix("Usage: ") {
                out.append(Message(.usageLine, ["usage": .text(rest)]).localized)
            } else if let command = line.between("  See '", "' for more information.") {
                out.append(Message(.usageSeeHelp, ["command": .text(command)]).localized)
            } else {
                out.append(line)
            }
        }
        return out.joined(separator: "\n")
    }

    /// One error of argument-parser, by its shape; unknown shapes stay as they are.
    static func reason(_ text: String) -> Message {
        if let arg = text.between("Missing expected argument '", "'") { return Message(.usageMissingArgument, ["argument": .text(arg)]) }
        if let arg = text.between("Unknown option '", "'") { return Message(.usageUnknownOption, ["option": .text(arg)]) }
        if let arg = text.between("Unexpected argument '", "'") { return Message(.usageUnexpectedArgument, ["argument": .text(arg)]) }
        if let arg = text.between("Missing value for '", "'") { return Message(.usageMissingValue, ["option": .text(arg)]) }
        if let value = text.between("The value '", "' is invalid for '"),
           let rest = text.dropPrefix("The value '\(value)' is invalid for '"), let option = rest.split(separator: "'").first {
            return Message(.usageInvalidValue, ["value": .text(value), "option": .text(String(option))])
        }
        return .verbatim(text)
    }

    /// `--lang` as typed, when parsing failed before the options were read.
    static func languageFromArguments(_ args: [String] = CommandLine.arguments) -> Lang? {
        for (i, a) in args.enumerated() {
            if a == "--lang", i + 1 < args.count { return Lang(rawValue: args[i + 1].lowercased()) }
            if let v = a.dropPrefix("--lang=") { return Lang(rawValue: v.lowercased()) }
        }
        return nil
    }
}

private extension String {
    func dropPrefix(_ prefix: String) -> String? { hasPrefix(prefix) ? String(dropFirst(prefix.count)) : nil }

    /// The text between `open` (at the start) and the next `close`.
    func between(_ open: String, _ close: String) -> String? {
        guard let rest = dropPrefix(open), let end = rest.range(of: close) else { return nil }
        return String(rest[..<end.lowerBound])
    }
}
