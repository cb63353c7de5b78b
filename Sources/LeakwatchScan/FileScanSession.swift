import Foundation
import LeakwatchCore
import Synchronization

/// Scans many files with a fixed number of workers, each with its own `MatchScratch`, and
/// delivers results in input order. Used by `leakwatch scan`.
public struct FileScanSession: Sendable {
    public let scanner: ExportScanner
    public var workers: Int
    public var maxFileBytes: Int

    public init(
        scanner: ExportScanner, workers: Int = ProcessInfo.processInfo.activeProcessorCount, maxFileBytes: Int = 2 << 30
    ) {
        self.scanner = scanner
        self.workers = max(1, workers)
        self.maxFileBytes = maxFileBytes
    }

    /// Reads and scans one file.
    public func scanFile(_ path: String, scratch: MatchScratch) -> ScanResult {
        let name = path.split(separator: "/").last.map(String.init) ?? path
        let detectedAt = AlertFormatting.rfc3339(Date())
        do {
            let bytes = try FileReading.readFile(path, limit: maxFileBytes)
            return scanner.scan(bytes, path: path, fileName: name, scratch: scratch, detectedAt: detectedAt)
        } catch {
            var result = ScanResult(file: ScannedFile(path: path, sha256: ""))
            result.failure = error
            return result
        }
    }

    /// Scans `paths` with `workers` concurrent workers; `deliver` is called once per file, in
    /// the order of `paths`, as soon as that file and all before it are done.
    public func run(_ paths: [String], deliver: (Int, ScanResult) -> Void) async {
        let next = WorkCounter()
        await withTaskGroup(of: [(Int, ScanResult)].self) { group in
            // Workers pull indices; results are reordered below.
            let results = ResultBuffer()
            for _ in 0..<min(workers, max(1, paths.count)) {
                group.addTask {
                    guard let scratch = try? MatchScratch(budget: scanner.matcher.budget) else { return [] }
                    while true {
                        let index = next.take()
                        guard index < paths.count else { break }
                        results.put(index, scanFile(paths[index], scratch: scratch))
                    }
                    return []
                }
            }
            var nextToDeliver = 0
            while nextToDeliver < paths.count {
                if let result = results.take(nextToDeliver) {
                    deliver(nextToDeliver, result)
                    nextToDeliver += 1
                } else {
                    await results.waitForChange()
                }
            }
            for await _ in group {}
        }
    }
}

/// Results waiting to be delivered in order.
///
/// `@unchecked Sendable`: every access to `storage` and `waiters` happens under `lock`.
final class ResultBuffer: @unchecked Sendable {
    private let lock = Mutex<Void>(())
    private var storage: [Int: ScanResult] = [:]
    private var waiter: CheckedContinuation<Void, Never>?

    func put(_ index: Int, _ result: ScanResult) {
        let resumed: CheckedContinuation<Void, Never>? = lock.withLock { _ in
            storage[index] = result
            defer { waiter = nil }
            return waiter
        }
        resumed?.resume()
    }

    func take(_ index: Int) -> ScanResult? {
        lock.withLock { _ in storage.removeValue(forKey: index) }
    }

    func waitForChange() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let resumeNow: Bool = lock.withLock { _ in
                if storage.isEmpty {
                    waiter = continuation
                    return false
                }
                return true
            }
            if resumeNow { continuation.resume() }
        }
    }
}

/// Hands out work indices to workers.
final class WorkCounter: Sendable {
    private let next = Atomic<Int>(0)
    func take() -> Int { next.add(1, ordering: .relaxed).oldValue }
}
