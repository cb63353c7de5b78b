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
    }

    public struct Source: Sendable, Hashable, Codable {
        public var path: String
        public var sha256: String
        public var format: String
        public var entry: String?
        public var chat: String?

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
        self.id = SHA256.hash(data: Array(parts.joined(separator: "\u{1F}").utf8)).prefix(16).hex
    }

    enum CodingKeys: String, CodingKey {
        case schema, id, kind, detectedAt = "detected_at", source, rule, code, line, messageID = "message_id", detail
    }
}
