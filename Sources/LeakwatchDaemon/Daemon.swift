import Foundation
import LeakwatchCore
import LeakwatchMedia
import LeakwatchOutputs
import LeakwatchScan
import LeakwatchState
import Logging
import Posix
import ServiceLifecycle
import UnixSignals

/// Assembles and runs the daemon: configuration, rules, spool and journal, then the ingest and
/// control services in one `ServiceGroup` with graceful shutdown on SIGTERM and SIGINT.
public enum Daemon {
    /// Runs until SIGTERM/SIGINT. `resolveConfiguration` reads the configuration file and applies
    /// flags; it is called again on every reload.
    /// - Returns: the process exit status.
    public static func run(
        resolveConfiguration: @escaping @Sendable () throws(LeakwatchError) -> DaemonConfiguration
    ) async -> Int32 {
        let configuration: DaemonConfiguration
        do {
            configuration = try resolveConfiguration()
        } catch {
            EventLog.writeStderr("leakwatch: \(error)")
            return 2
        }
        let events = EventLog(journalEnabled: configuration.journal)
        do {
            try await run(configuration, events: events, resolveConfiguration: resolveConfiguration)
            return 0
        } catch {
            events.log(DaemonEvent(.error, "cannot start: \(error)"))
            return 1
        }
    }

    static func run(
        _ configuration: DaemonConfiguration, events: EventLog,
        resolveConfiguration: @escaping @Sendable () throws(LeakwatchError) -> DaemonConfiguration
    ) async throws(LeakwatchError) {
        let paths = DaemonPaths(configuration)
        // Chunk buffers reused from the heap; a whole export's buffer mapped on its own and returned when
        // freed (and each export's leftovers are trimmed once it is done, in `IngestService`).
        ProcessMemory.configureForScanning()
        try makeDirectory(paths.state, mode: 0o750)
        try makeDirectory(paths.drop, mode: 0o770)
        for directory in [paths.work, paths.done, paths.quarantine, paths.journaled, paths.seen] {
            try makeDirectory(directory, mode: 0o700)
        }
        try makeDirectory(SystemPath(configuration.spoolDirectory), mode: 0o750)

        let ruleSet: RuleSet
        switch RuleSetStore.load(
            configuration.ruleDirectories, jit: configuration.jit,
            cacheDirectory: configuration.cacheDirectory)
        {
        case .loaded(let loaded, let warnings):
            ruleSet = loaded
            for warning in warnings { events.log(DaemonEvent(.rulesLoaded, "warning: \(warning)")) }
        case .rejected(let problems):
            for problem in problems { events.log(DaemonEvent(.rulesRejected, problem, fields: ["PROBLEM": problem])) }
            throw LeakwatchError(
                code: .invalidRules,
                message: "rules did not load (\(problems.count) problem(s)); run `leakwatch rules check`")
        }
        let knownMedia = KnownMediaStore(try loadKnownMedia(configuration, events: events))
        let fingerprintKey = try FingerprintKeyFile.loadOrCreate(paths.fingerprintKey)
        let crashHook = ExportProcessor.crashHook(Posix.environment("LEAKWATCH_TEST_CRASH_AT"))
        // Delivered ids live in the state database, so the spool's rotated files are never read
        // at start; a new database over an old spool takes the spool's ids once.
        var spoolConfiguration = AlertSpool.Configuration(
            directory: configuration.spoolDirectory, maxBytes: configuration.spoolMaxBytes,
            keep: configuration.spoolKeep)
        spoolConfiguration.indexesIDs = false
        spoolConfiguration.crashInsideWriteForTests = crashHook?.0 == .midSpoolWrite
        let spool = try AlertSpool(spoolConfiguration)

        for repair in spool.repairs {
            events.log(DaemonEvent(.spoolRepaired, repair, fields: ["SPOOL": spool.configuration.path]))
        }
        let database = try StateDatabase(path: paths.stateDatabase)
        let ledger = StateLedger(database: database, spool: spool)
        let imported = try ledger.importSpoolIfNeeded()
        if imported > 0 {
            events.log(
                DaemonEvent(.started, "state database: \(imported) ids already in the spool counted as delivered"))
        }
        try ledger.settlePendingBatches()

        let status = DaemonStatus(workers: configuration.workers)
        status.recordRules(count: ruleSet.rules.count, revision: ruleSet.revision)
        let store = RuleSetStore(ruleSet)
        let queue = FileQueue(capacity: configuration.queueCapacity)
        let metrics = DaemonMetrics(directory: paths.metrics, queue: queue, spool: spool, events: events)
        metrics.recordRuleLoad(ruleSet)
        // Trap SIGHUP before READY, so a reload right after start is never fatal.
        let hangups = await UnixSignalsSequence(trapping: .sighup)

        // Exports left in work/ by an earlier run are redone first (fed to the queue as it has
        // room, however many there are).
        removeStaleTemporaries(paths, events: events)
        recoverClaims(paths, events: events)
        let leftovers = ((try? FileReading.listDirectory(paths.work)) ?? []).filter { !$0.hasPrefix(".") }
        let watcher = try DropDirectoryWatcher(
            directory: paths.drop, queue: queue, status: status, events: events, recovered: leftovers)

        var processor = ExportProcessor(
            configuration: configuration, paths: paths, rules: store, spool: spool, ledger: ledger,
            journal: configuration.journal ? JournalAlertSink(availability: events.availability) : nil, events: events,
            status: status, metrics: metrics, fingerprintKey: fingerprintKey)
        processor.knownMedia = knownMedia
        if let (point, countdown) = crashHook {
            processor.crashPoint = point
            processor.crashAt = countdown
        }
        let ingest = IngestService(
            processor: processor, queue: queue, watcher: watcher, workers: configuration.workers, status: status,
            events: events)
        let control = ControlService(
            rules: store, knownMedia: knownMedia, status: status, metrics: metrics, queue: queue, events: events,
            reloadStatus: ReloadStatusFile(path: paths.reloadStatus), hangups: hangups,
            reloadConfiguration: resolveConfiguration,
            timeBudget: .milliseconds(Int64(configuration.timeBudgetSeconds * 1000)))

        events.log(
            DaemonEvent(
                .started,
                "watching \(paths.drop.escaped), spool \(spool.configuration.path), \(ruleSet.rules.count) rules "
                    + "(\(ruleSet.revision)), \(configuration.workers) workers"
                    + (leftovers.isEmpty ? "" : ", redoing \(leftovers.count) file(s) left in work/"),
                fields: [
                    "DROP_DIR": paths.drop.escaped, "SPOOL": spool.configuration.path,
                    "RULES": String(ruleSet.rules.count),
                ]))

        metrics.write()

        var logger = Logger(label: "leakwatch")
        logger.logLevel = .warning
        var groupConfiguration = ServiceGroupConfiguration(
            services: [
                .init(service: ingest, successTerminationBehavior: .gracefullyShutdownGroup),
                .init(service: control, successTerminationBehavior: .gracefullyShutdownGroup),
            ],
            gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        groupConfiguration.maximumGracefulShutdownDuration = .seconds(5)
        groupConfiguration.maximumCancellationDuration = .seconds(2)
        do {
            try await ServiceGroup(configuration: groupConfiguration).run()
        } catch {
            events.log(DaemonEvent(.error, "service group ended: \(error)"))
        }
        metrics.write()
        events.log(DaemonEvent(.stopping, "stopped after \(status.line(queue: queue.count))"))
    }

    /// The known-media lists at start: a problem in one stops the start, like a bad rule.
    static func loadKnownMedia(_ configuration: DaemonConfiguration, events: EventLog) throws(LeakwatchError)
        -> KnownMediaIndex
    {
        guard configuration.media.enabled else { return KnownMediaIndex() }
        let (index, problems) = KnownMediaDirectories.load(configuration.media.knownMediaDirectories)
        guard let index else {
            for problem in problems {
                events.log(DaemonEvent(.rulesRejected, problem.description, fields: ["PROBLEM": problem.description]))
            }
            throw LeakwatchError(
                code: .invalidRules, message: "known-media lists did not load (\(problems.count) problem(s))")
        }
        if !index.entries.isEmpty {
            events.log(
                DaemonEvent(
                    .rulesLoaded,
                    "\(index.entries.count) known-media hashes from \(index.files.count) list(s) (\(index.revision))",
                    fields: ["KNOWN_MEDIA": String(index.entries.count)]))
        }
        return index
    }

    static func makeDirectory(_ path: SystemPath, mode: UInt32) throws(LeakwatchError) {
        do throws(PosixError) {
            try Posix.makeDirectories(path, permissions: mode)
        } catch {
            throw LeakwatchError(.io, "cannot create directory", error)
        }
    }

    /// Removes what a crash left of durable writes (`.lw-tmp-*`): each was either renamed or
    /// linked into place before, or never counted.
    static func removeStaleTemporaries(_ paths: DaemonPaths, events: EventLog) {
        for directory in [paths.state, paths.work, paths.quarantine, paths.seen, paths.metrics] {
            for name in (try? Posix.listDirectory(directory)) ?? [] where name.hasPrefix(".lw-tmp-") {
                do throws(PosixError) {
                    try Posix.unlink(directory.appending(name), ignoringMissing: true)
                } catch {
                    events.log(DaemonEvent(.error, "cannot remove a stale temporary file: \(error)"))
                }
            }
        }
    }

    /// Finishes or undoes copy-claims (`work/.claim-ID` with `.claim-ID.name`) a crash
    /// interrupted: while the original is still in the drop directory the copy is dropped (the
    /// original is processed); once it is gone the copy is the export, renamed to its work name.
    static func recoverClaims(_ paths: DaemonPaths, events: EventLog) {
        let names = (try? Posix.listDirectory(paths.work)) ?? []
        let claimPrefix = ExportProcessor.claimPrefix
        for name in names where name.hasPrefix(claimPrefix) && !name.hasSuffix(".name") {
            let copy = paths.work.appending(name)
            let nameFile = paths.work.appending(FileName(bytes: name.bytes + Array(".name".utf8)))
            let original = (try? Posix.readFile(nameFile, limit: 4096)).map { FileName(bytes: $0) }
            do throws(PosixError) {
                if let original, !original.bytes.isEmpty,
                    try Posix.statusIfPresent(paths.drop.appending(original), followSymlinks: false) == nil
                {
                    _ = try ExportProcessor.renameUnique(from: copy, toDirectory: paths.work, name: original)
                    try Posix.syncDirectory(paths.work)
                } else {
                    try Posix.unlink(copy)
                }
            } catch {
                events.log(DaemonEvent(.error, "cannot recover an interrupted claim: \(error)"))
            }
        }
        // The name files of claims that were finished or undone.
        for name in (try? Posix.listDirectory(paths.work)) ?? []
        where name.hasPrefix(claimPrefix) && name.hasSuffix(".name") {
            let copy = FileName(bytes: name.bytes.dropLast(5))
            if (try? Posix.statusIfPresent(paths.work.appending(copy))) ?? nil == nil {
                try? Posix.unlink(paths.work.appending(name), ignoringMissing: true)
            }
        }
    }
}
