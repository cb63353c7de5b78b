import Synchronization
import Testing

@testable import LeakwatchState

/// The hand-off between the thread that makes a settlement's alerts ready and the one settling
/// them: order, errors, a bounded queue, and a caller that stops early.
@Suite struct ProducedAheadTests {
    struct Failure: Error, Equatable {}

    @Test(arguments: [1, 7, 256], [1, 3])
    func itemsArriveInOrder(batchSize: Int, capacity: Int) throws {
        let ahead = ProducedAhead<Int>(capacity: capacity, batchSize: batchSize) { emit in
            for item in 0..<10_000 { try emit(item) }
        }
        defer { ahead.finish() }
        var received: [Int] = []
        while let batch = try ahead.next() {
            #expect(batch.count <= batchSize)
            received += batch
        }
        #expect(received == Array(0..<10_000))
        #expect(try ahead.next() == nil)
    }

    @Test func anErrorComesAfterTheItemsMadeBeforeIt() throws {
        let ahead = ProducedAhead<Int>(capacity: 2, batchSize: 10) { emit in
            for item in 0..<25 { try emit(item) }
            throw Failure()
        }
        defer { ahead.finish() }
        var received: [Int] = []
        #expect(throws: Failure.self) {
            while let batch = try ahead.next() { received += batch }
        }
        #expect(received == Array(0..<25))
    }

    @Test func nothingIsMadeBeyondTheQueueAndFinishStopsTheProducer() throws {
        let made = Atomic<Int>(0)
        let ahead = ProducedAhead<Int>(capacity: 2, batchSize: 5) { emit in
            for item in 0..<1_000_000 {
                made.add(1, ordering: .relaxed)
                try emit(item)
            }
        }
        let first = try ahead.next()
        #expect(first == [0, 1, 2, 3, 4])
        // The producer stops once the queue is full: what it made is bounded.
        ahead.finish()
        #expect(made.load(ordering: .relaxed) <= 5 * 4)
    }

    @Test func aProducerWithNothingEndsAtOnce() throws {
        let ahead = ProducedAhead<Int> { _ in }
        defer { ahead.finish() }
        #expect(try ahead.next() == nil)
    }
}
