import Foundation
import LeakwatchCore
import LeakwatchMedia
import LeakwatchOutputs
import LeakwatchScan
import LeakwatchState
import Posix
import Synchronization

/// What became of one work item.
public enum ProcessingOutcome: Sendable, Equatable {
    /// Scanned; alerts delivered; export moved to done/ or deleted.
    case processed(alerts: Int)
    /// Moved to quarantine/ with a sidecar saying why.
    case quarantined(reason: String)
    /// Not for us: a temporary or hidden name, or already claimed by another daemon.
    case skipped
    /// A step failed (a full disk under the spool or the state directory, say): the export
    /// stays where it is (in the drop directory, or in work/) and `item` is tried again.
    case retryLater(item: WorkItem, error: String)
}

/// Claims, checks, reads, scans and files one export. Synchronous: it runs on a worker's own
/// thread, with the worker's `MatchScratch`.
///
/// Safety: a file is claimed by renaming it into `work/` (so two daemons sharing a drop
/// directory never both process it), then opened with `O_NOFOLLOW | O_NONBLOCK` and checked
/// with `fstat`: only a regular file with one link is read. Nothing outside the drop
/// directory is ever opened, and nothing blocks. Names are bytes throughout; they are shown
/// escaped (`FileName.escaped`). Every rename, link, unlink and fsync is checked: a step that
/// fails leaves the export where it is and is retried.
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
    /// The Prometheus metrics file (`DaemonMetrics`).
    public let metrics: DaemonMetrics
    public let fingerprintKey: [UInt8]
    /// The known-media lists in force (reloaded like rules), for media scanning.
    public var knownMedia: KnownMediaStore?
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
        case midClaim = "mid-claim"
        /// Inside the spool write (half the batch written): see `AlertSpool.Configuration`.
        case midSpoolWrite = "mid-spool-write"
        /// After the first media file of an export was examined (its text alerts are out).
        case midMedia = "mid-media"
    }

    func crash(at point: CrashPoint) {
        if crashPoint == point, crashAt?.isDue() ?? true { try? Posix.send(.kill, to: Posix.processID) }
    }

    /// Prefix of a copy-claim in progress in `work/` (`.claim-ID`, with `.claim-ID.name` holding
    /// the original name).
    static let claimPrefix = ".claim-"

    /// Whether a drop-directory name is ignored: hidden files and names of files still being
    /// written by common tools.
    public static func isIgnored(_ name: FileName) -> Bool {
        name.hasPrefix(".") || name.hasPrefix("~") || name.hasSuffix(".part") || name.hasSuffix(".tmp")
            || name.hasSuffix(".crdownload")
    }

    /// Handles a name seen in the drop directory.
    public func process(_ item: WorkItem, scratch: MatchScratch) -> ProcessingOutcome {
        switch item {
        case .dropped(let name):
            guard !Self.isIgnored(name) else { return .skipped }
            let source = paths.drop.appending(name)
            let info: FileStatus
            do throws(PosixError) {
                guard let present = try Posix.statusIfPresent(source, followSymlinks: false) else {
                    return .skipped  // Gone: claimed elsewhere.
                }
                info = present
            } catch {
                return .retryLater(item: item, error: error.description)
            }
            if let reason = Self.unsafeReason(info) {
                return quarantine(from: source, name: name, code: "not-regular-file", detail: reason, item: item)
            }
            switch claim(name) {
            case .claimed(let workName): return processClaimed(workName, recovering: false, scratch: scratch)
            case .gone: return .skipped
            case .failed(let error): return .retryLater(item: item, error: "cannot claim it: \(error)")
            }
        case .recovered(let workName):
            return processClaimed(workName, recovering: true, scratch: scratch)
        }
    }

    /// Why an entry must not be read, from its `lstat`/`fstat`; nil for a plain regular file.
    static func unsafeReason(_ info: FileStatus) -> String? {
        switch info.kind {
        case .regular:
            return info.links > 1 ? "a hard link (\(info.links) links): it may be a file from elsewhere" : nil
        case .symbolicLink: return "a symbolic link"
        case .directory: return "a directory (subdirectories are not followed)"
        case .fifo: return "a FIFO"
        case .socket: return "a socket"
        case .characterDevice, .blockDevice: return "a device"
        case .unknown: return "not a regular file"
        }
    }

    enum Claim {
        case claimed(FileName)
        /// Not there any more: another daemon took it (or it was removed).
        case gone
        /// Could not be claimed (no space for the copy, say): retry.
        case failed(PosixError)
    }

    /// Renames `drop/name` into `work/`, under a name no other file there has.
    func claim(_ name: FileName) -> Claim {
        let source = paths.drop.appending(name)
        do throws(PosixError) {
            return .claimed(try Self.renameUnique(from: source, toDirectory: paths.work, name: name))
        } catch let error where error.isCrossDevice {
            return copyClaim(name)
        } catch let error where error.isNotFound {
            return .gone
        } catch {
            return .failed(error)
        }
    }

    /// Across filesystems: the name is recorded (`.claim-ID.name`), the file copied to
    /// `.claim-ID` and fsync'ed, the original unlinked (only one daemon can: that is the claim),
    /// then the copy renamed to its work name. `Daemon.recoverClaims` finishes or undoes one a
    /// crash interrupted. Nothing is lost: the original goes only once the copy is on disk.
    private func copyClaim(_ name: FileName) -> Claim {
        let source = paths.drop.appending(name)
        let id = "\(Self.claimPrefix)\(UInt64.random(in: 0 ... .max))"
        let temporary = paths.work.appending(id)
        let nameFile = paths.work.appending(id + ".name")
        func cleanUp() {
            try? Posix.unlink(temporary, ignoringMissing: true)
            try? Posix.unlink(nameFile, ignoringMissing: true)
        }
        do throws(PosixError) {
            let input = try Posix.open(source, [.noFollow, .nonBlocking])
            guard try input.status().kind == .regular else { throw PosixError.invalid("open", source) }
            try Posix.durableCreate(nameFile, with: name.bytes, permissions: 0o600)
            let output = try Posix.open(temporary, [.writeOnly, .create, .exclusive, .noFollow], permissions: 0o600)
            try output.copyContents(of: input)
            try output.sync()
            try Posix.syncDirectory(paths.work)
        } catch let error where error.isNotFound || error.isSymbolicLink {
            cleanUp()
            return .gone
        } catch {
            cleanUp()
            return .failed(error)
        }
        crash(at: .midClaim)
        do throws(PosixError) {
            try Posix.unlink(source)
        } catch {
            cleanUp()
            return error.isNotFound ? .gone : .failed(error)
        }
        do throws(PosixError) {
            let workName = try Self.renameUnique(from: temporary, toDirectory: paths.work, name: name)
            try Posix.syncDirectory(paths.work)
            try Posix.unlink(nameFile)
            return .claimed(workName)
        } catch {
            // The original is gone and the copy is on disk under `.claim-ID`: the next start
            // finishes the claim (`Daemon.recoverClaims`); report and leave it.
            events.log(
                DaemonEvent(
                    .error, "cannot finish claiming \(name.escaped): \(error); it is finished at the next start",
                    fields: ["FILE": name.escaped]))
            return .gone
        }
    }

    /// Scans a claimed file and files it.
    func processClaimed(_ workName: FileName, recovering: Bool, scratch: MatchScratch) -> ProcessingOutcome {
        let started = ContinuousClock.now
        let workPath = paths.work.appending(workName)
        let reportedPath = paths.drop.appending(workName).escaped
        let item = WorkItem.recovered(workName)

        let file: FileDescriptor
        let info: FileStatus
        do throws(PosixError) {
            file = try Posix.open(workPath, [.noFollow, .nonBlocking])
            info = try file.status()
        } catch let error where error.isSymbolicLink {
            return quarantine(
                from: workPath, name: workName, code: "not-regular-file", detail: "a symbolic link", item: item)
        } catch let error where error.isNotFound {
            return .skipped
        } catch {
            return quarantine(from: workPath, name: workName, code: "unreadable", detail: error.reason, item: item)
        }
        if let reason = Self.unsafeReason(info) {
            return quarantine(from: workPath, name: workName, code: "not-regular-file", detail: reason, item: item)
        }
        if info.size > configuration.maxFileBytes {
            return quarantine(
                from: workPath, name: workName, code: "too-large",
                detail: "\(info.size) bytes, over the limit of \(configuration.maxFileBytes)", item: item)
        }
        crash(at: .midScan)
        // The rule set this file started with is the one it finishes with, even across a reload.
        var scanner = ExportScanner(
            ruleSet: rules.current,
            budget: ScanBudget(time: .milliseconds(Int64(configuration.timeBudgetSeconds * 1000))),
            fingerprintKey: fingerprintKey)
        scanner.maxLineBytes = configuration.maxLineBytes
        scanner.chunkBytes = configuration.chunkBytes
        scanner.collectsMedia = configuration.media.enabled
        // A streamed export's alerts wait on disk until they are delivered, not in memory.
        scanner.makeSpill = AlertSpillFile.maker()
        let session = FileScanSession(
            scanner: scanner, workers: 1, maxFileBytes: configuration.maxFileBytes,
            streamThreshold: configuration.streamThreshold, maxArchiveBytes: configuration.maxArchiveBytes,
            chunkBytes: configuration.chunkBytes)
        let detectedAt = AlertFormatting.rfc3339(Date())
        // Alerts first, durably, through the state (which turns leaks already alerted on in another
        // export of the chat into sightings); only then may the export leave work/. Scanned again
        // when another export of the chat added an alert meanwhile.
        let result: ScanResult
        let batch: AlertBatch
        let fresh: AlertBatch
        let seen = SeenExports(directory: paths.seen)
        do {
            var scanned: ScanResult
            var outcome: LedgerOutcome
            var attempts = 0
            repeat {
                // First with the watch of the last settled file (no waiting for another worker's
                // settlement); again, after a stale outcome, with a fresh one.
                let watch = try attempts == 0 ? ledger.recentWatch() : ledger.watch()
                attempts += 1
                scanned = session.scan(
                    file, reportedPath: reportedPath, fileName: workName.escaped, scratch: scratch, watch: watch)
                // A spill file that failed is the machine's fault (a full disk), not the export's.
                if let failure = scanned.failure, failure.code == .spillFailed {
                    return .retryLater(item: item, error: failure.description)
                }
                if let failure = scanned.failure {
                    return quarantine(
                        from: workPath, name: workName, code: failure.code.rawValue, detail: failure.message,
                        item: item)
                }
                // The first export with these bytes is remembered before anything is delivered, so
                // that of two copies processed at once, one is always recorded as the duplicate.
                do throws(PosixError) {
                    if let duplicate = try seen.check(scanned, name: workName, identity: SeenExports.Identity(info)) {
                        scanned.records.append(duplicate)
                    }
                } catch {
                    return .retryLater(item: item, error: "cannot record the export as seen: \(error)")
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
            return .retryLater(item: item, error: error.description)
        }
        let marker = paths.journaled.appending(workName)
        if let journal {
            // After a crash the journal may lack what the spool has: send the whole batch again
            // unless the marker says the journal already took it.
            let alreadyJournaled = recovering && ((try? Posix.statusIfPresent(marker)) ?? nil) != nil
            if !alreadyJournaled {
                try? journal.deliver(recovering ? batch : fresh)
                do throws(PosixError) {
                    _ = try Posix.open(marker, [.writeOnly, .create], permissions: 0o600)
                } catch {
                    // Only costs journal entries sent twice after a crash.
                    events.log(DaemonEvent(.error, "cannot mark \(workName.escaped) as journaled: \(error)"))
                }
            }
        }
        crash(at: .afterJournal)
        if let duplicate = fresh.records.first(where: { $0.kind == .duplicateExport }) {
            events.log(
                DaemonEvent(
                    .duplicateExport, duplicate.detail,
                    fields: ["FILE": workName.escaped, "SOURCE_SHA256": result.file.sha256]))
        }
        let sightings = fresh.records.filter { $0.kind == .sighting }.count
        // The text alerts are out; now what is inside its images and PDFs, as a second delivery.
        var mediaAlerts: [Alert] = []
        var mediaIncomplete: ScanRecord?
        if let media = result.media {
            switch deliverMedia(
                media, of: result, scanner: scanner, workName: workName, recovering: recovering, scratch: scratch)
            {
            case .delivered(let newAlerts, let incomplete):
                mediaAlerts = newAlerts
                mediaIncomplete = incomplete
            case .retryLater(let error):
                return .retryLater(item: item, error: error)
            }
        }
        let milliseconds = (ContinuousClock.now - started).milliseconds

        if result.incomplete || mediaIncomplete != nil {
            let record = result.records.first { $0.kind == .scanIncomplete } ?? mediaIncomplete
            let outcome = quarantine(
                from: workPath, name: workName, code: record?.code ?? "scan-incomplete",
                detail: record?.detail ?? "scan incomplete", item: item)
            if case .quarantined = outcome {
                recordFinished(
                    result, bytes: info.size, newAlerts: fresh.alerts, mediaAlerts: mediaAlerts, started: started)
                try? Posix.unlink(marker, ignoringMissing: true)
                try? Posix.unlink(mediaMarker(workName), ignoringMissing: true)
            }
            return outcome
        }
        do throws(PosixError) {
            switch configuration.retention {
            case .keep:
                // Private; best effort: an export owned by its uploader cannot be chmod'ed by the
                // service user, and done/ (mode 0700) keeps it private regardless.
                try? Posix.setPermissions(workPath, 0o600)
                _ = try Self.renameUnique(from: workPath, toDirectory: paths.done, name: workName)
                try Posix.syncDirectory(paths.done)
            case .delete:
                try Posix.unlink(workPath)
            }
            try Posix.syncDirectory(paths.work)
            try Posix.unlink(marker, ignoringMissing: true)
        } catch {
            // The alerts are in the spool: doing it again adds none. Keep it in work/ and retry.
            return .retryLater(item: item, error: "cannot file it away: \(error)")
        }
        try? Posix.unlink(mediaMarker(workName), ignoringMissing: true)
        recordFinished(result, bytes: info.size, newAlerts: fresh.alerts, mediaAlerts: mediaAlerts, started: started)
        events.log(
            DaemonEvent(
                .fileProcessed,
                "processed \(workName.escaped): \(result.formatDescription), \(result.messageCount) messages, "
                    + "\(result.alertCount) alerts (\(fresh.alerts.count) new, \(sightings) sightings), "
                    + "\(milliseconds) ms",
                fields: [
                    "FILE": workName.escaped, "FORMAT": result.formatDescription,
                    "MESSAGES": String(result.messageCount), "ALERTS": String(result.alertCount),
                    "SIGHTINGS": String(sightings), "MILLISECONDS": String(milliseconds),
                    "SOURCE_SHA256": result.file.sha256,
                ]))
        return .processed(alerts: result.alertCount)
    }

    /// Counts a file whose alerts went out (`newAlerts` and `mediaAlerts`: those new to the
    /// spool), for `STATUS=` and the metrics.
    private func recordFinished(
        _ result: ScanResult, bytes: Int, newAlerts: AlertList, mediaAlerts: [Alert], started: ContinuousClock.Instant
    ) {
        status.recordFile(alerts: newAlerts.count + mediaAlerts.count)
        metrics.recordProcessed(
            result, bytes: bytes, newAlerts: newAlerts, mediaAlerts: mediaAlerts,
            duration: ContinuousClock.now - started)
    }

    /// Moves `path` to quarantine/ with a `NAME.reason.json` sidecar saying why. When the move
    /// fails (the disk or the directory refuses), `item` is retried later; a name that vanished
    /// meanwhile is skipped.
    func quarantine(from path: SystemPath, name: FileName, code: String, detail: String, item: WorkItem)
        -> ProcessingOutcome
    {
        var quarantinedName: FileName
        var keptAt = paths.quarantine
        do throws(PosixError) {
            quarantinedName = try Self.renameUnique(from: path, toDirectory: paths.quarantine, name: name)
        } catch let error where error.isNotFound {
            return .skipped
        } catch let error where error.isCrossDevice {
            // An entry that is not a file (a symlink, a FIFO...) in a drop directory on another
            // filesystem cannot be moved to quarantine/: it is hidden where it is (the watcher
            // ignores hidden names), and the sidecar says where.
            do throws(PosixError) {
                quarantinedName = try Self.renameUnique(
                    from: path, toDirectory: path.parent, name: name.prefixed(".quarantined-"))
                keptAt = path.parent
            } catch {
                return .retryLater(item: item, error: "cannot move it to quarantine: \(error)")
            }
        } catch {
            return .retryLater(item: item, error: "cannot move it to quarantine: \(error)")
        }
        let sidecar: [String: String] = [
            "schema": "leakwatch.quarantine.v1", "file": name.escaped, "quarantined_as": quarantinedName.escaped,
            "reason": code, "detail": detail, "quarantined_at": AlertFormatting.rfc3339(Date()),
            "kept_in": keptAt.escaped,
        ]
        let json = Array((AlertFormatting.jsonLine(sidecar) + "\n").utf8)
        var sidecarError: PosixError?
        let sidecarBase = keptAt == paths.quarantine ? quarantinedName : name
        for attempt in 0..<1000 {
            let sidecarName = sidecarBase.appending(attempt == 0 ? ".reason.json" : ".\(attempt).reason.json")
            do throws(PosixError) {
                try Posix.durableCreate(paths.quarantine.appending(sidecarName), with: json, permissions: 0o600)
                sidecarError = nil
                break
            } catch let error where error.isAlreadyExisting {
                continue
            } catch {
                sidecarError = error
                break
            }
        }
        if let sidecarError {
            // The file is in quarantine and this event says why; only the sidecar is missing.
            events.log(
                DaemonEvent(
                    .error, "cannot write the quarantine sidecar of \(name.escaped): \(sidecarError)",
                    fields: ["FILE": name.escaped]))
        }
        do throws(PosixError) {
            try Posix.syncDirectory(paths.quarantine)
            try Posix.syncDirectory(path.parent)
        } catch {
            events.log(DaemonEvent(.error, "cannot sync after quarantining \(name.escaped): \(error)"))
        }
        status.recordQuarantine(reason: "\(name.escaped): \(detail)")
        metrics.recordQuarantine(reason: code)
        events.log(
            DaemonEvent(
                .fileQuarantined, "quarantined \(name.escaped): \(detail) (\(code))",
                fields: ["FILE": name.escaped, "REASON": code, "DETAIL": detail]))
        return .quarantined(reason: code)
    }

    /// Renames without replacing: `name`, then `name.1`, `name.2`, ... in `directory`, each
    /// shortened to fit `NAME_MAX` when needed.
    static func renameUnique(from source: SystemPath, toDirectory directory: SystemPath, name: FileName)
        throws(PosixError) -> FileName
    {
        for attempt in 0..<10_000 {
            let candidate = attempt == 0 ? name : name.appending(".\(attempt)")
            do throws(PosixError) {
                try Posix.renameNoReplace(source, to: directory.appending(candidate))
                return candidate
            } catch let error where error.isAlreadyExisting {
                continue
            }
        }
        throw PosixError(call: "renameat2", path: source, errno: EEXIST)
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
