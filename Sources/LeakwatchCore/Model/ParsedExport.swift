/// An export parsed into messages, with what the parser learned about it.
public struct ParsedExport: Sendable, Hashable, Codable {
    /// The layout the content was recognised as.
    public var format: ExportFormat
    /// The chat's name, when the export or its file name says it.
    public var chat: String?
    /// The member of an archive this chat was read from (`_chat.txt`), `nil` for a plain file.
    public var entry: String?
    /// Everyone seen in the chat: every sender, plus people added or joined per system lines.
    public var participants: [String]
    /// The messages, in file order.
    public var messages: [Message]
    /// How the day/month order of dates was decided, for layouts where it is ambiguous.
    public var dateOrder: DateOrderDecision?
    /// Things the parser wants a human to know (lines it could not place, odd encodings, ...).
    public var notes: [ParseNote]

    public init(
        format: ExportFormat,
        chat: String? = nil,
        entry: String? = nil,
        participants: [String] = [],
        messages: [Message],
        dateOrder: DateOrderDecision? = nil,
        notes: [ParseNote] = []
    ) {
        self.format = format
        self.chat = chat
        self.entry = entry
        self.participants = participants
        self.messages = messages
        self.dateOrder = dateOrder
        self.notes = notes
    }
}

/// The layout an export was recognised as. Open set: formats are added over time.
public struct ExportFormat: RawRepresentable, Sendable, Hashable, Codable, CustomStringConvertible {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }

    /// iOS: `[07/11/2021, 18:14:02] Name: text`
    public static let whatsAppIOS = ExportFormat("whatsapp-ios")
    /// Android: `07/11/2021, 18:14 - Name: text`
    public static let whatsAppAndroid = ExportFormat("whatsapp-android")
    /// Old iOS: `13/06/15 10:59:59: Name: text`
    public static let whatsAppIOSLegacy = ExportFormat("whatsapp-ios-legacy")
    /// Telegram Desktop `result.json`.
    public static let telegramJSON = ExportFormat("telegram-json")
    /// Text in no known chat layout, scanned line by line.
    public static let plain = ExportFormat("plain")
}

/// The order of the date fields in an export, decided once per file.
public enum DateFieldOrder: String, Sendable, Hashable, Codable {
    case dayMonthYear = "d/m/y"
    case monthDayYear = "m/d/y"
    case yearMonthDay = "y/m/d"
}

/// How sure the parser is of a decision.
public enum Certainty: String, Sendable, Hashable, Codable {
    /// A field proved it (a day over 12, a four-digit year first).
    case certain
    /// Inferred from how the fields change through the file.
    case inferred
    /// Nothing in the file decided it; a default was taken.
    case assumed
}

/// The day/month order chosen for a file, and why.
public struct DateOrderDecision: Sendable, Hashable, Codable {
    public var order: DateFieldOrder
    public var certainty: Certainty
    /// One human sentence: what decided it.
    public var reason: String

    public init(order: DateFieldOrder, certainty: Certainty, reason: String) {
        self.order = order
        self.certainty = certainty
        self.reason = reason
    }
}

/// Something a parser reports about the input besides its messages.
public struct ParseNote: Sendable, Hashable, Codable {
    /// A stable machine-readable code, e.g. `invalid-utf8`, `unplaced-lines`, `scan-incomplete`.
    public var code: String
    /// 1-based line it concerns, if any.
    public var line: Int?
    public var message: String

    public init(code: String, line: Int? = nil, message: String) {
        self.code = code
        self.line = line
        self.message = message
    }
}
