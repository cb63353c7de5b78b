import Exif
import Heif
import LeakwatchCore
import Leptonica
import Poppler
import Tesseract

/// Looks inside one image or PDF: decodes it (within the pixel limit), hashes it with PDQ, reads
/// its text (OCR, a PDF's text layer) and its photo metadata. Runs in the media worker process
/// only: decoders parse hostile bytes here. Not for two threads at once (one Tesseract engine).
public final class MediaAnalyzer {
    private let ocrLanguages: String
    private let tessdata: String?
    private var engine: TesseractEngine?
    private var engineError: TesseractError?

    /// `ocrLanguages` like `eng` or `eng+deu`; `tessdata` nil for Tesseract's own directory.
    public init(ocrLanguages: String, tessdata: String? = nil) {
        self.ocrLanguages = ocrLanguages
        self.tessdata = tessdata
        LeptonicaImage.silenceMessages()
    }

    /// Loads the OCR engine now (it reads its trained data, which a sandbox may later forbid).
    @discardableResult
    public func prepareOCR() -> TesseractError? {
        guard engine == nil, engineError == nil else { return engineError }
        do {
            engine = try TesseractEngine(languages: ocrLanguages, dataPath: tessdata)
        } catch {
            engineError = error
        }
        return engineError
    }

    /// Analyses `bytes` as `request` says.
    public func analyze(_ bytes: [UInt8], request: MediaAnalysisRequest) -> MediaAnswer {
        guard let format = MediaFormat.sniff(bytes) else {
            return .failure(MediaProblem(.unreadable, "not an image or PDF leakwatch reads"))
        }
        switch format {
        case .pdf: return analyzePDF(bytes, request: request)
        case .heic: return analyzeHEIC(bytes, request: request)
        case .jpeg, .png, .webp, .gif, .tiff: return analyzeImage(bytes, format: format, request: request)
        }
    }

    // MARK: - Images

    private func analyzeImage(_ bytes: [UInt8], format: MediaFormat, request: MediaAnalysisRequest) -> MediaAnswer {
        guard let header = LeptonicaImage.header(of: bytes) else {
            return .failure(MediaProblem(.unreadable, "the \(format.rawValue) header cannot be read"))
        }
        guard header.pixels <= request.maxPixels else {
            return .failure(
                MediaProblem(
                    .tooManyPixels,
                    "\(header.width)×\(header.height) pixels, over the limit of \(request.maxPixels): not decoded"))
        }
        if format == .jpeg, !JPEGStructure.isComplete(bytes) {
            return .failure(MediaProblem(.unreadable, "the JPEG is cut short (no end-of-image marker)"))
        }
        let image: LeptonicaImage
        do {
            image = try LeptonicaImage(decoding: bytes)
        } catch {
            return .failure(MediaProblem(.unreadable, error.message))
        }
        let exif = request.metadata && (format == .jpeg || format == .webp || format == .tiff)
        return analyzeDecoded(
            image, format: format, exif: exif ? Self.exifBlock(bytes, format: format) : nil, request: request)
    }

    /// HEIC (iPhone photos): libheif decodes, the rest is as for any image.
    private func analyzeHEIC(_ bytes: [UInt8], request: MediaAnalysisRequest) -> MediaAnswer {
        do {
            let heif = try HEIFImage(bytes: bytes)
            guard heif.width * heif.height <= request.maxPixels else {
                return .failure(
                    MediaProblem(
                        .tooManyPixels,
                        "\(heif.width)×\(heif.height) pixels, over the limit of \(request.maxPixels): not decoded"))
            }
            guard let image = LeptonicaImage(rgb: try heif.rgb(), width: heif.width, height: heif.height) else {
                return .failure(MediaProblem(.unreadable, "the HEIC image cannot be converted"))
            }
            return analyzeDecoded(
                image, format: .heic, exif: request.metadata ? heif.exifBlock() : nil, request: request)
        } catch {
            return .failure(MediaProblem(.unreadable, error.message))
        }
    }

    /// Hash, metadata and OCR of a decoded image.
    private func analyzeDecoded(
        _ image: LeptonicaImage, format: MediaFormat, exif: [UInt8]?, request: MediaAnalysisRequest
    ) -> MediaAnswer {
        var analysis = MediaAnalysis(format: format)
        analysis.width = image.width
        analysis.height = image.height
        if let exif, !exif.isEmpty {
            analysis.metadata = PhotoMetadata.read(from: exif)
        }
        if request.hash {
            var luminance = [Float](repeating: 0, count: image.width * image.height)
            let converted = image.forEachPixel { index, red, green, blue in
                luminance[index] = PDQHasher.luminance(red, green, blue)
            }
            if converted {
                analysis.pdq = PDQHasher.hash(luminance: luminance, width: image.width, height: image.height)
                if request.hashCrops {
                    analysis.pdqCrops = PDQHasher.hashCrops(
                        luminance: luminance, width: image.width, height: image.height)
                }
            }
        }
        if request.ocr {
            // Upright first: phone photos of a page are often stored on their side with an EXIF
            // orientation.
            let upright = image.rotated(quarterTurns: Self.quarterTurns(analysis.metadata?.orientation))
            recognize(upright, request: request, into: &analysis)
        }
        return .analysis(analysis)
    }

    /// Clockwise quarter turns that make an image with EXIF `orientation` upright (mirroring is
    /// left alone: text read mirrored is rare).
    static func quarterTurns(_ orientation: Int?) -> Int {
        switch orientation {
        case 3, 4: 2
        case 6, 5: 1
        case 8, 7: 3
        default: 0
        }
    }

    /// The bytes libexif reads: a JPEG whole (it finds APP1), or `Exif\0\0` + the TIFF block of a
    /// WebP's `EXIF` chunk; a TIFF is itself the block.
    static func exifBlock(_ bytes: [UInt8], format: MediaFormat) -> [UInt8] {
        let header = Array("Exif".utf8) + [0, 0]
        switch format {
        case .tiff:
            return header + bytes
        case .webp:
            var position = 12
            while position + 8 <= bytes.count {
                let fourCC = String(decoding: bytes[position..<(position + 4)], as: UTF8.self)
                let size =
                    Int(bytes[position + 4]) | Int(bytes[position + 5]) << 8 | Int(bytes[position + 6]) << 16
                    | Int(bytes[position + 7]) << 24
                let start = position + 8
                guard size >= 0, start + size <= bytes.count else { break }
                if fourCC == "EXIF" {
                    let block = Array(bytes[start..<(start + size)])
                    return block.starts(with: header) ? block : header + block
                }
                position = start + size + (size & 1)
            }
            return []
        default:
            return bytes
        }
    }

    private func recognize(_ image: LeptonicaImage, request: MediaAnalysisRequest, into analysis: inout MediaAnalysis) {
        if let error = prepareOCR() {
            analysis.problems.append(MediaProblem(.ocrUnavailable, error.message))
            return
        }
        guard let engine else { return }
        var source = image
        let pixels = image.width * image.height
        if pixels > request.ocrMaxPixels,
            let smaller = image.scaled(
                by: (Double(request.ocrMaxPixels) / Double(pixels)).squareRoot())
        {
            source = smaller
        }
        let lines = engine.recognizeLines(in: source)
        let (kept, dropped) = ScreenshotChrome(minConfidence: request.ocrMinConfidence).filter(lines)
        analysis.droppedLines += dropped
        guard !kept.isEmpty else { return }
        let text = kept.map(\.text).joined(separator: "\n")
        let weight = kept.reduce(0) { $0 + max(1, $1.text.count) }
        let confidence = kept.reduce(0.0) { $0 + $1.confidence * Double(max(1, $1.text.count)) } / Double(weight)
        append(text, confidence: confidence, characters: weight, to: &analysis)
    }

    /// Adds OCR text to the analysis, keeping the mean confidence over all OCR'd characters.
    private func append(_ text: String, confidence: Double, characters: Int, to analysis: inout MediaAnalysis) {
        let previous = analysis.ocrConfidence.map { (Double($0), analysis.ocrCharacters) }
        analysis.text += text
        if let (mean, count) = previous, count > 0 {
            analysis.ocrConfidence = Int(
                ((mean * Double(count) + confidence * Double(characters)) / Double(count + characters)).rounded())
        } else {
            analysis.ocrConfidence = Int(confidence.rounded())
        }
        analysis.ocrCharacters += characters
    }

    // MARK: - PDFs

    private func analyzePDF(_ bytes: [UInt8], request: MediaAnalysisRequest) -> MediaAnswer {
        let document: PDFDocument
        do {
            document = try PDFDocument(bytes: bytes)
        } catch {
            return .failure(MediaProblem(.unreadable, error.message))
        }
        var analysis = MediaAnalysis(format: .pdf)
        let count = document.pageCount
        analysis.pages = count
        let examined = min(count, request.maxPages)
        if count > examined {
            analysis.problems.append(
                MediaProblem(
                    .pageLimit,
                    "\(count) pages; pages \(examined + 1) to \(count) were not examined (limit \(request.maxPages))"))
        }
        for index in 0..<examined {
            if index > 0 { analysis.text += "\u{0C}" }
            let text = document.text(ofPage: index)
            if !text.allSatisfy(\.isWhitespace) {
                analysis.text += text
                continue
            }
            // A page without a text layer: a scan. Render it and read it.
            guard request.ocr, let page = document.renderPage(index, dpi: request.pdfDPI, maxPixels: request.maxPixels)
            else { continue }
            analysis.ocrPages += 1
            var pageAnalysis = MediaAnalysis(format: .pdf)
            recognize(page, request: request, into: &pageAnalysis)
            analysis.problems += pageAnalysis.problems.filter { !analysis.problems.contains($0) }
            analysis.droppedLines += pageAnalysis.droppedLines
            if let confidence = pageAnalysis.ocrConfidence {
                append(
                    pageAnalysis.text, confidence: Double(confidence), characters: pageAnalysis.ocrCharacters,
                    to: &analysis)
            }
        }
        return .analysis(analysis)
    }
}
