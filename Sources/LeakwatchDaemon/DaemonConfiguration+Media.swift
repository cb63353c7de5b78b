import LeakwatchMedia
import Yams

extension DaemonConfiguration {
    /// The `leakwatch.yml` keys of media scanning (the same names as the flags).
    static let mediaKeys: Set<String> = [
        "media", "ocr", "ocr-languages", "tessdata", "ocr-min-confidence", "known-media", "pdq-threshold",
        "pdq-min-quality", "media-max-pixels", "media-max-pages", "media-max-file-size", "media-max-memory",
        "media-cpu-time", "media-time-per-file", "media-time-per-export",
    ]

    /// Applies one media key. Throws the message for a bad value (the caller adds file and line).
    static func applyMedia(key: String, value: Node, to media: inout MediaSettings) throws(MediaSettingError) {
        func positive(_ what: String) throws(MediaSettingError) -> Int {
            guard let number = value.int, number > 0 else { throw MediaSettingError(message: "expected \(what)") }
            return number
        }
        func seconds() throws(MediaSettingError) -> Double {
            guard let seconds = value.float, seconds > 0 else {
                throw MediaSettingError(message: "expected seconds, e.g. 60")
            }
            return seconds
        }
        func size() throws(MediaSettingError) -> Int {
            guard let size = value.string.flatMap(parseSize), size > 0 else {
                throw MediaSettingError(message: "expected a size such as 64MiB")
            }
            return size
        }
        switch key {
        case "media":
            guard let flag = value.bool else { throw MediaSettingError(message: "expected true or false") }
            media.enabled = flag
        case "ocr":
            guard let flag = value.bool else { throw MediaSettingError(message: "expected true or false") }
            media.ocr = flag
        case "ocr-languages":
            guard let languages = value.string, !languages.isEmpty,
                languages.allSatisfy({ $0.isLetter || $0 == "+" || $0 == "_" })
            else { throw MediaSettingError(message: "expected Tesseract languages such as eng or eng+deu") }
            media.ocrLanguages = languages
        case "tessdata":
            guard let path = value.string, path.hasPrefix("/") else {
                throw MediaSettingError(message: "expected an absolute path")
            }
            media.tessdata = path
        case "ocr-min-confidence":
            guard let number = value.float, (0...100).contains(number) else {
                throw MediaSettingError(message: "expected 0 to 100")
            }
            media.ocrMinConfidence = number
        case "known-media":
            switch value {
            case .scalar(let scalar): media.knownMediaDirectories = [scalar.string]
            case .sequence(let sequence):
                let directories = sequence.compactMap(\.string)
                guard directories.count == sequence.count else {
                    throw MediaSettingError(message: "expected a list of directories")
                }
                media.knownMediaDirectories = directories
            default: throw MediaSettingError(message: "expected a directory or a list of directories")
            }
        case "pdq-threshold":
            guard let number = value.int, (0...256).contains(number) else {
                throw MediaSettingError(message: "expected 0 to 256")
            }
            media.pdqThreshold = number
        case "pdq-min-quality":
            guard let number = value.int, (0...100).contains(number) else {
                throw MediaSettingError(message: "expected 0 to 100")
            }
            media.pdqMinQuality = number
        case "media-max-pixels": media.maxPixels = try positive("a number of pixels, e.g. 50000000")
        case "media-max-pages": media.maxPages = try positive("a number of pages")
        case "media-max-file-size": media.maxFileBytes = try size()
        case "media-max-memory": media.maxMemoryBytes = try size()
        case "media-cpu-time": media.cpuSecondsPerFile = try positive("CPU seconds, e.g. 30")
        case "media-time-per-file": media.secondsPerFile = try seconds()
        case "media-time-per-export": media.secondsPerExport = try seconds()
        default: throw MediaSettingError(message: "unknown media setting")
        }
    }
}

/// A bad value of a media setting.
struct MediaSettingError: Error {
    var message: String
}
