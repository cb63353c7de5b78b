import Foundation
import Synchronization

/// Runs blocking or CPU-heavy work (reading and scanning an export, waiting on inotify) on a
/// thread of its own, so it never occupies one of the few threads of Swift's cooperative pool.
enum BlockingWork {
    /// Runs `body` on a new thread and returns its result, or nil if the calling task is
    /// cancelled first (the thread then finishes on its own; its result is dropped).
    static func run<T: Sendable>(name: String, _ body: @escaping @Sendable () -> T) async -> T? {
        let once = ResumeOnce<T>()
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<T?, Never>) in
                once.install(continuation)
                let thread = Thread {
                    once.resume(body())
                }
                thread.name = name
                thread.stackSize = 8 << 20
                thread.start()
            }
        } onCancel: {
            once.resume(nil)
        }
    }
}

/// Resumes a continuation exactly once, from whichever side comes first.
final class ResumeOnce<T: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<T?, Never>?
        var early: T??
    }
    private let state = Mutex(State())

    func install(_ continuation: CheckedContinuation<T?, Never>) {
        let early: T?? = state.withLock { state in
            if let early = state.early {
                state.early = .some(nil)
                return early
            }
            state.continuation = continuation
            return nil
        }
        if let early { continuation.resume(returning: early) }
    }

    func resume(_ value: T?) {
        let continuation: CheckedContinuation<T?, Never>? = state.withLock { state in
            if let continuation = state.continuation {
                state.continuation = nil
                state.early = .some(nil)
                return continuation
            }
            if state.early == nil { state.early = .some(value) }
            return nil
        }
        continuation?.resume(returning: value)
    }
}
