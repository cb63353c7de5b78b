import ArgumentParser
import Foundation
import LeakwatchCore
import LeakwatchDaemon
import LeakwatchOutputs
import LeakwatchScan
import LeakwatchState
import Posix

extension ColorChoice: ExpressibleByArgument {}

enum OutputFormat: String, CaseIterable, ExpressibleByArgument {
    case text, json
}

struct ScanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scan",
        abstract: "Scan exported chats (files or directories, recursively) and report alerts.",
        discussion: """
            Several exports of the same chat give each leak one alert: the first export (in the \
            order given) holds the alert, later ones a `sighting` record. Exit status: 0 no alerts, \
            1 alerts found, 2 an error.
            """)

    @Argument(help: "Files or directories to scan.")
    var paths: [String]

    @OptionGroup var rules: RuleDirectoryOptions

    @OptionGroup var media: MediaOptions

    @Option(help: "Output: text for people, json for one leakwatch.alert.v1 object per line.")
    var format: OutputFormat = .text

    @Option(help: "Colour in text output.")
    var color: ColorChoice = .auto

    @Option(help: ArgumentHelp("Fingerprint key file (created 0600 on first use).", valueName: "FILE"))
    var key: String?

    @Option(
        help: ArgumentHelp(
            "Keep chats, message keys, alerts and sightings in this state database (as the daemon's state.sqlite), for `leakwatch report` and later scans; default: in memory, for this run only.",
            valueName: "FILE"))
    var state: String?

    @Option(help: "Files scanned at once (default: number of cores).")
    var workers: Int?

    @Option(name: .customLong("time-budget"), help: "Seconds all rules may spend on one file.")
    var timeBudget: Double = 60

    @OptionGroup var streaming: StreamingOptions

    @Option(
        name: .customLong("max-line-length"),
        help: "Longer lines and messages are cut into pieces of this size, each still matched (default 256KiB).")
    var maxLineLength: String?

    @Option(
        name: .customLong("max-archive-size"),
        help: "Larger zip or JSON exports (always read whole) are refused (e.g. 2GiB).")
    var maxArchiveSize: String?

    @Flag(
        help:
            "After the scan, print to stderr what each rule cost (time, share, PCRE2 calls), slowest first, and the totals (files, bytes, messages, alerts, wall time, MB/s)."
    )
    var stats = false

    @Option(name: .customLong("stats-format"), help: "--stats as a table (text) or one JSON object (json).")
    var statsFormat: OutputFormat = .text

    @Flag(
        name: .customLong("no-prefilter"),
        help: ArgumentHelp(
            "Run every rule on every message instead of only where the prefilter says it could match (diagnostic: same alerts, slower).",
            visibility: .hidden))
    var noPrefilter = false

    func validate() throws {
        for (flag, value) in [
            ("--max-archive-size", maxArchiveSize), ("--max-line-length", maxLineLength),
        ] {
            if let value, DaemonConfiguration.parseSize(value) == nil {
                throw ValidationError("\(flag): expected a size such as 8MiB, got '\(value)'")
            }
        }
    }

    func run() async throws {
        // Chunk buffers reused from the heap; a whole export's buffer mapped on its own (as in the daemon).
        ProcessMemory.configureForScanning()
        let ruleSet = try rules.loadOrExit()
        let keyPath = key ?? Self.defaultKeyPath()
        let fingerprintKey: [UInt8]
        do {
            fingerprintKey = try FingerprintKeyFile.loadOrCreate(keyPath)
        } catch {
            Terminal.error(error.description)
            throw ExitCode(2)
        }
        var scanner = ExportScanner(
            ruleSet: ruleSet, budget: ScanBudget(time: .milliseconds(Int64(timeBudget * 1000))),
            fingerprintKey: fingerprintKey, collectsCosts: stats, usesPrefilter: !noPrefilter)
        if let size = maxLineLength.flatMap(DaemonConfiguration.parseSize) { scanner.maxLineBytes = max(1024, size) }
        if let size = streaming.chunkBytes { scanner.chunkBytes = max(1, size) }
        // A streamed export's alerts wait on disk, not in memory, until they are printed.
        scanner.makeSpill = AlertSpillFile.maker()
        let mediaSettings = media.settings
        scanner.collectsMedia = mediaSettings.enabled
        var session = FileScanSession(scanner: scanner)
        if mediaSettings.enabled {
            session.media = MediaScanning(settings: mediaSettings, knownMedia: try media.loadKnownMediaOrExit())
        }
        if let workers { session.workers = workers }
        if let size = streaming.streamThresholdBytes { session.streamThreshold = size }
        if let size = streaming.chunkBytes { session.chunkBytes = max(1, size) }
        if let size = maxArchiveSize.flatMap(DaemonConfiguration.parseSize) { session.maxArchiveBytes = size }

        let (files, expandErrors) = FileReading.expand(paths)
        let ledger: StateLedger
        do {
            // With a core to spare (fewer files than workers), settlement uses it too.
            ledger = StateLedger(
                database: try StateDatabase(path: state ?? StateDatabase.temporary), spool: nil,
                preparesAhead: files.count < session.workers)
        } catch {
            Terminal.error(error.description)
            throw ExitCode(2)
        }
        var failed = !expandErrors.isEmpty
        for error in expandErrors { Terminal.error(error.description) }

        let colored = format == .text && Terminal.useColor(color)
        let progress = ProgressBar(total: files.count, enabled: Terminal.stderrIsTerminal && files.count > 1)
        var alertCount = 0
        var rescanScratch: MatchScratch?
        var statistics = ScanStatistics(ruleSet: ruleSet)
        let started = ContinuousClock.now
        await session.run(files, watch: { try? ledger.recentWatch() }) { index, scanned in
            progress.finish()
            var result = scanned
            if let failure = result.failure {
                failed = true
                Terminal.error("\(failure.path ?? files[index].escaped): \(failure.message)")
                return
            }
            // Settle against the state: a leak already alerted on in another export of the same chat
            // becomes a sighting. Scanned again when an earlier file's alerts were not watched for.
            var batch = AlertBatch()
            // A streamed export's chunk buffers are free now: back to the kernel before settling
            // it, rather than kept beside what settlement takes (the peak of a 1 GB export).
            if result.spilledAlerts != nil { ProcessMemory.releaseFreeMemory() }
            do {
                while true {
                    if case .recorded(let all, _) = try ledger.record(result) {
                        batch = all
                        break
                    }
                    if rescanScratch == nil { rescanScratch = try MatchScratch(budget: scanner.matcher.budget) }
                    result = session.scanFile(files[index], scratch: rescanScratch!, watch: try ledger.watch())
                }
            } catch {
                failed = true
                Terminal.error("\(error)")
                // Unsettled, but still shown.
                batch = AlertBatch(alerts: result.alerts, records: result.records)
            }
            // Settled: the scan's own spill file is no longer needed.
            result.spilledAlerts = nil
            alertCount += batch.alerts.count
            statistics.add(result, alerts: batch.alerts.count)
            let records = batch.records
            do throws(LeakwatchError) {
                switch format {
                case .json:
                    try batch.alerts.forEachJSONLine { _, line in Terminal.write(line) }
                case .text:
                    try batch.alerts.forEach { Terminal.write(AlertFormatting.textLine($0, color: colored)) }
                }
            } catch {
                failed = true
                Terminal.error("\(files[index].escaped): \(error.message)")
            }
            switch format {
            case .json:
                for record in records { Terminal.write(AlertFormatting.jsonLine(record)) }
            case .text:
                for record in records {
                    if record.kind == .sighting {
                        Terminal.write(AlertFormatting.textLine(record))
                    } else {
                        Terminal.warn(AlertFormatting.textLine(record))
                    }
                }
            }
            progress.update(done: index + 1, current: files[index].escaped)
        }
        progress.finish()
        if stats {
            statistics.wallSeconds = (ContinuousClock.now - started).milliseconds / 1000
            switch statsFormat {
            case .text: for line in statistics.textLines { Terminal.writeStderr(line + "\n") }
            case .json: Terminal.writeStderr(statistics.json + "\n")
            }
        }
        if failed { throw ExitCode(2) }
        if alertCount > 0 { throw ExitCode(1) }
    }

    /// `$XDG_STATE_HOME/leakwatch/fingerprint.key`, else `~/.local/state/leakwatch/fingerprint.key`.
    static func defaultKeyPath() -> String {
        let environment = ProcessInfo.processInfo.environment
        if let state = environment["XDG_STATE_HOME"], !state.isEmpty {
            return state + "/leakwatch/fingerprint.key"
        }
        let home = environment["HOME"] ?? "/tmp"
        return home + "/.local/state/leakwatch/fingerprint.key"
    }
}
