import CLeptonica
import CTesseract
import Leptonica

/// One line of text Tesseract found, with its confidence and where it is.
public struct RecognizedLine: Sendable, Hashable, Codable {
    public var text: String
    /// 0 to 100.
    public var confidence: Double
    /// The line's box in pixels: left, top, width, height.
    public var left: Int
    public var top: Int
    public var width: Int
    public var height: Int

    public init(text: String, confidence: Double, left: Int, top: Int, width: Int, height: Int) {
        self.text = text
        self.confidence = confidence
        self.left = left
        self.top = top
        self.width = width
        self.height = height
    }
}

/// Why Tesseract could not start.
public struct TesseractError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}

/// A Tesseract engine (`TessBaseAPI`), initialised once for some languages and reused for many
/// images; owned by this object and ended with it. Not for two threads at once.
///
/// Run the process with `OMP_THREAD_LIMIT=1`: Tesseract's OpenMP threads make it many times
/// slower on a small machine, and the variable is read when the library loads.
public final class TesseractEngine {
    private let api: OpaquePointer
    public let languages: String

    /// Loads the trained data for `languages` (`eng`, `eng+deu`) from `dataPath`, or from
    /// Tesseract's compiled-in directory (`/usr/share/tesseract-ocr/5/tessdata` on Debian).
    public init(languages: String, dataPath: String? = nil) throws(TesseractError) {
        guard let api = TessBaseAPICreate() else { throw TesseractError(message: "Tesseract could not be created") }
        let status = TessBaseAPIInit3(api, dataPath, languages)
        guard status == 0 else {
            TessBaseAPIDelete(api)
            throw TesseractError(
                message:
                    "Tesseract has no trained data for '\(languages)' in \(dataPath ?? "its data directory") (install tesseract-ocr-\(languages.split(separator: "+").first ?? "eng"))"
            )
        }
        self.api = api
        self.languages = languages
    }

    deinit {
        TessBaseAPIEnd(api)
        TessBaseAPIDelete(api)
    }

    /// The text lines Tesseract recognises in `image`, top to bottom, with their confidence.
    public func recognizeLines(in image: LeptonicaImage) -> [RecognizedLine] {
        image.withPIX { pix in TessBaseAPISetImage2(api, pix) }
        defer { TessBaseAPIClear(api) }
        guard TessBaseAPIRecognize(api, nil) == 0, let iterator = TessBaseAPIGetIterator(api) else { return [] }
        defer { TessResultIteratorDelete(iterator) }
        let pageIterator = TessResultIteratorGetPageIterator(iterator)
        var lines: [RecognizedLine] = []
        repeat {
            guard let text = TessResultIteratorGetUTF8Text(iterator, RIL_TEXTLINE) else { continue }
            let line = String(cString: text)
            TessDeleteText(text)
            var left: Int32 = 0
            var top: Int32 = 0
            var right: Int32 = 0
            var bottom: Int32 = 0
            _ = TessPageIteratorBoundingBox(pageIterator, RIL_TEXTLINE, &left, &top, &right, &bottom)
            lines.append(
                RecognizedLine(
                    text: line.trimmingTrailingNewlines,
                    confidence: Double(TessResultIteratorConfidence(iterator, RIL_TEXTLINE)),
                    left: Int(left), top: Int(top), width: Int(right - left), height: Int(bottom - top)))
        } while TessResultIteratorNext(iterator, RIL_TEXTLINE) != 0
        return lines
    }
}

extension String {
    fileprivate var trimmingTrailingNewlines: String {
        var text = self
        while let last = text.last, last.isNewline || last == " " { text.removeLast() }
        return text
    }
}
