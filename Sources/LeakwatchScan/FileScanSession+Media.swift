import Foundation
import LeakwatchCore
import LeakwatchMedia

/// Media scanning for `leakwatch scan`: after a file's text is scanned, the images and PDFs it
/// holds (or is) are examined and their alerts and records added to its result, text first.
public struct MediaScanning: Sendable {
    public var settings: MediaSettings
    public var knownMedia: KnownMediaIndex

    public init(settings: MediaSettings, knownMedia: KnownMediaIndex) {
        self.settings = settings
        self.knownMedia = knownMedia
    }

    /// Examines `result.media` (collected by `scanner`) and adds what it finds to `result`.
    public func scan(_ result: inout ScanResult, scanner: ExportScanner, scratch: MatchScratch) {
        guard settings.enabled, let media = result.media else { return }
        let found = MediaScanner(settings: settings, knownMedia: knownMedia).scan(
            media, file: result.file, scanner: scanner, scratch: scratch,
            detectedAt: AlertFormatting.rfc3339(Date()))
        result.alerts += found.alerts
        result.records += found.records
        if found.incomplete { result.incomplete = true }
        result.media = nil
    }
}
