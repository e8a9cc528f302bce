import Store
import Sync
import Words

/// The words for the store's own codes (statuses, review states, roles),
/// shown to people; JSON and CSV keep the codes.
enum Worded {
    static func role(_ role: String) -> Message {
        switch role {
        case "enumerator": return Message(.roleEnumerator)
        case "supervisor": return Message(.roleSupervisor)
        case "admin": return Message(.roleAdmin)
        default: return .verbatim(role)
        }
    }

    static func status(_ status: String) -> Message {
        switch status {
        case "draft": return Message(.statusDraft)
        case "finalized": return Message(.statusFinalized)
        default: return .verbatim(status)
        }
    }

    static func state(_ state: RecordReview.State) -> Message {
        switch state {
        case .received: return Message(.stateReceived)
        case .approved: return Message(.stateApproved)
        case .hasIssues: return Message(.stateHasIssues)
        case .rejected: return Message(.stateRejected)
        case .corrected: return Message(.stateCorrected)
        }
    }

    /// A review state named by its code (status counts keep codes).
    static func state(code: String) -> Message {
        RecordReview.State(rawValue: code).map(state) ?? .verbatim(code)
    }
}
