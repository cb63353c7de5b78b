import ArgumentParser
import LeakwatchDaemon

/// How large text exports are read: in chunks above a size, and how big a chunk is. Shared by
/// `scan`, `parse` and `daemon`.
struct StreamingOptions: ParsableArguments {
    @Option(
        name: .customLong("stream-threshold"),
        help: "Text exports larger than this are read in chunks instead of whole (default 8MiB; 0: always).")
    var streamThreshold: String?

    @Option(
        name: .customLong("chunk-size"),
        help: "Bytes of text parsed and matched at a time when reading in chunks (default 512KiB).")
    var chunkSize: String?

    func validate() throws {
        for (flag, value) in [("--stream-threshold", streamThreshold), ("--chunk-size", chunkSize)] {
            if let value, DaemonConfiguration.parseSize(value) == nil {
                throw ValidationError("\(flag): expected a size such as 8MiB, got '\(value)'")
            }
        }
    }

    /// `--stream-threshold` in bytes, when given.
    var streamThresholdBytes: Int? { streamThreshold.flatMap(DaemonConfiguration.parseSize) }
    /// `--chunk-size` in bytes, when given.
    var chunkBytes: Int? { chunkSize.flatMap(DaemonConfiguration.parseSize) }
}
