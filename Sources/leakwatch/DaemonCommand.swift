import ArgumentParser
import Foundation
import LeakwatchCore
import LeakwatchDaemon
import Posix

extension DaemonConfiguration.Retention: ExpressibleByArgument {}

struct DaemonCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "daemon",
        abstract: "Watch a drop directory; send every alert to the journal and the spool.",
        discussion: """
            Every setting of the configuration file can also be given as a flag; flags win. \
            SIGHUP reloads the configuration and rules (a bad edit is rejected and the running \
            rules stay); SIGTERM stops after the file in flight.
            """)

    @Option(help: ArgumentHelp("YAML configuration file.", valueName: "FILE"))
    var config: String?

    @Option(name: .customLong("drop-dir"), help: ArgumentHelp("Directory exports are dropped into.", valueName: "DIR"))
    var dropDirectory: String?

    @Option(
        name: .customLong("state-dir"),
        help: ArgumentHelp("Holds work/, done/, quarantine/ and the fingerprint key.", valueName: "DIR"))
    var stateDirectory: String?

    @Option(name: .customLong("spool-dir"), help: ArgumentHelp("Holds alerts.jsonl.", valueName: "DIR"))
    var spoolDirectory: String?

    @Option(
        name: .customLong("cache-dir"),
        help: ArgumentHelp(
            "Keeps compiled prefilter databases between starts (default: $CACHE_DIRECTORY, else none).",
            valueName: "DIR"))
    var cacheDirectory: String?

    @Option(name: .customLong("rules"), help: ArgumentHelp("A rule directory; repeat to layer.", valueName: "DIR"))
    var ruleDirectories: [String] = []

    @Option(help: "Exports processed at once (0: one per core).")
    var workers: Int?

    @Flag(name: .customLong("no-jit"), help: "Match with the PCRE2 interpreter (same results, slower).")
    var noJIT = false

    @Option(help: "keep: move processed exports to done/ (mode 0600); delete: remove them.")
    var retention: DaemonConfiguration.Retention?

    @Option(name: .customLong("max-file-size"), help: "Larger exports are quarantined unread (e.g. 256MiB).")
    var maxFileSize: String?

    @Option(
        name: .customLong("max-archive-size"),
        help: "Larger zip or JSON exports (read whole, unlike text) are quarantined unread (e.g. 512MiB).")
    var maxArchiveSize: String?

    @OptionGroup var streaming: StreamingOptions

    @Option(
        name: .customLong("max-line-length"),
        help: "Longer lines and messages are cut into pieces of this size, each still matched (default 256KiB).")
    var maxLineLength: String?

    @Option(name: .customLong("queue-capacity"), help: "Names waiting for a worker before the watcher rescans instead.")
    var queueCapacity: Int?

    @Option(name: .customLong("time-budget"), help: "Seconds all rules may spend on one export.")
    var timeBudget: Double?

    @Option(name: .customLong("spool-max-bytes"), help: "Rotate the spool at this size (e.g. 64MiB).")
    var spoolMaxBytes: String?

    @Option(name: .customLong("spool-keep"), help: "Rotated spool files kept.")
    var spoolKeep: Int?

    @Flag(name: .customLong("no-journal"), help: "Do not send alerts and events to the journal.")
    var noJournal = false

    @OptionGroup var media: MediaOptions

    func validate() throws {
        for (flag, value) in [
            ("--max-file-size", maxFileSize), ("--max-archive-size", maxArchiveSize),
            ("--spool-max-bytes", spoolMaxBytes),
            ("--max-line-length", maxLineLength),
        ] {
            if let value, DaemonConfiguration.parseSize(value) == nil {
                throw ValidationError("\(flag): expected a size such as 64MiB, got '\(value)'")
            }
        }
    }

    func run() async throws {
        let options = self
        let status = await Daemon.run { () throws(LeakwatchError) -> DaemonConfiguration in
            var configuration = DaemonConfiguration()
            if let path = options.config {
                configuration = try DaemonConfiguration.load(path: path, over: configuration)
            }
            options.apply(to: &configuration)
            return configuration
        }
        if status != 0 { throw ExitCode(status) }
    }

    /// Flags override the file.
    func apply(to configuration: inout DaemonConfiguration) {
        if let dropDirectory { configuration.dropDirectory = dropDirectory }
        if let stateDirectory { configuration.stateDirectory = stateDirectory }
        if let spoolDirectory { configuration.spoolDirectory = spoolDirectory }
        if let cacheDirectory { configuration.cacheDirectory = cacheDirectory }
        if !ruleDirectories.isEmpty { configuration.ruleDirectories = ruleDirectories }
        if let workers { configuration.workers = workers == 0 ? ProcessInfo.processInfo.activeProcessorCount : workers }
        if noJIT { configuration.jit = false }
        if let retention { configuration.retention = retention }
        if let size = maxFileSize.flatMap(DaemonConfiguration.parseSize) { configuration.maxFileBytes = size }
        if let size = maxArchiveSize.flatMap(DaemonConfiguration.parseSize) { configuration.maxArchiveBytes = size }
        if let timeBudget { configuration.timeBudgetSeconds = timeBudget }
        if let size = streaming.streamThresholdBytes { configuration.streamThreshold = size }
        if let size = streaming.chunkBytes { configuration.chunkBytes = max(1024, size) }
        if let size = maxLineLength.flatMap(DaemonConfiguration.parseSize) {
            configuration.maxLineBytes = max(1024, size)
        }
        if let queueCapacity { configuration.queueCapacity = max(1, queueCapacity) }
        if let size = spoolMaxBytes.flatMap(DaemonConfiguration.parseSize) { configuration.spoolMaxBytes = size }
        if let spoolKeep { configuration.spoolKeep = spoolKeep }
        if noJournal { configuration.journal = false }
        media.apply(to: &configuration.media)
    }
}

struct ReloadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reload",
        abstract: "Ask a running daemon to reload, and wait until the new rules are live or rejected.",
        discussion: """
            For the unit's ExecReload=: systemd 252 has no Type=notify-reload, so `systemctl reload` \
            returns when this does. Exit status: 0 new rules live, 1 rejected (old rules kept), \
            2 no answer in time.
            """)

    @Option(help: "The daemon's process id.")
    var pid: Int32

    @Option(name: .customLong("state-dir"), help: ArgumentHelp("The daemon's state directory.", valueName: "DIR"))
    var stateDirectory = "/var/lib/leakwatch"

    @Option(help: "Seconds to wait.")
    var timeout: Double = 60

    func run() async throws {
        let file = ReloadStatusFile(stateDirectory: stateDirectory)
        let before = file.read().generation
        do throws(PosixError) {
            try Posix.send(.hangup, to: pid)
        } catch {
            Terminal.error("cannot signal process \(pid): \(error.reason)")
            throw ExitCode(2)
        }
        let deadline = ContinuousClock.now + .milliseconds(Int64(timeout * 1000))
        while ContinuousClock.now < deadline {
            let status = file.read()
            if status.generation > before {
                if status.accepted {
                    Terminal.write(status.message)
                    return
                }
                Terminal.error(status.message)
                throw ExitCode(1)
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        Terminal.error("no answer from process \(pid) within \(timeout) seconds")
        throw ExitCode(2)
    }
}
