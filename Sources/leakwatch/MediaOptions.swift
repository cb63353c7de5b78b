import ArgumentParser
import LeakwatchDaemon
import LeakwatchMedia
import LeakwatchScan

/// Media scanning flags, shared by `scan`, `daemon` and `media`. Each is also a `leakwatch.yml`
/// key of the same name (for the daemon); a flag wins.
struct MediaOptions: ParsableArguments {
    @Flag(name: .customLong("no-media"), help: "Do not look inside attached images and PDFs.")
    var noMedia = false

    @Flag(name: .customLong("no-ocr"), help: "Do not read text in images and scanned PDF pages.")
    var noOCR = false

    @Option(
        name: .customLong("known-media"),
        help: ArgumentHelp(
            "A directory of *.list files of known images (pdq HEX64 LABEL lines); repeat for more.",
            discussion: "Default: /etc/leakwatch/known-media.d, where it exists.", valueName: "DIR"))
    var knownMedia: [String] = []

    @Option(name: .customLong("pdq-threshold"), help: "Largest PDQ distance (of 256) that counts as a match.")
    var pdqThreshold: Int?

    @Option(name: .customLong("ocr-languages"), help: "Tesseract languages, e.g. eng or eng+deu.")
    var ocrLanguages: String?

    @Option(name: .customLong("media-max-pixels"), help: "Images with more pixels are refused before decoding.")
    var maxPixels: Int?

    @Option(name: .customLong("media-max-pages"), help: "PDF pages examined per file.")
    var maxPages: Int?

    @Option(name: .customLong("media-max-file-size"), help: "Larger media files are not examined (e.g. 64MiB).")
    var maxFileSize: String?

    @Option(name: .customLong("media-max-memory"), help: "Address space of the media worker (e.g. 1GiB).")
    var maxMemory: String?

    @Option(name: .customLong("media-cpu-time"), help: "CPU seconds per media file.")
    var cpuTime: Int?

    @Option(name: .customLong("media-time-per-file"), help: "Seconds per media file.")
    var timePerFile: Double?

    @Option(name: .customLong("media-time-per-export"), help: "Seconds for all the media of one export.")
    var timePerExport: Double?

    func validate() throws {
        for (flag, value) in [("--media-max-file-size", maxFileSize), ("--media-max-memory", maxMemory)] {
            if let value, DaemonConfiguration.parseSize(value) == nil {
                throw ValidationError("\(flag): expected a size such as 64MiB, got '\(value)'")
            }
        }
        for (flag, value) in [
            ("--media-max-pixels", maxPixels), ("--media-max-pages", maxPages), ("--media-cpu-time", cpuTime),
        ]
        where (value ?? 1) < 1 {
            throw ValidationError("\(flag): expected a positive number")
        }
        if let pdqThreshold, !(0...256).contains(pdqThreshold) {
            throw ValidationError("--pdq-threshold: expected 0 to 256")
        }
    }

    /// The flags given, over `settings`.
    func apply(to settings: inout MediaSettings) {
        if noMedia { settings.enabled = false }
        if noOCR { settings.ocr = false }
        if !knownMedia.isEmpty { settings.knownMediaDirectories = knownMedia }
        if let pdqThreshold { settings.pdqThreshold = pdqThreshold }
        if let ocrLanguages { settings.ocrLanguages = ocrLanguages }
        if let maxPixels { settings.maxPixels = maxPixels }
        if let maxPages { settings.maxPages = maxPages }
        if let size = maxFileSize.flatMap(DaemonConfiguration.parseSize) { settings.maxFileBytes = size }
        if let size = maxMemory.flatMap(DaemonConfiguration.parseSize) { settings.maxMemoryBytes = size }
        if let cpuTime { settings.cpuSecondsPerFile = cpuTime }
        if let timePerFile { settings.secondsPerFile = timePerFile }
        if let timePerExport { settings.secondsPerExport = timePerExport }
    }

    /// Loads the known-media lists, printing every problem; exits 2 when they do not load.
    func loadKnownMediaOrExit() throws -> KnownMediaIndex {
        let (index, problems) = KnownMediaDirectories.load(settings.knownMediaDirectories)
        guard let index else {
            for problem in problems { Terminal.error(problem.description) }
            Terminal.error("known-media lists did not load (\(problems.count) problem(s))")
            throw ExitCode(2)
        }
        return index
    }

    var settings: MediaSettings {
        var settings = MediaSettings()
        apply(to: &settings)
        return settings
    }
}
