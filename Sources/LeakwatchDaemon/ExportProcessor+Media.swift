import Foundation
import LeakwatchCore
import LeakwatchMedia
import LeakwatchOutputs

#if canImport(Glibc)
    import Glibc
#endif

extension ExportProcessor {
    /// What the second delivery, the media one, gave.
    enum MediaDelivery {
        /// Delivered: new alerts written, and the first `scan-incomplete` record, if any.
        case delivered(newAlerts: Int, incomplete: ScanRecord?)
        /// The spool refused it (a full disk): keep the export in work/ and retry.
        case retryLater(String)
    }

    /// The journal marker of an export's media delivery. Work names never start with a dot (the
    /// drop directory ignores hidden names), so this never meets the text delivery's marker.
    func mediaMarker(_ workName: String) -> String {
        paths.journaled + "/.media." + workName
    }

    /// Looks inside the export's images and PDFs, after its text alerts are delivered, and
    /// delivers what that finds as a second batch, the same way: spool first (`fdatasync`),
    /// then the journal. A crash in the middle redoes the export: its text alerts are already in
    /// the spool and are not written again, its media alerts are written once.
    func deliverMedia(
        _ media: ExportMedia, of result: ScanResult, scanner: ExportScanner, workName: String, recovering: Bool,
        scratch: MatchScratch
    ) -> MediaDelivery {
        let found = MediaScanner(settings: configuration.media, knownMedia: knownMedia?.current ?? KnownMediaIndex())
            .scan(
                media, file: result.file, scanner: scanner, scratch: scratch,
                detectedAt: AlertFormatting.rfc3339(Date()), afterEachFile: { crash(at: .midMedia) })
        let batch = AlertBatch(alerts: found.alerts, records: found.records)
        let fresh = spool.unseen(batch)
        do {
            try spool.deliver(fresh)
        } catch {
            return .retryLater(error.description)
        }
        let marker = mediaMarker(workName)
        if let journal {
            let alreadyJournaled = recovering && access(marker, F_OK) == 0
            if !alreadyJournaled {
                try? journal.deliver(recovering ? batch : fresh)
                close(open(marker, O_WRONLY | O_CREAT | O_CLOEXEC, 0o600))
            }
        }
        return .delivered(
            newAlerts: fresh.alerts.count, incomplete: found.records.first { $0.kind == .scanIncomplete })
    }
}
