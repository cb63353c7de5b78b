import LeakwatchCore
import Synchronization
import Testing

@testable import LeakwatchScan

/// The hand-off between scanning workers and in-order delivery: workers stay within a window of
/// files ahead of delivery, so what waits to be delivered is bounded however many files there are.
@Suite struct ResultBufferTests {
    static func result(_ index: Int) -> ScanResult {
        ScanResult(file: ScannedFile(path: "file-\(index)", sha256: ""))
    }

    @Test("a worker more than a window ahead of delivery waits until delivery catches up")
    func workersWaitForRoom() async {
        let buffer = ResultBuffer(window: 2)
        // Inside the window: at once.
        await buffer.waitForRoom(0)
        await buffer.waitForRoom(1)
        let released = Released()
        await withTaskGroup(of: Void.self) { group in
            for index in [3, 2] {
                group.addTask {
                    await buffer.waitForRoom(index)
                    released.list.withLock { $0.append(index) }
                }
            }
            buffer.put(0, Self.result(0))
            #expect(buffer.take(0)?.file.path == "file-0")
            // Delivery is at 1: the window is 1 and 2.
            await group.next()
            #expect(released.list.withLock { $0 } == [2])
            buffer.put(1, Self.result(1))
            #expect(buffer.take(1)?.file.path == "file-1")
            await group.next()
            #expect(released.list.withLock { $0 } == [2, 3])
        }
    }

    final class Released: Sendable {
        let list = Mutex<[Int]>([])
    }

    @Test("results are taken in order, whatever order they were put in")
    func resultsAreTakenInOrder() async {
        let buffer = ResultBuffer(window: 4)
        for index in [2, 0, 3, 1] { buffer.put(index, Self.result(index)) }
        var delivered: [String] = []
        for index in 0..<4 {
            await buffer.waitFor(index)
            if let result = buffer.take(index) { delivered.append(result.file.path) }
        }
        #expect(delivered == ["file-0", "file-1", "file-2", "file-3"])
    }
}
