import Posix
import Synchronization

/// A piece of work for a worker.
public enum WorkItem: Sendable, Hashable {
    /// A name that appeared in the drop directory.
    case dropped(FileName)
    /// A file left in `work/` by an earlier run, to be redone.
    case recovered(FileName)
}

/// The bounded queue between the watcher and the workers. Names already waiting are not added
/// twice. When it is full, new names are dropped and `overflowed` is set, so the watcher
/// rescans the directory once there is room: nothing is lost, memory stays bounded.
public final class FileQueue: Sendable {
    private struct State {
        var items: [WorkItem] = []
        var head = 0
        var waiting = Set<WorkItem>()
        var waiters: [CheckedContinuation<WorkItem?, Never>] = []
        var closed = false
        var overflowed = false
    }

    private let state = Mutex(State())
    public let capacity: Int

    public init(capacity: Int) {
        self.capacity = capacity
    }

    /// Adds `item` unless it is already waiting. When the queue is full the item is dropped and
    /// the overflow flag set (the watcher then rescans). Returns whether the item is queued.
    @discardableResult
    public func enqueue(_ item: WorkItem) -> Bool {
        add(item, markOverflow: true)
    }

    /// Adds `item` only if there is room; false (and nothing else happens) when the queue is full
    /// or closed. For a backlog the caller keeps and offers again later.
    public func offer(_ item: WorkItem) -> Bool {
        add(item, markOverflow: false)
    }

    private func add(_ item: WorkItem, markOverflow: Bool) -> Bool {
        let (queued, waiter): (Bool, CheckedContinuation<WorkItem?, Never>?) = state.withLock { state in
            guard !state.closed else { return (false, nil) }
            guard !state.waiting.contains(item) else { return (true, nil) }
            if !state.waiters.isEmpty { return (true, state.waiters.removeFirst()) }
            guard state.items.count - state.head < capacity else {
                if markOverflow { state.overflowed = true }
                return (false, nil)
            }
            state.items.append(item)
            state.waiting.insert(item)
            return (true, nil)
        }
        waiter?.resume(returning: item)
        return queued
    }

    /// The next item, waiting for one; nil once the queue is closed.
    public func next() async -> WorkItem? {
        await withCheckedContinuation { (continuation: CheckedContinuation<WorkItem?, Never>) in
            let ready: WorkItem?? = state.withLock { state in
                if state.closed { return .some(nil) }
                guard state.head < state.items.count else {
                    state.waiters.append(continuation)
                    return nil
                }
                let item = state.items[state.head]
                state.head += 1
                state.waiting.remove(item)
                if state.head > 1024 && state.head * 2 > state.items.count {
                    state.items.removeFirst(state.head)
                    state.head = 0
                }
                return .some(item)
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }

    /// Stops the queue: waiting workers get nil, queued names are dropped (they stay in the
    /// drop directory and are found again at the next start).
    public func close() {
        let waiters = state.withLock { state in
            state.closed = true
            state.items.removeAll()
            state.head = 0
            state.waiting.removeAll()
            defer { state.waiters.removeAll() }
            return state.waiters
        }
        for waiter in waiters { waiter.resume(returning: nil) }
    }

    public var count: Int { state.withLock { $0.items.count - $0.head } }

    /// Whether names were dropped because the queue was full (and clears the flag).
    public func takeOverflow() -> Bool {
        state.withLock { state in
            defer { state.overflowed = false }
            return state.overflowed
        }
    }
}
