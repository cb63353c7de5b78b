/// One message of an exported chat, as the engine sees it.
///
/// Parsers fill it in; rules match its `text`, its attachment names and its sender
/// (per a rule's `applies-to`); alerts quote it.
public struct Message: Sendable, Hashable, Codable {
    /// 1-based line where the message starts in its (decoded) text; `nil` for JSON exports.
    public var line: Int?
    /// The format's own message id (Telegram's `id`), as a string; `nil` when the format has none.
    public var id: String?
    /// The send time exactly as written in the export (marks such as U+200E removed).
    public var sent: String
    /// The send time resolved to calendar fields, when the parser could resolve it.
    public var timestamp: LocalTimestamp?
    /// Who sent it; `nil` for system lines.
    public var sender: String?
    /// The message body. Multi-line bodies keep their `\n`s. Header text is never part of it.
    public var text: String
    /// Files attached to (or referenced by) the message.
    public var attachments: [Attachment]
    /// A shared location, when the message is a location share.
    public var location: Location?
    /// What kind of message this is.
    public var kind: MessageKind

    public init(
        line: Int? = nil,
        id: String? = nil,
        sent: String,
        timestamp: LocalTimestamp? = nil,
        sender: String?,
        text: String,
        attachments: [Attachment] = [],
        location: Location? = nil,
        kind: MessageKind
    ) {
        self.line = line
        self.id = id
        self.sent = sent
        self.timestamp = timestamp
        self.sender = sender
        self.text = text
        self.attachments = attachments
        self.location = location
        self.kind = kind
    }
}

/// The kind of a message.
public enum MessageKind: String, Sendable, Hashable, Codable, CaseIterable {
    /// An ordinary text message.
    case text
    /// A message carrying (or naming) one or more files; its caption, if any, is in `text`.
    case attachment
    /// A location or live-location share.
    case location
    /// A line written by the app itself (encryption notice, member added, subject changed, ...).
    case system
    /// A deleted message ("This message was deleted").
    case deleted
    /// A poll.
    case poll
    /// A shared contact card.
    case contact
}

/// A file attached to a message.
public struct Attachment: Sendable, Hashable, Codable {
    /// The file name as the export names it (`IMG-20211107-WA0003.jpg`), or a placeholder such as
    /// `<Media omitted>` when the export left the media out.
    public var name: String
    /// Size in bytes, when known (for example from a zip entry).
    public var size: Int?
    /// `true` when the file itself is inside the export (a zip member), `false` when the export
    /// only names it, `nil` when unknown.
    public var present: Bool?

    public init(name: String, size: Int? = nil, present: Bool? = nil) {
        self.name = name
        self.size = size
        self.present = present
    }
}

/// A shared location.
public struct Location: Sendable, Hashable, Codable {
    public var latitude: Double?
    public var longitude: Double?
    /// The location as written (a map link, a venue name, ...).
    public var text: String

    public init(latitude: Double? = nil, longitude: Double? = nil, text: String) {
        self.latitude = latitude
        self.longitude = longitude
        self.text = text
    }
}
