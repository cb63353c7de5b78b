import CLinux
import Foundation
import LeakwatchCore
import LeakwatchOutputs
import LeakwatchScan
import LeakwatchState
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// What became of one work item.
public enum ProcessingOutcome: Sendable, Equatable {
    /// Scanned; alerts delivered; export moved to done/ or deleted.
    case processed(alerts: Int)
    /// Moved to quarantine/ with a sidecar saying why.
    case quarantined(reason: String)
    /// Not for us: a temporary or hidden name, or already claimed by another daemon.
    case skipped
    /// Delivery failed (a full disk, say): the export stays in work/ under this name; retry.
    case retryLater(workName: String, error: String)
}

/// Claims, checks, reads, scans and files one export. Synchronous: it runs on a worker's own
/// thread, with the worker's `MatchScratch`.
///
/// Safety: a file is claimed by renaming it into `work/` (so two daemons sharing a drop
/// directory never both process it), then opened with `O_NOFOLLOW | O_NONBLOCK` and checked
/// with `fstat`: only a regular file with one link is read. Nothing outside the drop
/// directory is ever opened, and nothing blocks.
public struct ExportProcessor: Sendable {
    public let configuration: DaemonConfiguration
    public let paths: DaemonPaths
    public let rules: RuleSetStore
    public let spool: AlertSpool
    /// Decides what is new (one alert per leak across exports of a chat) and delivers it to the
    /// spool exactly once.
    public let ledger: StateLedger
    public let journal: JournalAlertSink?
    public let events: EventLog
    public let status: DaemonStatus
    public let fingerprintKey: [UInt8]
    /// Test hook: where to die with SIGKILL, to prove crash safety (`LEAKWATCH_TEST_CRASH_AT`).
    public var crashPoint: CrashPoint?
    /// Test hook: die at the crash point's n-th passage (`LEAKWATCH_TEST_CRASH_AT=after-spool@2`).
    public var crashAt: CrashCountdown?

    /// Counts passages through the crash point (shared by every worker).
    public final class CrashCountdown: Sendable {
        let remaining: Atomic<Int>
        public init(_ passage: Int) { remaining = Atomic(max(1, passage)) }
        func isDue() -> Bool { remaining.subtract(1, ordering: .relaxed).newValue == 0 }
    }

    /// Parses `LEAKWATCH_TEST_CRASH_AT`: `point` or `point@n`.
    public static func crashHook(_ text: String?) -> (CrashPoint, CrashCountdown)? {
        guard let text else { return nil }
        let parts = text.split(separator: "@", maxSplits: 1)
        guard let point = parts.first.flatMap({ CrashPoint(rawValue: String($0)) }) else { return nil }
        return (point, CrashCountdown(parts.count > 1 ? Int(parts[1]) ?? 1 : 1))
    }

    /// Points in the processing of a file where the exactly-once tests kill the daemon.
    public enum CrashPoint: String, Sendable, CaseIterable {
        case midScan = "mid-scan"
        /// The state has recorded the batch about to go to the spool.
        case beforeSpool = "before-spool"
        /// The spool has the batch; the state does not count it delivered yet.
        case afterSpool = "after-spool"
        /// The state counts the batch delivered; the journal does not have it yet.
        case afterState = "after-state"
        case afterJournal = "after-journal"
    }

    private func crash(at point: CrashPoint) {
        if crashPoint == point, crashAt?.isDue() ?? true { kill(getpid(), SIGKILL) }
    }

    /// Whether a drop-directory name is ignored: hidden files and names of files still being
    /// written by common tools.
    public static func isIgnored(_ name: String) -> Bool {
        name.hasPrefix(".") || name.hasPrefix("~") || name.hasSuffix(".part") || name.hasSuffix(".tmp")
            || name.hasSuffix(".crdownload")
    }

    /// Handles a name seen in the drop directory.
    public func process(_ item: WorkItem, scratch: MatchScratch) -> ProcessingOutcome {
        switch item {
        case .dropped(let name):
            guard !Self.isIgnored(name) else { return .skipped }
            let source = paths.drop + "/" + name
            var info = stat()
            guard lstat(source, &info) == 0 else { return .skipped }  // Gone: claimed elsewhere.
            if let reason = Self.unsafeReason(info) {
                return quarantine(from: source, name: name, code: "not-regular-file", detail: reason)
            }
            guard let workName = claim(name) else { return .skipped }
            return processClaimed(workName, recovering: false, scratch: scratch)
        case .recovered(let workName):
            return processClaimed(workName, recovering: true, scratch: scratch)
        }
    }

    /// Why an entry must not be read, from its `lstat`/`fstat`; nil for a plain regular file.
    static func unsafeReason(_ info: stat) -> String? {
        switch info.st_mode & S_IFMT {
        case S_IFREG:
            return info.st_nlink > 1 ? "a hard link (\(info.st_nlink) links): it may be a file from elsewhere" : nil
        case S_IFLNK: return "a symbolic link"
        case S_IFDIR: return "a directory (subdirectories are not followed)"
        case S_IFIFO: return "a FIFO"
        case S_IFSOCK: return "a socket"
        case S_IFCHR, S_IFBLK: return "a device"
        default: return "not a regular file"
        }
    }

    /// Renames `drop/name` into `work/`, under a name no other file there has.
    func claim(_ name: String) -> String? {
        let source = paths.drop + "/" + name
        switch Self.renameUnique(from: source, toDirectory: paths.work, name: name) {
        case .success(let workName):
            return workName
        case .failure(let error) where error.code == EXDEV:
            return copyClaim(source: source, name: name)
        case .failure:
            return nil  // ENOENT: another daemon claimed it first.
        }
    }

    /// Across filesystems: copy into work/ (fsync'ed), then unlink the original.
    private func copyClaim(source: String, name: String) -> String? {
        let input = open(source, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        guard input >= 0 else { return nil }
        defer { close(input) }
        guard (try? FileReading.regularFileSize(fd: input, path: source, limit: configuration.maxFileBytes + 1)) != nil
        else { return nil }
        let temporary = paths.work + "/.claim-" + UUID().uuidString
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return nil }
        // Copied in blocks: an export may be gigabytes.
        var copied = true
        var reader = FileDescriptorByteSource(fd: input, path: source)
        while copied, let block = try? reader.read(maxBytes: 1 << 20), !block.isEmpty {
            copied = block.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) } == block.count
        }
        let synced = fsync(fd) == 0
        close(fd)
        guard copied, synced, unlink(source) == 0,
            case .success(let workName) = Self.renameUnique(from: temporary, toDirectory: paths.work, name: name)
        else {
            unlink(temporary)
            return nil
        }
        syncDirectory(paths.work)
        return workName
    }

    /// Scans a claimed file and files it.
    func processClaimed(_ workName: String, recovering: Bool, scratch: MatchScratch) -> ProcessingOutcome {
        let started = ContinuousClock.now
        let workPath = paths.work + "/" + workName
        let reportedPath = paths.drop + "/" + workName

        let fd = open(workPath, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else {
            let reason = errno == ELOOP ? "a symbolic link" : String(cString: strerror(errno))
            return quarantine(
                from: workPath, name: workName, code: errno == ELOOP ? "not-regular-file" : "unreadable", detail: reason
            )
        }
        var info = stat()
        fstat(fd, &info)
        if let reason = Self.unsafeReason(info) {
            close(fd)
            return quarantine(from: workPath, name: workName, code: "not-regular-file", detail: reason)
        }
        if Int(info.st_size) > configuration.maxFileBytes {
            close(fd)
            return quarantine(
                from: workPath, name: workName, code: "too-large",
                detail: "\(info.st_size) bytes, over the limit of \(configuration.maxFileBytes)")
        }
        crash(at: .midScan)
        // The rule set this file started with is the one it finishes with, even across a reload.
        let ruleSet = rules.current
        let scanner = ExportScanner(
            ruleSet: ruleSet, budget: ScanBudget(time: .milliseconds(Int64(configuration.timeBudgetSeconds * 1000))),
            fingerprintKey: fingerprintKey)
        let detectedAt = AlertFormatting.rfc3339(Date())
        // Alerts first, durably, through the state (which turns leaks already alerted on in another
        // export of the chat into sightings); only then may the export leave work/. Scanned again
        // when another export of the chat added an alert meanwhile.
        let result: ScanResult
        let batch: AlertBatch
        let fresh: AlertBatch
        do {
            defer { close(fd) }
            var scanned: ScanResult
            var outcome: LedgerOutcome
            repeat {
                let watch = try ledger.watch()
                switch scan(
                    fd: fd, size: Int(info.st_size), workPath: workPath, reportedPath: reportedPath,
                    workName: workName, scanner: scanner, scratch: scratch, detectedAt: detectedAt, watch: watch)
                {
                case .failure(let failure):
                    return quarantine(
                        from: workPath, name: workName, code: failure.code.rawValue, detail: failure.message)
                case .success(let done): scanned = done
                }
                outcome = try ledger.record(scanned, detectedAt: detectedAt) { step in
                    switch step {
                    case .intentRecorded: crash(at: .beforeSpool)
                    case .spooled: crash(at: .afterSpool)
                    case .delivered: crash(at: .afterState)
                    }
                }
            } while outcome.isStale
            guard case .recorded(let all, let new) = outcome else { return .skipped }
            result = scanned
            batch = all
            fresh = new
        } catch {
            return .retryLater(workName: workName, error: error.description)
        }
        let marker = paths.journaled + "/" + workName
        if let journal {
            // After a crash the journal may lack what the spool has: send the whole batch again
            // unless the marker says the journal already took it.
            let alreadyJournaled = recovering && access(marker, F_OK) == 0
            if !alreadyJournaled {
                try? journal.deliver(recovering ? batch : fresh)
                close(open(marker, O_WRONLY | O_CREAT | O_CLOEXEC, 0o600))
            }
        }
        crash(at: .afterJournal)
        status.recordFile(alerts: fresh.alerts.count)
        let sightings = fresh.records.filter { $0.kind == .sighting }.count
        let milliseconds = (ContinuousClock.now - started).milliseconds

        if result.incomplete {
            let reason = result.records.first { $0.kind == .scanIncomplete }?.detail ?? "scan incomplete"
            let outcome = quarantine(from: workPath, name: workName, code: "budget-exhausted", detail: reason)
            unlink(marker)
            return outcome
        }
        switch configuration.retention {
        case .keep:
            chmod(workPath, 0o600)
            _ = Self.renameUnique(from: workPath, toDirectory: paths.done, name: workName)
            syncDirectory(paths.done)
        case .delete:
            unlink(workPath)
        }
        syncDirectory(paths.work)
        unlink(marker)
        events.log(
            DaemonEvent(
                .fileProcessed,
                "processed \(workName): \(result.formatDescription), \(result.messageCount) messages, "
                    + "\(result.alerts.count) alerts (\(fresh.alerts.count) new, \(sightings) sightings), \(milliseconds) ms",
                fields: [
                    "FILE": workName, "FORMAT": result.formatDescription, "MESSAGES": String(result.messageCount),
                    "ALERTS": String(result.alerts.count), "SIGHTINGS": String(sightings),
                    "MILLISECONDS": String(milliseconds),
                    "SOURCE_SHA256": result.file.sha256,
                ]))
        return .processed(alerts: result.alerts.count)
    }

    /// Scans the claimed file open as `fd` from its first byte (large text exports streamed in
    /// chunks; zip and JSON read whole, within `maxArchiveBytes`), watching for `watch`.
    private func scan(
        fd: Int32, size: Int, workPath: String, reportedPath: String, workName: String, scanner: ExportScanner,
        scratch: MatchScratch, detectedAt: String, watch: ContentWatch
    ) -> Result<ScanResult, LeakwatchError> {
        guard lseek(fd, 0, SEEK_SET) == 0 else {
            return .failure(FileReading.errnoError(.unreadable, "cannot seek", workPath))
        }
        let result: ScanResult
        if size > min(configuration.streamThreshold, configuration.maxArchiveBytes) {
            var source = FileDescriptorByteSource(fd: fd, path: workPath)
            result = StreamingExportScanner(scanner: scanner, chunkBytes: configuration.chunkBytes).scan(
                &source, path: reportedPath, fileName: workName, scratch: scratch, detectedAt: detectedAt,
                wholeFileLimit: configuration.maxArchiveBytes, watch: watch)
        } else {
            do {
                let bytes = try FileReading.readAll(fd: fd, path: workPath, limit: configuration.maxFileBytes)
                result = scanner.scan(
                    bytes, path: reportedPath, fileName: workName, scratch: scratch, detectedAt: detectedAt,
                    watch: watch)
            } catch {
                return .failure(error)
            }
        }
        if let failure = result.failure { return .failure(failure) }
        return .success(result)
    }

    /// Moves `path` to quarantine/ with a `NAME.reason.json` sidecar saying why.
    func quarantine(from path: String, name: String, code: String, detail: String) -> ProcessingOutcome {
        let sidecar: [String: String] = [
            "schema": "leakwatch.quarantine.v1", "file": name, "reason": code, "detail": detail,
            "quarantined_at": AlertFormatting.rfc3339(Date()),
        ]
        var quarantinedName = name
        switch Self.renameUnique(from: path, toDirectory: paths.quarantine, name: name) {
        case .success(let finalName): quarantinedName = finalName
        case .failure(let error):
            events.log(
                DaemonEvent(
                    .error, "cannot move \(name) to quarantine: \(String(cString: strerror(error.code)))",
                    fields: ["FILE": name]))
        }
        let sidecarPath = paths.quarantine + "/" + quarantinedName + ".reason.json"
        let json = AlertFormatting.jsonLine(sidecar) + "\n"
        let fd = open(sidecarPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0o600)
        if fd >= 0 {
            _ = json.utf8CString.withUnsafeBytes { write(fd, $0.baseAddress, $0.count - 1) }
            fsync(fd)
            close(fd)
        }
        syncDirectory(paths.quarantine)
        status.recordQuarantine(reason: "\(name): \(detail)")
        events.log(
            DaemonEvent(
                .fileQuarantined, "quarantined \(name): \(detail) (\(code))",
                fields: ["FILE": name, "REASON": code, "DETAIL": detail]))
        return .quarantined(reason: code)
    }

    /// Renames without replacing: `name`, then `name.1`, `name.2`, ... in `directory`.
    static func renameUnique(from source: String, toDirectory directory: String, name: String) -> Result<String, Errno>
    {
        for attempt in 0..<1000 {
            let candidate = attempt == 0 ? name : "\(name).\(attempt)"
            if clinux_rename_noreplace(source, directory + "/" + candidate) == 0 { return .success(candidate) }
            if errno != EEXIST { return .failure(Errno(errno)) }
        }
        return .failure(Errno(EEXIST))
    }
}

extension LedgerOutcome {
    var isStale: Bool {
        if case .stale = self { return true }
        return false
    }
}

extension Duration {
    var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
