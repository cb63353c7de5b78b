import Exif
import LeakwatchCore

/// What the media worker is asked to do with one file.
public struct MediaAnalysisRequest: Sendable, Hashable, Codable {
    /// The file's name, for messages only.
    public var name: String
    /// Recognise text (OCR of images, and of PDF pages without a text layer).
    public var ocr: Bool
    /// Compute the PDQ hash of images.
    public var hash: Bool
    /// Also hash standard crops of images (`PDQCrop`), for known-media lists: PDQ itself bears
    /// only a crop of a few percent.
    public var hashCrops = false
    /// Read photo metadata.
    public var metadata: Bool
    /// Images with more pixels than this are refused before they are decoded.
    public var maxPixels: Int
    /// Images are scaled down to at most this many pixels before OCR.
    public var ocrMaxPixels: Int
    /// PDF pages looked at; the rest are reported as not examined.
    public var maxPages: Int
    /// CPU seconds the worker may spend on this file before the kernel stops it.
    public var cpuSeconds: Int
    /// OCR lines with a lower confidence (0-100) are dropped as noise.
    public var ocrMinConfidence: Double
    /// Resolution at which PDF pages without a text layer are rendered for OCR.
    public var pdfDPI: Double

    public init(
        name: String, ocr: Bool = true, hash: Bool = true, metadata: Bool = true, maxPixels: Int = 50_000_000,
        ocrMaxPixels: Int = 12_000_000, maxPages: Int = 50, cpuSeconds: Int = 60, ocrMinConfidence: Double = 60,
        pdfDPI: Double = 200
    ) {
        self.name = name
        self.ocr = ocr
        self.hash = hash
        self.metadata = metadata
        self.maxPixels = maxPixels
        self.ocrMaxPixels = ocrMaxPixels
        self.maxPages = maxPages
        self.cpuSeconds = cpuSeconds
        self.ocrMinConfidence = ocrMinConfidence
        self.pdfDPI = pdfDPI
    }
}

/// Something that kept part or all of a file from being examined.
public struct MediaProblem: Error, Sendable, Hashable, Codable, CustomStringConvertible {
    /// Stable codes, used as the `code` of the `scan-incomplete` record.
    public enum Code: String, Sendable, Hashable, Codable {
        /// The data is not a readable image or PDF (damaged, cut short, encrypted).
        case unreadable = "media-unreadable"
        /// More pixels than allowed: refused before decoding (a decompression bomb, say).
        case tooManyPixels = "media-too-many-pixels"
        /// Larger than the media file size limit, or over an archive limit.
        case tooLarge = "media-too-large"
        /// A PDF with more pages than allowed: the rest were not examined.
        case pageLimit = "media-page-limit"
        /// The worker died on it (a CPU or memory limit, a crash in a decoder).
        case workerKilled = "media-worker-killed"
        /// It took longer than the per-file time limit: the worker was killed.
        case timeout = "media-timeout"
        /// The export's media time budget ran out before it.
        case budgetExhausted = "media-budget-exhausted"
        /// The worker could not be started or answered nonsense.
        case workerFailed = "media-worker-failed"
        /// OCR could not run (no trained data for the languages asked for).
        case ocrUnavailable = "media-ocr-unavailable"
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}

/// What the media worker found in one file.
public struct MediaAnalysis: Sendable, Hashable, Codable {
    public var format: MediaFormat?
    public var width: Int?
    public var height: Int?
    /// For images: the PDQ hash (and its other orientations) and quality.
    public var pdq: PDQResult?
    /// When asked: the PDQ hashes of standard crops of the image.
    public var pdqCrops: [PDQCropHash] = []
    /// Recognised text: OCR lines kept (screen furniture and low-confidence lines dropped) or a
    /// PDF's pages separated by form feeds.
    public var text: String = ""
    /// Mean OCR confidence of the kept text, when OCR produced any of it.
    public var ocrConfidence: Int?
    /// Characters of OCR text behind `ocrConfidence`.
    public var ocrCharacters: Int = 0
    /// OCR lines dropped as screen furniture or noise.
    public var droppedLines: Int = 0
    /// For PDFs: pages in the document, and pages that went to OCR.
    public var pages: Int?
    public var ocrPages: Int = 0
    public var metadata: PhotoMetadata?
    /// Parts not examined (a page limit, say); the rest of the analysis stands.
    public var problems: [MediaProblem] = []

    public init(format: MediaFormat? = nil) {
        self.format = format
    }
}

/// One answer of the worker: an analysis, or why there is none.
public enum MediaAnswer: Sendable, Hashable, Codable {
    case analysis(MediaAnalysis)
    case failure(MediaProblem)
}

extension PhotoMetadata {
    /// The `media-metadata` text rules match: `gps 51.500729, -0.124625; taken 2021:11:07
    /// 18:14:02; camera Apple iPhone 12`. Nil when there is nothing to say.
    public var ruleText: String? {
        var parts: [String] = []
        if let latitude, let longitude {
            parts.append("gps \(Self.coordinate(latitude)), \(Self.coordinate(longitude))")
        }
        if let captured { parts.append("taken \(captured)") }
        let camera = [make, model].compactMap(\.self).joined(separator: " ")
        if !camera.isEmpty { parts.append("camera \(camera)") }
        return parts.isEmpty ? nil : parts.joined(separator: "; ")
    }

    /// Six decimals (about 0.1 m), no exponent.
    static func coordinate(_ value: Double) -> String {
        let scaled = (value * 1_000_000).rounded()
        let sign = scaled < 0 ? "-" : ""
        let magnitude = Int64(abs(scaled))
        let fraction = String(magnitude % 1_000_000)
        return "\(sign)\(magnitude / 1_000_000).\(String(repeating: "0", count: 6 - fraction.count))\(fraction)"
    }
}
