import Foundation
import LeakwatchCore
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Scans many files with a fixed number of workers, each with its own `MatchScratch`, and
/// delivers results in input order. Used by `leakwatch scan`.
public struct FileScanSession: Sendable {
    public let scanner: ExportScanner
    public var workers: Int
    /// Larger files are not scanned. Text exports over `streamThreshold` are streamed, so this
    /// bounds time, not memory.
    public var maxFileBytes: Int
    /// Files over this size are streamed (`StreamingExportScanner`) rather than read whole.
    public var streamThreshold: Int
    /// Zip, JSON and UTF-16 exports are always read whole: larger ones are refused.
    public var maxArchiveBytes: Int
    /// The chunk size for streamed files.
    public var chunkBytes: Int

    public init(
        scanner: ExportScanner, workers: Int = ProcessInfo.processInfo.activeProcessorCount,
        maxFileBytes: Int = 64 << 30, streamThreshold: Int = 32 << 20, maxArchiveBytes: Int = 2 << 30,
        chunkBytes: Int = StreamingExportScanner.defaultChunkBytes
    ) {
        self.scanner = scanner
        self.workers = max(1, workers)
        self.maxFileBytes = maxFileBytes
        self.streamThreshold = streamThreshold
        self.maxArchiveBytes = maxArchiveBytes
        self.chunkBytes = chunkBytes
    }

    /// Reads and scans one file; with `watch`, the result carries transcripts for the state.
    public func scanFile(_ path: String, scratch: MatchScratch, watch: ContentWatch? = nil) -> ScanResult {
        let name = path.split(separator: "/").last.map(String.init) ?? path
        let detectedAt = AlertFormatting.rfc3339(Date())
        do throws(LeakwatchError) {
            let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
            guard fd >= 0 else { throw FileReading.errnoError(.unreadable, "cannot open", path) }
            defer { close(fd) }
            let size = try FileReading.regularFileSize(fd: fd, path: path, limit: maxFileBytes)
            if size > min(streamThreshold, maxArchiveBytes) {
                var source = FileDescriptorByteSource(fd: fd, path: path)
                return StreamingExportScanner(scanner: scanner, chunkBytes: chunkBytes).scan(
                    &source, path: path, fileName: name, scratch: scratch, detectedAt: detectedAt,
                    wholeFileLimit: maxArchiveBytes, watch: watch)
            }
            let bytes = try FileReading.readAll(fd: fd, path: path, limit: maxFileBytes)
            return scanner.scan(
                bytes, path: path, fileName: name, scratch: scratch, detectedAt: detectedAt, watch: watch)
        } catch {
            var result = ScanResult(file: ScannedFile(path: path, sha256: ""))
            result.failure = error
            return result
        }
    }

    /// Scans `paths` with `workers` concurrent workers; `deliver` is called once per file, in
    /// the order of `paths`, as soon as that file and all before it are done. `watch`, when given,
    /// is asked for the state's `ContentWatch` before each file.
    public func run(
        _ paths: [String], watch: (@Sendable () -> ContentWatch?)? = nil, deliver: (Int, ScanResult) -> Void
    ) async {
        let next = WorkCounter()
        await withTaskGroup(of: Void.self) { group in
            // Workers pull indices; results are reordered below.
            let results = ResultBuffer()
            for _ in 0..<min(workers, max(1, paths.count)) {
                group.addTask {
                    let scratch: MatchScratch?
                    let scratchError: LeakwatchError?
                    do throws(LeakwatchError) {
                        scratch = try MatchScratch(budget: scanner.matcher.budget)
                        scratchError = nil
                    } catch {
                        scratch = nil
                        scratchError = error
                    }
                    while true {
                        let index = next.take()
                        guard index < paths.count else { break }
                        if let scratch {
                            results.put(index, scanFile(paths[index], scratch: scratch, watch: watch?()))
                        } else {
                            // Every file still gets a result, so delivery never waits forever.
                            var failed = ScanResult(file: ScannedFile(path: paths[index], sha256: ""))
                            failed.failure = scratchError
                            results.put(index, failed)
                        }
                    }
                }
            }
            var nextToDeliver = 0
            while nextToDeliver < paths.count {
                if let result = results.take(nextToDeliver) {
                    deliver(nextToDeliver, result)
                    nextToDeliver += 1
                } else {
                    await results.waitFor(nextToDeliver)
                }
            }
            for await _ in group {}
        }
    }
}

/// Results waiting to be delivered in order.
///
/// `@unchecked Sendable`: every access to `storage`, `waiter` and `waitingFor` happens under `lock`.
final class ResultBuffer: @unchecked Sendable {
    private let lock = Mutex<Void>(())
    private var storage: [Int: ScanResult] = [:]
    private var waiter: CheckedContinuation<Void, Never>?
    private var waitingFor: Int?

    func put(_ index: Int, _ result: ScanResult) {
        let resumed: CheckedContinuation<Void, Never>? = lock.withLock { _ in
            storage[index] = result
            guard index == waitingFor, let waiting = waiter else { return nil }
            waiter = nil
            waitingFor = nil
            return waiting
        }
        resumed?.resume()
    }

    func take(_ index: Int) -> ScanResult? {
        lock.withLock { _ in storage.removeValue(forKey: index) }
    }

    /// Returns once the result for `index` is there (at once if it already is).
    func waitFor(_ index: Int) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let resumeNow: Bool = lock.withLock { _ in
                if storage[index] == nil {
                    waiter = continuation
                    waitingFor = index
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
