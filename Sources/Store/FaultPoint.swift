import Words
import Foundation

/// Named points where a crash test kills the process, so a kill lands
/// exactly in the middle of the work it aims at instead of after a sleep
/// that may fire before or after it.
///
/// `RECOLHA_FAULT_KILL=NAME` (or `NAME:N`, the Nth time the point is
/// reached) makes the process send itself SIGKILL there, as a power cut
/// would. Only debug builds (the ones the tests run) have the points: in a
/// release build `reach` is empty.
///
/// Points: `save-after-record`, `save-mid-versions`, `save-before-commit`,
/// `save-after-commit` (Store.save); `sync-before-push-ack`,
/// `sync-after-push-ack`, `sync-before-pull-apply`, `sync-after-pull-apply`
/// (SyncEngine); `media-after-piece` (a piece of a file sent); `hub-after-import` (a hub stored a device's work, before answering).
public enum FaultPoint {
    #if RECOLHA_FAULTS
    nonisolated(unsafe) static var remaining: Int = 0
    static let armed: String? = {
        guard let spec = ProcessInfo.processInfo.environment["RECOLHA_FAULT_KILL"], !spec.isEmpty else { return nil }
        let parts = spec.split(separator: ":", maxSplits: 1)
        remaining = parts.count == 2 ? Int(parts[1]) ?? 1 : 1
        return String(parts[0])
    }()
    static let lock = NSLock()
    #endif

    /// Kills the process when `name` is the armed point (debug builds only).
    @inline(__always)
    public static func reach(_ name: String) {
        #if RECOLHA_FAULTS
        guard let armed, armed == name else { return }
        let fire = lock.withLock { remaining -= 1; return remaining == 0 }
        if fire { kill(getpid(), SIGKILL) }
        #endif
    }
}
