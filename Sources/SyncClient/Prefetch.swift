import Words
import Foundation

/// One piece of work on its own thread, collected later: the pull's next
/// page while the device writes the current one. The engine's transport is
/// used by one thread at a time (the caller does no network work meanwhile).
final class Prefetch<T>: @unchecked Sendable {
    private var result: Result<T, SyncError>?
    private let done = DispatchSemaphore(value: 0)
    private var collected = false

    init(_ work: @escaping () throws(SyncError) -> T) {
        let box = UncheckedWork(work)
        Thread { [self] in
            result = Result { () throws(SyncError) -> T in try box.work() }
            done.signal()
        }.start()
    }

    /// The work's answer, once it is done.
    func value() throws(SyncError) -> T {
        wait()
        return try result!.get()
    }

    /// Waits for the work (its answer unused).
    func wait() {
        guard !collected else { return }
        done.wait()
        collected = true
    }
}

private struct UncheckedWork<T>: @unchecked Sendable {
    let work: () throws(SyncError) -> T
    init(_ work: @escaping () throws(SyncError) -> T) { self.work = work }
}
