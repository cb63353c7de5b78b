import Foundation
import LeakwatchCore
import LeakwatchScan
import LeakwatchState
import LeakwatchTestSupport
import Testing

let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

/// The shipped rules, loaded once.
let shippedRules: RuleSet = {
    let build = RuleDirectories.load([repository.appendingPathComponent("rules").path])
    guard let ruleSet = build.ruleSet else { fatalError("shipped rules do not load: \(build.problems)") }
    return ruleSet
}()

/// Scans files in-process with the real scanner and settles them with a real `StateLedger` on a real
/// SQLite database, as `leakwatch scan` does.
struct LedgerRun {
    let ledger: StateLedger
    let scanner = ExportScanner(ruleSet: shippedRules, fingerprintKey: Array(repeating: 7, count: 32))

    init(database: String = ":memory:") throws {
        ledger = StateLedger(database: try StateDatabase(path: database), spool: nil)
    }

    /// Everything the file amounts to, once settled.
    func settle(_ bytes: [UInt8], name: String, scanner: ExportScanner? = nil) throws -> AlertBatchSummary {
        let scanner = scanner ?? self.scanner
        while true {
            let result = scanner.scan(
                bytes, path: name, fileName: name, scratch: try MatchScratch(), detectedAt: "2026-11-29T00:00:00Z",
                watch: try ledger.watch())
            if case .recorded(let all, _) = try ledger.record(result) {
                return AlertBatchSummary(alerts: try all.alerts.collected(), records: all.records)
            }
        }
    }

    func settle(_ phone: FourPhoneChat.Phone) throws -> AlertBatchSummary {
        try settle(try FourPhoneChat.export(phone), name: phone.fileName)
    }
}

/// A settled file's alerts and records (the batch type lives in LeakwatchOutputs).
struct AlertBatchSummary {
    var alerts: [Alert]
    var records: [ScanRecord]
    var sightings: [ScanRecord] { records.filter { $0.kind == .sighting } }
}

/// Where an alert of the four-phone chat sits on the group's clock, to the minute.
func groupMinute(of alert: Alert) -> String? {
    guard let phone = FourPhoneChat.Phone(fileName: alert.source.path), let local = alert.message.sentLocal else {
        return nil
    }
    let seconds = (try? JSONDecoder().decode(LocalTimestamp.self, from: Data("\"\(local)\"".utf8)))?.secondsSinceEpoch
    guard let seconds else { return nil }
    return String(LocalTimestamp(secondsSinceEpoch: seconds + Int64(phone.clockOffset) * 60).iso8601.prefix(16))
}

/// The identity of an alert independent of the export: rule, field and minute on the group's clock
/// (chat B's alerts are told apart by their file).
func leakIdentity(_ alert: Alert) -> String {
    let phone = FourPhoneChat.Phone(fileName: alert.source.path)
    let chat = phone == nil ? alert.source.path : "team"
    let sender = alert.message.sender.flatMap { phone?.person(named: $0)?.id } ?? alert.message.sender ?? ""
    return "\(chat)|\(alert.rule.id)|\(alert.match.field)|\(sender)|\(groupMinute(of: alert) ?? alert.message.sent)"
}
