import Dispatch
import Foundation

/// Items made, in order, on another thread while the caller uses the earlier ones: a bounded
/// hand-off of batches between one producer and one consumer.
///
/// The producer runs `produce`, which calls `emit` with each item; `next()` hands them to the
/// caller a batch at a time, and rethrows what `produce` threw once the items before it are
/// taken. At most `capacity` batches wait, so memory stays bounded whatever the count. `finish()`
/// stops the producer (its next `emit` throws) and waits for it: call it before the caller
/// leaves, also on an error, so the producer never outlives what it reads.
///
/// `@unchecked Sendable`: every stored property but `finished` is read and written under
/// `condition`'s lock; `finished` is a `DispatchGroup`, safe from any thread.
final class ProducedAhead<Item: Sendable>: @unchecked Sendable {
    private let condition = NSCondition()
    private var batches: [[Item]] = []
    private var ended = false
    private var failure: (any Error)?
    private var stopped = false
    private let capacity: Int
    private let finished = DispatchGroup()

    /// Thrown by `emit` once the caller has called `finish()`.
    struct Stopped: Error {}

    init(
        capacity: Int = 4, batchSize: Int = 256,
        produce: @escaping @Sendable (_ emit: (Item) throws -> Void) throws -> Void
    ) {
        self.capacity = max(1, capacity)
        let batchSize = max(1, batchSize)
        finished.enter()
        DispatchQueue.global(qos: .userInitiated).async {
            var batch: [Item] = []
            batch.reserveCapacity(batchSize)
            do {
                try produce { item in
                    batch.append(item)
                    if batch.count == batchSize {
                        try self.push(batch)
                        batch.removeAll(keepingCapacity: true)
                    }
                }
                if !batch.isEmpty { try self.push(batch) }
                self.end(with: nil)
            } catch is Stopped {
                self.end(with: nil)
            } catch {
                // The items made before the error come first.
                if !batch.isEmpty { try? self.push(batch) }
                self.end(with: error)
            }
            self.finished.leave()
        }
    }

    /// The next batch of items, in order; nil once all are taken. Throws what the producer threw,
    /// after the items it made before.
    func next() throws -> [Item]? {
        condition.lock()
        defer { condition.unlock() }
        while batches.isEmpty && !ended { condition.wait() }
        if !batches.isEmpty {
            let batch = batches.removeFirst()
            condition.broadcast()
            return batch
        }
        if let failure { throw failure }
        return nil
    }

    /// Stops the producer, if it still runs, and waits for it to return.
    func finish() {
        condition.lock()
        stopped = true
        condition.broadcast()
        condition.unlock()
        finished.wait()
    }

    private func push(_ batch: [Item]) throws {
        condition.lock()
        defer { condition.unlock() }
        while batches.count >= capacity && !stopped { condition.wait() }
        if stopped { throw Stopped() }
        batches.append(batch)
        condition.broadcast()
    }

    private func end(with error: (any Error)?) {
        condition.lock()
        ended = true
        failure = error
        condition.broadcast()
        condition.unlock()
    }
}
