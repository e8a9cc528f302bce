import Store
import Words
import SyncClient

/// The documented exit codes (README, `recolha --help`).
enum ExitStatus: Int32 {
    case ok = 0
    case failed = 1
    case usage = 2
    case refused = 3
    case notFound = 4
    case storeUnusable = 5
    /// Nothing could reach the server (no connection, timeout, 5xx, unreadable answer).
    case unreachable = 6
    /// The server refused (token, protocol version, size).
    case serverRefused = 7
    /// Synced, but the server rejected some versions (listed).
    case partlyRejected = 8

    static func of(_ e: StoreError) -> ExitStatus {
        switch e {
        case .invalid: return .refused
        case .unknownForm, .unknownRecord, .ambiguousRecord: return .notFound
        case .missing, .notAStore, .newerStore, .cannotOpen, .diskFull, .notInitialized: return .storeUnusable
        case .alreadyInitialized, .recordDeleted, .formMismatch, .formChanged, .reviewRefused: return .refused
        case .database: return .failed
        }
    }
}

extension ExitStatus {
    static func of(_ e: SyncError) -> ExitStatus {
        switch e {
        case .notLoggedIn, .refused, .untrusted: return .serverRefused
        case .unreachable: return .unreachable
        case .store(let s): return of(s)
        }
    }
}

/// An error the CLI reports as one line and an exit code.
struct CLIError: Error {
    var message: Message
    var code: ExitStatus

    init(_ message: Message, code: ExitStatus = .failed) {
        self.message = message
        self.code = code
    }

    init(_ key: Key, _ args: [String: Message.Arg] = [:], code: ExitStatus = .failed) {
        self.init(Message(key, args), code: code)
    }
}
