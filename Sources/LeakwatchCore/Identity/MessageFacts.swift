/// What the state database needs to know of one message to give it its key and to tell it apart
/// from others: where it is in its export, who wrote it, its minute and its content.
public struct MessageFacts: Sendable, Hashable {
    /// Index in the export's messages.
    public var index: Int
    /// 1-based line where it starts (nil for JSON exports).
    public var line: Int?
    /// The format's own message id (Telegram's), if any.
    public var id: String?
    /// The sender as written in this export.
    public var sender: String?
    /// Minutes since 1970 on this export's clock; nil when the time could not be resolved.
    public var minute: Int?
    public var content: MessageContent
    /// How many messages before it in the same minute have the same content (0 for almost all).
    public var ordinal: Int

    public init(
        index: Int, line: Int?, id: String? = nil, sender: String?, minute: Int?, content: MessageContent,
        ordinal: Int = 0
    ) {
        self.index = index
        self.line = line
        self.id = id
        self.sender = sender
        self.minute = minute
        self.content = content
        self.ordinal = ordinal
    }

    /// The facts of `message`, the `index`-th of its export.
    public init(_ message: Message, index: Int, ordinal: Int = 0) {
        self.init(
            index: index, line: message.line, id: message.id, sender: message.sender,
            minute: message.timestamp.map { Self.minute(of: $0) }, content: MessageContent(of: message),
            ordinal: ordinal)
    }

    /// Minutes since 1970 of a local time (floored: an export without seconds shows the minute
    /// the message was sent in).
    public static func minute(of timestamp: LocalTimestamp) -> Int {
        let seconds = timestamp.secondsSinceEpoch
        return Int(seconds >= 0 ? seconds / 60 : (seconds - 59) / 60)
    }
}
