import Foundation
import LeakwatchCore
import Posix
import Synchronization

/// Scans files: the one entry point from an open file to a `ScanResult`, used by `leakwatch scan`
/// (many files with a fixed number of workers, each with its own `MatchScratch`, results in input
/// order) and by the daemon (one claimed export at a time).
public struct FileScanSession: Sendable {
    public var scanner: ExportScanner
    /// How many files are scanned at once; with fewer files than workers, each file's matching
    /// overlaps its parsing (`ExportScanner.overlapsMatching`).
    public var workers: Int
    /// Larger files are not scanned. Text exports over `streamThreshold` are streamed, so this
    /// bounds time, not memory.
    public var maxFileBytes: Int
    /// Files over this size are streamed (`StreamingExportScanner`) rather than read whole.
    public var streamThreshold: Int
    /// Zip, JSON and UTF-16 exports, and images and PDFs on their own, are always read whole:
    /// larger ones are refused (by their size from `fstat`, before anything is read).
    public var maxArchiveBytes: Int
    /// The chunk size for streamed files.
    public var chunkBytes: Int
    /// Looking inside attached images and PDFs, when on (`scanner` must collect media).
    public var media: MediaScanning?

    /// The default `streamThreshold`: 8 MiB.
    public static let defaultStreamThreshold = 8 << 20
    /// The default `maxArchiveBytes`: 2 GiB.
    public static let defaultMaxArchiveBytes = 2 << 30

    public init(
        scanner: ExportScanner, workers: Int = ProcessInfo.processInfo.activeProcessorCount,
        maxFileBytes: Int = 64 << 30, streamThreshold: Int = FileScanSession.defaultStreamThreshold,
        maxArchiveBytes: Int = FileScanSession.defaultMaxArchiveBytes,
        chunkBytes: Int = StreamingExportScanner.defaultChunkBytes
    ) {
        self.scanner = scanner
        self.workers = max(1, workers)
        self.maxFileBytes = maxFileBytes
        self.streamThreshold = streamThreshold
        self.maxArchiveBytes = maxArchiveBytes
        self.chunkBytes = chunkBytes
    }

    /// Opens, reads and scans one file; with `watch`, the result carries transcripts for the state.
    public func scanFile(_ path: SystemPath, scratch: MatchScratch, watch: ContentWatch? = nil) -> ScanResult {
        let file: FileDescriptor
        do throws(PosixError) {
            file = try Posix.open(path, [.nonBlocking])
        } catch {
            var result = ScanResult(file: ScannedFile(path: path.escaped, sha256: ""))
            result.failure = LeakwatchError(.unreadable, "cannot open", error)
            return result
        }
        return scan(
            file, reportedPath: path.escaped, fileName: path.lastComponent.escaped, scratch: scratch, watch: watch)
    }

    /// Scans an open file: checks it is a regular file within `maxFileBytes` (`fstat`), then
    /// streams it when it is larger than the stream threshold, else reads it whole.
    /// - Parameters:
    ///   - reportedPath: the path alerts name.
    ///   - fileName: its last component, used only for chat names.
    ///   - watch: when given, the result carries transcripts for the state.
    public func scan(
        _ file: FileDescriptor, reportedPath: String, fileName: String, scratch: MatchScratch,
        watch: ContentWatch? = nil
    ) -> ScanResult {
        let detectedAt = AlertFormatting.rfc3339(Date())
        do throws(LeakwatchError) {
            let size = try FileReading.regularFileSize(file, limit: maxFileBytes)
            if size > min(streamThreshold, maxArchiveBytes) {
                var source = FileDescriptorByteSource(file)
                var result = StreamingExportScanner(scanner: scanner, chunkBytes: chunkBytes).scan(
                    &source, path: reportedPath, fileName: fileName, scratch: scratch, detectedAt: detectedAt,
                    wholeFileLimit: maxArchiveBytes, watch: watch)
                result.bytes = size
                return result
            }
            let bytes = try FileReading.readAll(file, limit: maxFileBytes)
            var result = scanner.scan(
                bytes, path: reportedPath, fileName: fileName, scratch: scratch, detectedAt: detectedAt, watch: watch)
            media?.scan(&result, scanner: scanner, scratch: scratch)
            return result
        } catch {
            var result = ScanResult(file: ScannedFile(path: reportedPath, sha256: ""))
            var failure = error
            failure.path = reportedPath
            result.failure = failure
            return result
        }
    }

    /// How many files per worker may be scanned ahead of the next one delivered.
    static let scanAhead = 4

    /// Scans `paths` with `workers` concurrent workers; `deliver` is called once per file, in
    /// the order of `paths`, as soon as that file and all before it are done. `watch`, when given,
    /// is asked for the state's `ContentWatch` before each file. Workers keep at most
    /// `scanAhead` files each scanned ahead of delivery.
    public func run(
        _ paths: [SystemPath], watch: (@Sendable () -> ContentWatch?)? = nil, deliver: (Int, ScanResult) -> Void
    ) async {
        let next = WorkCounter()
        var session = self
        // A spare core helps within a file: its matching runs beside its parsing.
        if paths.count < workers { session.scanner.overlapsMatching = true }
        await withTaskGroup(of: Void.self) { [session] group in
            // Workers pull indices; results are reordered below.
            let results = ResultBuffer(window: Self.scanAhead * workers)
            for _ in 0..<min(workers, max(1, paths.count)) {
                group.addTask {
                    let scratch: MatchScratch?
                    let scratchError: LeakwatchError?
                    do throws(LeakwatchError) {
                        scratch = try MatchScratch(budget: session.scanner.matcher.budget)
                        scratchError = nil
                    } catch {
                        scratch = nil
                        scratchError = error
                    }
                    while true {
                        let index = next.take()
                        guard index < paths.count else { break }
                        await results.waitForRoom(index)
                        if let scratch {
                            results.put(index, session.scanFile(paths[index], scratch: scratch, watch: watch?()))
                        } else {
                            // Every file still gets a result, so delivery never waits forever.
                            var failed = ScanResult(file: ScannedFile(path: paths[index].escaped, sha256: ""))
                            failed.failure = scratchError
                            results.put(index, failed)
                        }
                        // Workers never suspend otherwise: without this, as many workers as cores
                        // would keep delivery (the state's settlement, output) from running until
                        // every file is scanned.
                        await Task.yield()
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

/// Results waiting to be delivered in order, at most `window` files ahead of delivery.
///
/// A worker waits (`waitForRoom`) before it scans a file more than `window` places after the
/// next one to deliver: what is scanned but not yet delivered stays bounded however many files
/// are given, and when delivery (the state's settlement) is the slower side, the core a worker
/// would spend scanning far ahead goes to delivery instead. The file delivery waits for is always
/// inside the window, so a worker holding it never waits.
///
/// `@unchecked Sendable`: every access to the mutable state happens under `lock`.
final class ResultBuffer: @unchecked Sendable {
    /// How many files may be scanned ahead of the next one to deliver.
    let window: Int
    private let lock = Mutex<Void>(())
    private var storage: [Int: ScanResult] = [:]
    private var waiter: CheckedContinuation<Void, Never>?
    private var waitingFor: Int?
    /// The next index to deliver: every one below it has been taken.
    private var delivered = 0
    private var roomWaiters: [(index: Int, continuation: CheckedContinuation<Void, Never>)] = []

    init(window: Int) {
        self.window = max(1, window)
    }

    /// Returns once `index` is inside the window (at once if it already is).
    func waitForRoom(_ index: Int) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let resumeNow: Bool = lock.withLock { _ in
                if index < delivered + window { return true }
                roomWaiters.append((index, continuation))
                return false
            }
            if resumeNow { continuation.resume() }
        }
    }

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

    /// The result for `index`, the next to deliver, if it is there.
    func take(_ index: Int) -> ScanResult? {
        let (result, resumed) = lock.withLock { _ -> (ScanResult?, [CheckedContinuation<Void, Never>]) in
            guard let result = storage.removeValue(forKey: index) else { return (nil, []) }
            delivered = index + 1
            guard !roomWaiters.isEmpty else { return (result, []) }
            let limit = delivered + window
            let ready = roomWaiters.filter { $0.index < limit }.map(\.continuation)
            roomWaiters.removeAll { $0.index < limit }
            return (result, ready)
        }
        for continuation in resumed { continuation.resume() }
        return result
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
