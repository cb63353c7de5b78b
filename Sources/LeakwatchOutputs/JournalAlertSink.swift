import LeakwatchCore
import Synchronization
import Systemd

/// Sends each alert to the systemd journal with structured `LEAKWATCH_*` fields. Never the
/// unredacted match: the excerpt is sent only when the rule masks the match in it.
///
/// The journal is secondary: when journald is absent or refuses, `deliver` does not throw (the
/// spool has the alerts) and says so once on stderr.
public final class JournalAlertSink: AlertSink {
    public let name = "journal"
    /// `MESSAGE_ID` of alert entries: `journalctl MESSAGE_ID=8b91c9b3...` lists every alert.
    public static let alertMessageID = "8b91c9b37ad04794821deb79c7e0a9a3"
    /// `MESSAGE_ID` of sightings: an alerted message found again in another export of its chat.
    public static let sightingMessageID = "1817afcb737e49ab91bda1192677dd47"
    public static let recordMessageIDs: [ScanRecord.Kind: String] = [
        .ruleError: DaemonEvent.Kind.ruleError.messageID,
        .scanIncomplete: DaemonEvent.Kind.scanIncomplete.messageID,
        .duplicateExport: DaemonEvent.Kind.duplicateExport.messageID,
        .sighting: sightingMessageID,
    ]

    private let availability: JournalAvailability

    public init(availability: JournalAvailability) {
        self.availability = availability
    }

    public func deliver(_ batch: AlertBatch) throws(LeakwatchError) {
        try batch.alerts.forEach { alert in availability.record(Journal.send(Self.fields(for: alert))) }
        for record in batch.records {
            guard let messageID = Self.recordMessageIDs[record.kind] else { continue }
            let location = record.source.path + (record.line.map { ":\($0)" } ?? "")
            var fields = [
                JournalField("MESSAGE", "\(record.kind.rawValue) in \(location): \(record.detail)"),
                JournalField("PRIORITY", record.kind == .sighting ? "5" : "4"),
                JournalField("MESSAGE_ID", messageID),
                JournalField("SYSLOG_IDENTIFIER", "leakwatch"),
                JournalField("LEAKWATCH_RECORD_ID", record.id),
                JournalField("LEAKWATCH_SOURCE", record.source.path),
                JournalField("LEAKWATCH_SOURCE_SHA256", record.source.sha256),
                JournalField("LEAKWATCH_RULE", record.rule ?? ""),
                JournalField("LEAKWATCH_LINE", record.line.map(String.init) ?? ""),
            ]
            if let alert = record.alert { fields.append(JournalField("LEAKWATCH_ALERT_ID", alert)) }
            if let sender = record.sender { fields.append(JournalField("LEAKWATCH_SENDER", sender)) }
            if let key = record.messageKey { fields.append(JournalField("LEAKWATCH_MESSAGE_KEY", key)) }
            availability.record(Journal.send(fields))
        }
    }

    /// The journal entry of an alert.
    public static func fields(for alert: Alert) -> [JournalField] {
        let location =
            alert.source.path + (alert.source.entry.map { "!\($0)" } ?? "")
            + (alert.message.line.map { ":\($0)" } ?? "") + (alert.message.id.map { "#\($0)" } ?? "")
        let sender = alert.message.sender ?? "(system)"
        var fields = [
            JournalField(
                "MESSAGE", "\(alert.rule.severity) \(alert.rule.id) at \(location) from \(sender): \(alert.rule.title)"),
            JournalField("PRIORITY", String((Severity(rawValue: alert.rule.severity) ?? .info).syslogPriority)),
            JournalField("MESSAGE_ID", alertMessageID),
            JournalField("SYSLOG_IDENTIFIER", "leakwatch"),
            JournalField("LEAKWATCH_ALERT_ID", alert.id),
            JournalField("LEAKWATCH_RULE", alert.rule.id),
            JournalField("LEAKWATCH_RULE_TITLE", alert.rule.title),
            JournalField("LEAKWATCH_CATEGORY", alert.rule.category),
            JournalField("LEAKWATCH_SEVERITY", alert.rule.severity),
            JournalField("LEAKWATCH_SOURCE", alert.source.path),
            JournalField("LEAKWATCH_SOURCE_SHA256", alert.source.sha256),
            JournalField("LEAKWATCH_FORMAT", alert.source.format),
            JournalField("LEAKWATCH_LINE", alert.message.line.map(String.init) ?? ""),
            JournalField("LEAKWATCH_SENDER", alert.message.sender ?? ""),
            JournalField("LEAKWATCH_SENT", alert.message.sent),
            JournalField("LEAKWATCH_FIELD", alert.match.field),
            JournalField("LEAKWATCH_FINGERPRINT", alert.match.fingerprint),
        ]
        if let entry = alert.source.entry { fields.append(JournalField("LEAKWATCH_ENTRY", entry)) }
        if let chat = alert.source.chat { fields.append(JournalField("LEAKWATCH_CHAT", chat)) }
        if let id = alert.message.id { fields.append(JournalField("LEAKWATCH_MESSAGE_ID", id)) }
        if let key = alert.message.key { fields.append(JournalField("LEAKWATCH_MESSAGE_KEY", key)) }
        if alert.match.redacted { fields.append(JournalField("LEAKWATCH_EXCERPT", alert.match.excerpt)) }
        // Media: which file, and a known image's list entry.
        if let attachment = alert.match.attachment { fields.append(JournalField("LEAKWATCH_ATTACHMENT", attachment)) }
        if let confidence = alert.match.ocrConfidence {
            fields.append(JournalField("LEAKWATCH_OCR_CONFIDENCE", String(confidence)))
        }
        if let known = alert.match.knownMedia {
            fields.append(JournalField("LEAKWATCH_KNOWN_MEDIA_LABEL", known.label))
            fields.append(JournalField("LEAKWATCH_KNOWN_MEDIA_DISTANCE", String(known.distance)))
        }
        return fields
    }
}

/// Whether the journal is taking entries; says once on stderr when it is not.
public final class JournalAvailability: Sendable {
    private let warned = Atomic<Bool>(false)
    private let lastFailure = Atomic<Int32>(0)
    private let warn: @Sendable (String) -> Void

    public init(warn: @escaping @Sendable (String) -> Void) {
        self.warn = warn
    }

    /// Notes the result of one `sd_journal_sendv` call.
    public func record(_ result: Int32) {
        lastFailure.store(result < 0 ? result : 0, ordering: .relaxed)
        guard result < 0 else { return }
        if !warned.exchange(true, ordering: .relaxed) {
            warn(
                "the journal is unavailable (sd_journal_sendv: errno \(-result)); alerts still go to the spool, "
                    + "and this is said only once")
        }
    }

    /// Whether the last send failed.
    public var isFailing: Bool { lastFailure.load(ordering: .relaxed) != 0 }
}
