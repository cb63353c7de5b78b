import ArgumentParser
import LeakwatchMedia

/// `leakwatch media-worker`: the child process that decodes media for `scan` and the daemon.
/// Not for people: it talks a binary protocol on descriptor 3.
struct MediaWorkerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "media-worker", abstract: "Internal: decode media for leakwatch under limits.",
        shouldDisplay: false)

    @Option var parent: Int32
    @Option(name: .customLong("max-memory")) var maxMemory: Int
    @Option(name: .customLong("cpu-seconds")) var cpuSeconds: Int
    @Option(name: .customLong("ocr-languages")) var ocrLanguages: String = "eng"
    @Option var tessdata: String?

    func run() throws {
        let status = MediaWorker.run(
            MediaWorker.Settings(
                parent: parent, maxMemoryBytes: maxMemory, cpuSeconds: cpuSeconds, ocrLanguages: ocrLanguages,
                tessdata: tessdata))
        if status != 0 { throw ExitCode(status) }
    }
}
