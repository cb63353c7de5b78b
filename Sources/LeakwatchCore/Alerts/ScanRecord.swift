import Crypto

/// A record that is not an alert but must not be lost: a rule that hit a limit on a message,
/// an export that was only partly scanned, a parser note. Schema `leakwatch.record.v1`, carried
/// next to alerts in `scan --format json` and the spool (consumers tell them apart by `schema`).
public struct ScanRecord: Sendable, Hashable, Codable {
    public static let schemaName = "leakwatch.record.v1"

    public enum Kind: String, Sendable, Hashable, Codable {
        /// A PCRE2 limit stopped a rule on a message: it may hold an unreported match.
        case ruleError = "rule-error"
        /// Part of the export was not scanned (time budget, archive limit).
        case scanIncomplete = "scan-incomplete"
        /// Something about the input worth knowing (invalid UTF-8, date order assumed, ...).
        case note
        /// The same bytes as an export seen before, under another name: no new alert ids, so
        /// this record is what says the file was seen.
        case duplicateExport = "duplicate-export"
        /// A message already alerted on, found again in another export of the same chat: `alert`
        /// names the alert, `source`, `line` and `sender` the new export, its line and the sender
        /// as written there.
        case sighting
    }

    public struct Source: Sendable, Hashable, Codable {
        public var path: String
        public var sha256: String
        public var format: String
        public var entry: String?
        public var chat: String?

        public init(path: String, sha256: String, format: String, entry: String?, chat: String?) {
            self.path = path
            self.sha256 = sha256
            self.format = format
            self.entry = entry
            self.chat = chat
        }

        public init(file: ScannedFile, export: ParsedExport) {
            path = file.path
            sha256 = file.sha256
            format = export.format.rawValue
            entry = export.entry
            chat = export.chat
        }
    }

    public var schema = ScanRecord.schemaName
    /// Hex; identical whenever the same bytes give the same record (so the spool can hold each
    /// record once, like alerts).
    public var id: String
    public var kind: Kind
    public var detectedAt: String
    public var source: Source
    /// The rule concerned, if any.
    public var rule: String?
    /// A stable code for notes (`invalid-utf8`, ...).
    public var code: String?
    public var line: Int?
    public var messageID: String?
    public var detail: String
    /// For a sighting: the alert id it is a sighting of.
    public var alert: String?
    /// For a sighting: the sender as written in this export.
    public var sender: String?
    /// For a sighting: the message's key (the alert's `message.key`).
    public var messageKey: String?

    public init(
        kind: Kind, detectedAt: String, source: Source, ruleID: String? = nil, code: String? = nil, line: Int? = nil,
        messageID: String? = nil, detail: String
    ) {
        self.kind = kind
        self.detectedAt = detectedAt
        self.source = source
        self.rule = ruleID
        self.code = code ?? kind.rawValue
        self.line = line
        self.messageID = messageID
        self.detail = detail
        let parts = [
            source.sha256, source.entry ?? "", kind.rawValue, ruleID ?? "", self.code ?? "",
            line.map(String.init) ?? "",
            messageID ?? "", detail,
        ]
        self.id = IdentityHash.joined(parts, bytes: 16)
    }

    enum CodingKeys: String, CodingKey {
        case schema, id, kind, detectedAt = "detected_at", source, rule, code, line, messageID = "message_id", detail
        case alert, sender, messageKey = "message_key"
    }

    /// A sighting of `alert` in the export `source`, at `line`, sent by `sender` as written there.
    public static func sighting(
        of alert: Alert, detectedAt: String, source: Source, line: Int?, messageID: String?, sender: String?
    ) -> ScanRecord {
        var record = ScanRecord(
            kind: .sighting, detectedAt: detectedAt, source: source, ruleID: alert.rule.id, line: line,
            messageID: messageID,
            detail:
                "alert \(alert.id) (\(alert.rule.id), first seen in \(alert.source.path)\(alert.message.line.map { ":\($0)" } ?? "")) seen again"
        )
        record.alert = alert.id
        record.sender = sender
        record.messageKey = alert.message.key
        return record
    }
}
