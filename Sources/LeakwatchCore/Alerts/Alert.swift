/// One finding, in the `leakwatch.alert.v1` schema that the spool, `scan --format json` and the
/// journal carry. Consumers depend on these field names: add fields, never change meanings.
public struct Alert: Sendable, Hashable, Codable {
    public static let schemaName = "leakwatch.alert.v1"

    public var schema: String = Alert.schemaName
    /// Hex; identical whenever the same bytes are scanned with the same rule revision.
    public var id: String
    /// RFC 3339 UTC.
    public var detectedAt: String
    public var rule: RuleInfo
    public var source: SourceInfo
    public var message: MessageInfo
    public var match: MatchInfo
    /// The participants present when the message was sent (from joins, leaves and first and last
    /// messages, across every export of the chat known so far); null when the chat's membership
    /// is not known (an export in no chat layout, or a scan without state).
    public var exposure: [String]? = nil
    /// Replies to the message, classified, for `conduct` and `crime-scene-media` alerts and rules
    /// with `responses: true`; null for other alerts.
    public var responses: [Response]? = nil

    public struct RuleInfo: Sendable, Hashable, Codable {
        public var id: String
        public var title: String
        public var category: String
        public var severity: String
        /// The rule's revision hash, part of the alert id.
        public var revision: String
        /// The rule's tags (`misogyny`, `racism`, ...), empty when it has none.
        public var tags: [String] = []
    }

    public struct SourceInfo: Sendable, Hashable, Codable {
        /// The file as scanned (for the daemon, its name in the drop directory).
        public var path: String
        /// SHA-256 of the file's bytes.
        public var sha256: String
        public var format: String
        /// Member name inside an archive, or nil.
        public var entry: String?
        /// Chat name, or nil.
        public var chat: String?
        /// Everyone in the chat: the people who received the message.
        public var participants: [String]
    }

    public struct MessageInfo: Sendable, Hashable, Codable {
        /// 1-based line where the message starts (nil for JSON exports).
        public var line: Int?
        /// The format's own message id, or nil.
        public var id: String?
        /// Send time as written in the export.
        public var sent: String
        /// Send time as ISO 8601 local time, when it could be resolved.
        public var sentLocal: String?
        public var sender: String?
        public var kind: String
        /// The message's key: the same in every export of the same chat (see `MessageKey`); null
        /// when the message has no resolved time or the scan keeps no state.
        public var key: String? = nil
    }

    /// A reply to the alerted message.
    public struct Response: Sendable, Hashable, Codable {
        /// The sender as written in the alert's export.
        public var sender: String?
        public var kind: ResponseKind
        /// 1-based line of the reply (nil for JSON exports).
        public var line: Int?
        /// The reply's message key, when known.
        public var key: String?

        public init(sender: String?, kind: ResponseKind, line: Int?, key: String? = nil) {
            self.sender = sender
            self.kind = kind
            self.line = line
            self.key = key
        }

        enum CodingKeys: String, CodingKey { case sender, kind, line, key }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(sender, forKey: .sender)
            try container.encode(kind, forKey: .kind)
            try container.encode(line, forKey: .line)
            try container.encode(key, forKey: .key)
        }
    }

    public struct MatchInfo: Sendable, Hashable, Codable {
        /// `text`, `attachment`, `sender`, `location`, `media-text`, `media-metadata`, or
        /// `media-hash` (a known image matched by its perceptual hash).
        public var field: String
        /// The text around the match, matched spans masked unless the rule says `redact: false`.
        public var excerpt: String
        /// Keyed HMAC-SHA256 of the normalized match: equal matches correlate across exports
        /// without the value being stored.
        public var fingerprint: String
        /// Whether the matched span itself is masked in `excerpt`.
        public var redacted: Bool
        /// `low`, `medium` or `high`: the rule's own confidence, raised by validators and context.
        public var confidence: String
        /// For a rule gated by a model: the model, its probability and the n-grams that raised it
        /// most (masked); null otherwise.
        public var model: ModelInfo?
        /// For a match on an attachment or inside it: the file's name inside the export (its
        /// archive member, else the name the message gives); null otherwise.
        public var attachment: String? = nil
        /// For `media-text` found by OCR: the mean OCR confidence (0-100) of the file's text.
        public var ocrConfidence: Int? = nil
        /// For `media-text` from a PDF: the 1-based page.
        public var page: Int? = nil
        /// For `media-hash`: the known-media list entry the image matched.
        public var knownMedia: KnownMediaInfo? = nil

        enum CodingKeys: String, CodingKey {
            case field, excerpt, fingerprint, redacted, confidence, model, attachment
            case ocrConfidence = "ocr_confidence"
            case page
            case knownMedia = "known_media"
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(field, forKey: .field)
            try container.encode(excerpt, forKey: .excerpt)
            try container.encode(fingerprint, forKey: .fingerprint)
            try container.encode(redacted, forKey: .redacted)
            try container.encode(confidence, forKey: .confidence)
            try container.encode(model, forKey: .model)
            try container.encode(attachment, forKey: .attachment)
            try container.encode(ocrConfidence, forKey: .ocrConfidence)
            try container.encode(page, forKey: .page)
            try container.encode(knownMedia, forKey: .knownMedia)
        }
    }

    /// A chat image that matched an entry of a known-media list (`/etc/leakwatch/known-media.d`).
    public struct KnownMediaInfo: Sendable, Hashable, Codable {
        /// The hash algorithm: `pdq`.
        public var algorithm: String
        /// The entry's label, as the list gives it.
        public var label: String
        /// Differing bits between the chat image's hash (in its best orientation) and the entry's.
        public var distance: Int
        /// The largest distance that counts as a match.
        public var threshold: Int
        /// The list file (`scene-photos.list`) and line of the entry.
        public var list: String
        public var line: Int
        /// The chat image's own hash, hex.
        public var hash: String

        public init(
            algorithm: String, label: String, distance: Int, threshold: Int, list: String, line: Int, hash: String
        ) {
            self.algorithm = algorithm
            self.label = label
            self.distance = distance
            self.threshold = threshold
            self.list = list
            self.line = line
            self.hash = hash
        }
    }

    public struct ModelInfo: Sendable, Hashable, Codable {
        public var name: String
        /// 0 to 1, rounded to three decimals.
        public var probability: Double
        /// The n-grams that raised the score most, letters after the first masked (`w:s***`).
        public var features: [String]
    }

    enum CodingKeys: String, CodingKey {
        case schema, id, detectedAt = "detected_at", rule, source, message, match, exposure, responses
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(schema, forKey: .schema)
        try container.encode(id, forKey: .id)
        try container.encode(detectedAt, forKey: .detectedAt)
        try container.encode(rule, forKey: .rule)
        try container.encode(source, forKey: .source)
        try container.encode(message, forKey: .message)
        try container.encode(match, forKey: .match)
        try container.encode(exposure, forKey: .exposure)
        try container.encode(responses, forKey: .responses)
    }
}

// Explicit encoders so that absent values are written as `null`, never left out: consumers
// can rely on every documented key being present.
extension Alert.SourceInfo {
    enum CodingKeys: String, CodingKey { case path, sha256, format, entry, chat, participants }
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(path, forKey: .path)
        try container.encode(sha256, forKey: .sha256)
        try container.encode(format, forKey: .format)
        try container.encode(entry, forKey: .entry)
        try container.encode(chat, forKey: .chat)
        try container.encode(participants, forKey: .participants)
    }
}

extension Alert.MessageInfo {
    enum CodingKeys: String, CodingKey {
        case line, id, sent, sentLocal = "sent_local", sender, kind, key
    }
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(line, forKey: .line)
        try container.encode(id, forKey: .id)
        try container.encode(sent, forKey: .sent)
        try container.encode(sentLocal, forKey: .sentLocal)
        try container.encode(sender, forKey: .sender)
        try container.encode(kind, forKey: .kind)
        try container.encode(key, forKey: .key)
    }
}
