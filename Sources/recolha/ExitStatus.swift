import Store

/// The documented exit codes (README, `recolha --help`).
enum ExitStatus: Int32 {
    case ok = 0
    case failed = 1
    case usage = 2
    case refused = 3
    case notFound = 4
    case storeUnusable = 5

    static func of(_ e: StoreError) -> ExitStatus {
        switch e {
        case .invalid: return .refused
        case .unknownForm, .unknownRecord, .ambiguousRecord: return .notFound
        case .missing, .notAStore, .newerStore, .cannotOpen, .diskFull, .notInitialized: return .storeUnusable
        case .alreadyInitialized, .recordDeleted, .formMismatch, .formChanged: return .refused
        case .database: return .failed
        }
    }
}

/// An error the CLI reports as one line and an exit code.
struct CLIError: Error {
    var message: String
    var code: ExitStatus

    init(_ message: String, code: ExitStatus = .failed) {
        self.message = message
        self.code = code
    }
}
