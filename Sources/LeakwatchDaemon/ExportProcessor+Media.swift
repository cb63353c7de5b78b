import Foundation
import LeakwatchCore
import LeakwatchMedia
import LeakwatchOutputs
import LeakwatchState
import Posix

extension ExportProcessor {
    /// What the second delivery, the media one, gave.
    enum MediaDelivery {
        /// Delivered: the new alerts written, and the first `scan-incomplete` record, if any.
        case delivered(newAlerts: [Alert], incomplete: ScanRecord?)
        /// The spool or the state refused it (a full disk): keep the export in work/ and retry.
        case retryLater(String)
    }

    /// The journal marker of an export's media delivery. Work names never start with a dot (the
    /// drop directory ignores hidden names), so this never meets the text delivery's marker.
    func mediaMarker(_ workName: FileName) -> SystemPath {
        paths.journaled.appending(workName.prefixed(".media."))
    }

    /// Looks inside the export's images and PDFs, after its text alerts are delivered, and
    /// delivers what that finds as a second batch through the state ledger (by id: spool first,
    /// `fdatasync`, then counted delivered), then to the journal. A crash in the middle redoes the
    /// export: its text alerts are already delivered and are not written again, its media alerts
    /// are written once.
    func deliverMedia(
        _ media: ExportMedia, of result: ScanResult, scanner: ExportScanner, workName: FileName, recovering: Bool,
        scratch: MatchScratch
    ) -> MediaDelivery {
        let found = MediaScanner(settings: configuration.media, knownMedia: knownMedia?.current ?? KnownMediaIndex())
            .scan(
                media, file: result.file, scanner: scanner, scratch: scratch,
                detectedAt: AlertFormatting.rfc3339(Date()), afterEachFile: { crash(at: .midMedia) })
        let batch = AlertBatch(alerts: found.alerts, records: found.records)
        let fresh: AlertBatch
        do {
            fresh = try ledger.deliver(batch)
        } catch {
            return .retryLater(error.description)
        }
        let marker = mediaMarker(workName)
        if let journal {
            let alreadyJournaled = recovering && ((try? Posix.statusIfPresent(marker)) ?? nil) != nil
            if !alreadyJournaled {
                try? journal.deliver(recovering ? batch : fresh)
                do throws(PosixError) {
                    _ = try Posix.open(marker, [.writeOnly, .create], permissions: 0o600)
                } catch {
                    // Only costs journal entries sent twice after a crash.
                    events.log(
                        DaemonEvent(.error, "cannot mark the media of \(workName.escaped) as journaled: \(error)"))
                }
            }
        }
        // A media batch is never spilled: collecting it reads nothing from disk.
        return .delivered(
            newAlerts: (try? fresh.alerts.collected()) ?? [],
            incomplete: found.records.first { $0.kind == .scanIncomplete })
    }
}
