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
    /// The archive member holding the file (`Media/IMG-20211107-WA0003.jpg`), when the export is
    /// an archive that has it.
    public var entry: String?
    /// What was found inside the file, once media scanning has looked (nil before, and for
    /// files it does not read).
    public var media: MediaContent?

    public init(name: String, size: Int? = nil, present: Bool? = nil, entry: String? = nil, media: MediaContent? = nil)
    {
        self.name = name
        self.size = size
        self.present = present
        self.entry = entry
        self.media = media
    }
}

/// What media scanning found inside an attached image or PDF: the fields `media-text` and
/// `media-metadata` that rules can match.
public struct MediaContent: Sendable, Hashable, Codable {
    /// Recognised text: OCR lines of an image (screen furniture left out), or a PDF's pages (text
    /// layer, or OCR for pages without one) separated by form feeds (U+000C).
    public var text: String
    /// Mean OCR confidence (0-100) of the text, or nil when no OCR was involved (a PDF's text
    /// layer).
    public var ocrConfidence: Int?
    /// Photo metadata as text (`gps 51.500729, -0.124625; taken 2021:11:07 18:14:02; camera
    /// Apple iPhone 12`), or nil when the file has none.
    public var metadata: String?

    public init(text: String, ocrConfidence: Int? = nil, metadata: String? = nil) {
        self.text = text
        self.ocrConfidence = ocrConfidence
        self.metadata = metadata
    }

    /// The 1-based PDF page holding byte `offset` of `text` (pages are separated by form feeds).
    public func page(at offset: Int) -> Int {
        1 + text.utf8.prefix(max(0, offset)).reduce(0) { $0 + ($1 == 0x0C ? 1 : 0) }
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
