import Foundation
import LeakwatchCore
import LeakwatchOutputs
import LeakwatchScan
import LeakwatchState
import Logging
import ServiceLifecycle
import UnixSignals

#if canImport(Glibc)
    import Glibc
#endif

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
        try makeDirectory(configuration.stateDirectory, mode: 0o750)
        try makeDirectory(paths.drop, mode: 0o770)
        for directory in [paths.work, paths.done, paths.quarantine, paths.journaled] {
            try makeDirectory(directory, mode: 0o700)
        }
        try makeDirectory(configuration.spoolDirectory, mode: 0o750)

        let ruleSet: RuleSet
        switch RuleSetStore.load(
            configuration.ruleDirectories, jit: configuration.jit,
            cacheDirectory: configuration.stateDirectory + "/cache")
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
        let fingerprintKey = try FingerprintKeyFile.loadOrCreate(paths.fingerprintKey)
        // Delivered ids live in the state database, so the spool is never read at start; a new
        // database over an old spool takes the spool's ids once.
        var spoolConfiguration = AlertSpool.Configuration(
            directory: configuration.spoolDirectory, maxBytes: configuration.spoolMaxBytes,
            keep: configuration.spoolKeep)
        spoolConfiguration.indexesIDs = false
        let spool = try AlertSpool(spoolConfiguration)
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
        // Trap SIGHUP before READY, so a reload right after start is never fatal.
        let hangups = await UnixSignalsSequence(trapping: .sighup)
        let watcher = try DropDirectoryWatcher(directory: paths.drop, queue: queue, status: status)

        // Exports left in work/ by an earlier run are redone first.
        let workNames = (try? FileReading.listDirectory(paths.work)) ?? []
        // A copy-claim interrupted by a crash: the original is still in the drop directory.
        for name in workNames where name.hasPrefix(".claim-") { unlink(paths.work + "/" + name) }
        let leftovers = workNames.filter { !$0.hasPrefix(".") }
        for name in leftovers { queue.enqueue(.recovered(name)) }

        var processor = ExportProcessor(
            configuration: configuration, paths: paths, rules: store, spool: spool, ledger: ledger,
            journal: configuration.journal ? JournalAlertSink(availability: events.availability) : nil, events: events,
            status: status, fingerprintKey: fingerprintKey)
        if let (point, countdown) = ExportProcessor.crashHook(
            ProcessInfo.processInfo.environment["LEAKWATCH_TEST_CRASH_AT"])
        {
            processor.crashPoint = point
            processor.crashAt = countdown
        }
        let ingest = IngestService(
            processor: processor, queue: queue, watcher: watcher, workers: configuration.workers, status: status,
            events: events)
        let control = ControlService(
            rules: store, status: status, queue: queue, events: events,
            reloadStatus: ReloadStatusFile(path: paths.reloadStatus), hangups: hangups,
            reloadConfiguration: resolveConfiguration,
            timeBudget: .milliseconds(Int64(configuration.timeBudgetSeconds * 1000)))

        events.log(
            DaemonEvent(
                .started,
                "watching \(paths.drop), spool \(spool.configuration.path), \(ruleSet.rules.count) rules "
                    + "(\(ruleSet.revision)), \(configuration.workers) workers"
                    + (leftovers.isEmpty ? "" : ", redoing \(leftovers.count) file(s) left in work/"),
                fields: [
                    "DROP_DIR": paths.drop, "SPOOL": spool.configuration.path, "RULES": String(ruleSet.rules.count),
                ]))

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
        events.log(DaemonEvent(.stopping, "stopped after \(status.line(queue: queue.count))"))
    }

    static func makeDirectory(_ path: String, mode: mode_t) throws(LeakwatchError) {
        var info = stat()
        if stat(path, &info) == 0 {
            guard (info.st_mode & S_IFMT) == S_IFDIR else {
                throw LeakwatchError(code: .io, message: "exists and is not a directory", path: path)
            }
            return
        }
        // Parents first.
        let parent = (path as NSString).deletingLastPathComponent
        if !parent.isEmpty, parent != path, stat(parent, &info) != 0 {
            try makeDirectory(parent, mode: 0o755)
        }
        guard mkdir(path, mode) == 0 || errno == EEXIST else {
            throw FileReading.errnoError(.io, "cannot create directory", path)
        }
    }
}
