/// Everything media scanning is told: what to do, the lists, and the limits. The same for
/// `leakwatch scan`, `leakwatch media` and the daemon (`leakwatch.yml` keys and flags of the same
/// names).
public struct MediaSettings: Sendable, Hashable {
    /// Look inside attached images and PDFs at all (`--no-media` turns it off).
    public var enabled = true
    /// Read text in images and scanned PDF pages (`--no-ocr`).
    public var ocr = true
    /// Tesseract languages, `eng` or `eng+deu` (each needs its `tesseract-ocr-LANG` package).
    public var ocrLanguages = "eng"
    /// Tesseract's trained data directory; nil for its own.
    public var tessdata: String?
    /// OCR lines below this confidence (0-100) are dropped as noise.
    public var ocrMinConfidence = 60.0
    /// Directories of `*.list` files of known images.
    public var knownMediaDirectories = [KnownMediaIndex.defaultDirectory]
    /// Largest PDQ distance (of 256 bits) that counts as the same image.
    public var pdqThreshold = 31
    /// Images whose PDQ quality is lower (flat, nearly blank) are not matched.
    public var pdqMinQuality = 50
    /// Images with more pixels are refused before decoding.
    public var maxPixels = 50_000_000
    /// Images are scaled down to this many pixels for OCR.
    public var ocrMaxPixels = 12_000_000
    /// PDF pages examined per file.
    public var maxPages = 50
    /// Larger media files are not examined.
    public var maxFileBytes = 64 << 20
    /// A media worker's address space.
    public var maxMemoryBytes = 1 << 30
    /// CPU seconds per file (the worker is killed past it).
    public var cpuSecondsPerFile = 30
    /// Wall-clock seconds per file (the worker is killed past it).
    public var secondsPerFile = 60.0
    /// Wall-clock seconds for all the media of one export; files after it are reported as not
    /// examined.
    public var secondsPerExport = 600.0
    /// The leakwatch executable the worker runs; `/proc/self/exe` is the running program.
    public var executable = "/proc/self/exe"

    public init() {}

    /// What the worker is asked for a file called `name`.
    public func request(name: String, ocr: Bool? = nil, hashCrops: Bool = false) -> MediaAnalysisRequest {
        var request = MediaAnalysisRequest(
            name: name, ocr: ocr ?? self.ocr, hash: true, metadata: true, maxPixels: maxPixels,
            ocrMaxPixels: ocrMaxPixels, maxPages: maxPages, cpuSeconds: cpuSecondsPerFile,
            ocrMinConfidence: ocrMinConfidence)
        request.hashCrops = hashCrops
        return request
    }

    /// How workers are started: their CPU limit over a whole export is the export's time budget.
    public var launcher: MediaWorkerLauncher {
        MediaWorkerLauncher(
            executable: executable, maxMemoryBytes: maxMemoryBytes,
            cpuSeconds: max(cpuSecondsPerFile, Int(secondsPerExport.rounded(.up))),
            ocrLanguages: ocrLanguages, tessdata: tessdata)
    }
}
