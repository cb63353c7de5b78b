import Foundation
import LeakwatchCore
import LeakwatchMedia
import LeakwatchScan
import LeakwatchState
import Posix
import Yams

/// Everything the daemon is told, from `/etc/leakwatch/leakwatch.yml` and flags (flags win).
public struct DaemonConfiguration: Sendable, Hashable {
    /// What happens to an export once its alerts are safely in the spool.
    public enum Retention: String, Sendable, Hashable, CaseIterable {
        /// Move it to `done/` with mode 0600.
        case keep
        /// Delete it.
        case delete
    }

    public var dropDirectory = "/var/lib/leakwatch/drop"
    public var stateDirectory = "/var/lib/leakwatch"
    public var spoolDirectory = "/var/log/leakwatch"
    /// Where compiled prefilter databases are kept between starts and reloads (a cache: deleting
    /// it costs one compile). Default: `$CACHE_DIRECTORY` (systemd's `CacheDirectory=`), else none.
    /// Not under the state directory, so a cache never takes the room exports are claimed into.
    public var cacheDirectory: String? = Posix.environment("CACHE_DIRECTORY").flatMap { $0.isEmpty ? nil : $0 }
    public var ruleDirectories = [RuleDirectories.installedShipped, RuleDirectories.admin]
    public var workers = ProcessInfo.processInfo.activeProcessorCount
    public var jit = true
    public var retention = Retention.keep
    /// Exports larger than this are quarantined unread. Text exports over `streamThreshold` are
    /// streamed in chunks, so this bounds time, not memory.
    public var maxFileBytes = 4 << 30
    /// Zip, JSON and UTF-16 exports are read whole: larger ones are quarantined (`too-large`).
    public var maxArchiveBytes = 512 << 20
    /// Exports larger than this are streamed rather than read whole.
    public var streamThreshold = 8 << 20
    /// The chunk size for streamed exports.
    public var chunkBytes = StreamingExportScanner.defaultChunkBytes
    /// Longer lines are cut into pieces of this many bytes (each matched, with a note), so memory
    /// stays bounded whatever the input.
    public var maxLineBytes = ExportScanner.defaultMaxLineBytes
    /// Time all rules together may spend on one export.
    public var timeBudgetSeconds = 60.0
    public var spoolMaxBytes = 64 << 20
    public var spoolKeep = 10
    public var journal = true
    /// Files waiting in the queue before the watcher falls back to rescanning.
    public var queueCapacity = 10_000
    /// Looking inside attached images and PDFs (the `media`, `ocr`, `known-media`, `pdq-*` and
    /// `media-*` keys).
    public var media = MediaSettings()

    public init() {}

    /// Settings that may be given in the file.
    static let keys: Set<String> = Set<String>([
        "drop-dir", "state-dir", "spool-dir", "cache-dir", "rules", "workers", "jit", "retention", "max-file-size",
        "max-archive-size", "stream-threshold", "chunk-size", "max-line-length", "time-budget",
        "spool-max-bytes", "spool-keep", "journal", "queue-capacity",
    ]).union(mediaKeys)

    /// Reads a YAML configuration file over the defaults.
    /// - Throws: `LeakwatchError` naming the file, the line and the setting.
    public static func load(path: String, over base: DaemonConfiguration = DaemonConfiguration()) throws(LeakwatchError)
        -> DaemonConfiguration
    {
        let bytes = try FileReading.readFile(path, limit: 1 << 20)
        return try parse(String(decoding: bytes, as: UTF8.self), path: path, over: base)
    }

    /// Parses configuration YAML.
    public static func parse(_ text: String, path: String, over base: DaemonConfiguration = DaemonConfiguration())
        throws(LeakwatchError) -> DaemonConfiguration
    {
        var configuration = base
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch {
            throw LeakwatchError(code: .invalidConfig, message: "not valid YAML: \(error)", path: path)
        }
        guard let root else { return configuration }
        guard case .mapping(let mapping) = root else {
            throw LeakwatchError(
                code: .invalidConfig, message: "the configuration must be a mapping of settings", path: path)
        }
        for (keyNode, value) in mapping {
            let key = keyNode.string ?? ""
            let line = keyNode.mark?.line
            func fail(_ message: String) -> LeakwatchError {
                LeakwatchError(code: .invalidConfig, message: "\(key): \(message)", path: path, line: line)
            }
            switch key {
            case "drop-dir":
                guard let path = string(value) else { throw fail("expected a path") }
                configuration.dropDirectory = path
            case "state-dir":
                guard let path = string(value) else { throw fail("expected a path") }
                configuration.stateDirectory = path
            case "spool-dir":
                guard let path = string(value) else { throw fail("expected a path") }
                configuration.spoolDirectory = path
            case "cache-dir":
                guard let path = string(value) else { throw fail("expected a path") }
                configuration.cacheDirectory = path
            case "rules":
                switch value {
                case .scalar(let scalar): configuration.ruleDirectories = [scalar.string]
                case .sequence(let sequence):
                    configuration.ruleDirectories = sequence.compactMap(\.string)
                    if configuration.ruleDirectories.count != sequence.count {
                        throw fail("expected a list of directories")
                    }
                default: throw fail("expected a directory or a list of directories")
                }
            case "workers":
                guard let number = value.int, number >= 0, number <= 256 else {
                    throw fail("expected 0 (one per core) to 256")
                }
                configuration.workers = number == 0 ? ProcessInfo.processInfo.activeProcessorCount : number
            case "jit":
                guard let flag = value.bool else { throw fail("expected true or false") }
                configuration.jit = flag
            case "journal":
                guard let flag = value.bool else { throw fail("expected true or false") }
                configuration.journal = flag
            case "retention":
                guard let retention = value.string.flatMap(Retention.init(rawValue:)) else {
                    throw fail("expected keep or delete")
                }
                configuration.retention = retention
            case "max-file-size":
                guard let size = value.string.flatMap(parseSize) else { throw fail("expected a size such as 256MiB") }
                configuration.maxFileBytes = size
            case "max-archive-size":
                guard let size = value.string.flatMap(parseSize) else { throw fail("expected a size such as 512MiB") }
                configuration.maxArchiveBytes = size
            case "chunk-size":
                guard let size = value.string.flatMap(parseSize), size >= 1024 else {
                    throw fail("expected a size of at least 1KiB, such as 4MiB")
                }
                configuration.chunkBytes = size
            case "max-line-length":
                guard let size = value.string.flatMap(parseSize), size >= 1024 else {
                    throw fail("expected a size of at least 1KiB, such as 4MiB")
                }
                configuration.maxLineBytes = size
            case "stream-threshold":
                guard let size = value.string.flatMap(parseSize) else { throw fail("expected a size such as 32MiB") }
                configuration.streamThreshold = size
            case "spool-max-bytes":
                guard let size = value.string.flatMap(parseSize) else { throw fail("expected a size such as 64MiB") }
                configuration.spoolMaxBytes = size
            case "spool-keep":
                guard let number = value.int, number >= 0 else { throw fail("expected a whole number") }
                configuration.spoolKeep = number
            case "queue-capacity":
                guard let number = value.int, number > 0 else { throw fail("expected a positive number") }
                configuration.queueCapacity = number
            case "time-budget":
                guard let seconds = value.float, seconds > 0 else { throw fail("expected seconds, e.g. 60") }
                configuration.timeBudgetSeconds = seconds
            case _ where mediaKeys.contains(key):
                do throws(MediaSettingError) {
                    try applyMedia(key: key, value: value, to: &configuration.media)
                } catch {
                    throw fail(error.message)
                }
            default:
                throw LeakwatchError(
                    code: .invalidConfig,
                    message: "unknown setting '\(key)' (known: \(keys.sorted().joined(separator: ", ")))", path: path,
                    line: line)
            }
        }
        return configuration
    }

    private static func string(_ node: Node) -> String? {
        guard case .scalar(let scalar) = node, !scalar.string.isEmpty else { return nil }
        return scalar.string
    }

    /// `1048576`, `512K`, `64MiB`, `1G`, `1GB`: bytes.
    public static func parseSize(_ text: String) -> Int? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let digits = trimmed.prefix { $0.isNumber }
        guard let number = Int(digits), number >= 0 else { return nil }
        let unit = trimmed.dropFirst(digits.count).trimmingCharacters(in: .whitespaces).lowercased()
        let multipliers: [String: Int] = [
            "": 1, "b": 1, "k": 1 << 10, "kb": 1 << 10, "kib": 1 << 10, "m": 1 << 20, "mb": 1 << 20, "mib": 1 << 20,
            "g": 1 << 30, "gb": 1 << 30, "gib": 1 << 30,
        ]
        guard let multiplier = multipliers[unit] else { return nil }
        return number * multiplier
    }
}

/// Where things live under the state directory.
public struct DaemonPaths: Sendable, Hashable {
    public var drop: SystemPath
    public var state: SystemPath
    public var work: SystemPath
    public var done: SystemPath
    public var quarantine: SystemPath
    /// Markers: the journal already has the alerts of `work/NAME`.
    public var journaled: SystemPath
    /// One small file per export content seen (named by its SHA-256): the first name it came
    /// under, so that a later copy is recorded as a `duplicate-export`.
    public var seen: SystemPath
    public var fingerprintKey: String
    public var reloadStatus: SystemPath
    /// The state database (`StateDatabase`).
    public var stateDatabase: String
    /// Where `DaemonMetrics` writes `leakwatch.prom`, for node_exporter's textfile collector.
    public var metrics: SystemPath

    public init(_ configuration: DaemonConfiguration) {
        state = SystemPath(configuration.stateDirectory)
        drop = SystemPath(configuration.dropDirectory)
        work = state.appending("work")
        done = state.appending("done")
        quarantine = state.appending("quarantine")
        journaled = state.appending("journaled")
        seen = state.appending("seen")
        fingerprintKey = configuration.stateDirectory + "/fingerprint.key"
        reloadStatus = state.appending("reload.status")
        stateDatabase = configuration.stateDirectory + "/" + StateDatabase.fileName
        metrics = state.appending(DaemonMetrics.directoryName)
    }
}
