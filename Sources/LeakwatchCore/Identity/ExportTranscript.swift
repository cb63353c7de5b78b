/// What one export's messages tell about the chat, kept small whatever the export's size: enough
/// to line it up with other exports of the same chat, to give its alerted messages their keys,
/// and to say who was in the group when.
///
/// Built message by message by `TranscriptBuilder` while the export is scanned (also when it is
/// streamed), so no second pass and no copy of the messages is needed.
public struct ExportTranscript: Sendable, Hashable {
    /// Messages in the export.
    public var messageCount = 0
    /// Earliest and latest minute on the export's clock (not the first and last line's: clocks
    /// can step back).
    public var firstMinute: Int?
    public var lastMinute: Int?
    /// Everyone who wrote, with their first and last message.
    public var senders: [SenderSpan] = []
    /// Joins and leaves from system lines, in file order.
    public var events: [MembershipEvent] = []
    /// Distinctive messages, in file order: those whose content hash is 0 modulo 2^`anchorLevel`
    /// (all of them at level 0; the level rises when a very long export has more than the cap).
    public var anchors: [MessageFacts] = []
    public var anchorLevel = 0
    /// Messages whose content is in the scan's `ContentWatch`.
    public var watched: [MessageFacts] = []
    /// The message each alert is on, by alert id.
    public var alerted: [String: AlertedMessage] = [:]
    /// Messages that are responses to an alert, by message index.
    public var responders: [Int: MessageFacts] = [:]
    /// Each alert's responses, by alert id: the message indices, in the order of `Alert.responses`.
    public var responses: [String: [Int]] = [:]

    public init() {}

    /// What the transcript noted of `alert`: its message and the messages that replied to it.
    public func entry(for alert: Alert) -> AlertSpillEntry {
        AlertSpillEntry(
            alert: alert, alerted: alerted[alert.id],
            responders: (responses[alert.id] ?? []).compactMap { responders[$0] })
    }

    /// Whether a content hash belongs to the sample kept at `level`.
    public static func isSampled(_ hash: UInt64, level: Int) -> Bool {
        level == 0 || hash & ((1 << UInt64(level)) - 1) == 0
    }
}

/// A sender's first and last message in one export.
public struct SenderSpan: Sendable, Hashable {
    public var name: String
    public var messages: Int
    public var firstMinute: Int?
    public var firstLine: Int?
    public var lastMinute: Int?
    public var lastLine: Int?
    /// The sender's first few messages, whatever they say ("ok" too): they tell who the sender is
    /// in another export when none of their messages is distinctive.
    public var samples: [MessageFacts] = []

    /// How many messages per sender `samples` keeps.
    public static let sampleCount = 6
}

/// The message an alert is on, and which of the rule's matches on it the alert is: together with
/// the message's key, the identity of a leak across exports.
public struct AlertedMessage: Sendable, Hashable {
    public var facts: MessageFacts
    /// `rule|field|item|n`: the n-th match of the rule in that field of the message.
    public var match: String
}

/// Builds an `ExportTranscript` from the messages of one export, in order.
public struct TranscriptBuilder: Sendable {
    /// At most this many anchors are kept (about 64 bytes each).
    public static let anchorCap = 16_384

    public private(set) var transcript = ExportTranscript()
    let watch: ContentWatch
    let anchorCap: Int
    private var senderIndex: [String: Int] = [:]
    /// The index of the last message's sender in `transcript.senders` (the next one is mostly the
    /// same, found without hashing the name).
    private var lastSender: Int?
    /// Ordinals above 0, by message index.
    private(set) var ordinals: [Int: Int] = [:]
    private var currentMinute: Int?
    private var contentsThisMinute: [UInt64: Int] = [:]

    public init(watch: ContentWatch, anchorCap: Int = TranscriptBuilder.anchorCap) {
        self.watch = watch
        self.anchorCap = max(16, anchorCap)
    }

    /// Adds the export's messages `first ..< first + messages.count`.
    public mutating func add(_ messages: [Message], startingAt first: Int) {
        // By index, not `for message in messages`: a copy of each `Message` would retain and
        // release every one of its fields.
        for offset in messages.indices { add(messages[offset], index: first + offset) }
    }

    /// Adds the `index`-th message of the export (messages come in order).
    public mutating func add(_ message: borrowing Message, index: Int) {
        let minute = message.timestamp.map(MessageFacts.minute(of:))
        let content = MessageContent(of: message)
        transcript.messageCount += 1
        if let minute {
            // The earliest and the latest: a phone's clock may step back (a time-zone or DST
            // change, a clock set by hand), so file order is not time order.
            transcript.firstMinute = min(transcript.firstMinute ?? minute, minute)
            transcript.lastMinute = max(transcript.lastMinute ?? minute, minute)
        }
        // Repeats of one content within a minute ("ok", "ok") are told apart by their ordinal.
        if minute != currentMinute {
            currentMinute = minute
            contentsThisMinute.removeAll(keepingCapacity: true)
        }
        let ordinal = Self.takeNext(&contentsThisMinute[content.hash, default: 0])  // one lookup
        if ordinal > 0 { ordinals[index] = ordinal }

        if message.kind == .system {
            if let event = MembershipEventReader.event(in: message, index: index) { transcript.events.append(event) }
            return
        }
        var senderAt: Int?
        if let sender = message.sender {
            if let at = lastSender, transcript.senders[at].name == sender {
                senderAt = at
            } else {
                senderAt = senderIndex[sender]
            }
            if let at = senderAt {
                transcript.senders[at].messages += 1
                if minute != nil { transcript.senders[at].lastMinute = minute }
                transcript.senders[at].lastLine = message.line
            } else {
                senderAt = transcript.senders.count
                senderIndex[sender] = transcript.senders.count
                transcript.senders.append(
                    SenderSpan(
                        name: sender, messages: 1, firstMinute: minute, firstLine: message.line, lastMinute: minute,
                        lastLine: message.line))
            }
            lastSender = senderAt
        }
        // What keeps this message's facts, checked first: most messages are none of these.
        var sampleOf: Int?
        if let at = senderAt, minute != nil, transcript.senders[at].samples.count < SenderSpan.sampleCount {
            sampleOf = at
        }
        let watched = watch.hashes.contains(content.hash)
        let anchors =
            content.isDistinctive && minute != nil && message.sender != nil
            && ExportTranscript.isSampled(content.hash, level: transcript.anchorLevel)
        guard sampleOf != nil || watched || anchors else { return }
        let facts = MessageFacts(
            index: index, line: message.line, id: message.id, sender: message.sender, minute: minute,
            content: content, ordinal: ordinal)
        if let at = sampleOf { transcript.senders[at].samples.append(facts) }
        if watched { transcript.watched.append(facts) }
        if anchors {
            transcript.anchors.append(facts)
            if transcript.anchors.count > anchorCap {
                transcript.anchorLevel += 1
                let level = transcript.anchorLevel
                transcript.anchors.removeAll { !ExportTranscript.isSampled($0.content.hash, level: level) }
            }
        }
    }

    /// `count`, then adds one to it.
    private static func takeNext(_ count: inout Int) -> Int {
        defer { count += 1 }
        return count
    }

    /// The ordinal of the `index`-th message (already added).
    public func ordinal(of index: Int) -> Int { ordinals[index] ?? 0 }

    /// Facts of a message already added (for alerted messages and responses).
    public func facts(of message: Message, index: Int) -> MessageFacts {
        MessageFacts(message, index: index, ordinal: ordinal(of: index))
    }

    /// Notes the message an alert is on.
    public mutating func noteAlert(id: String, message: Message, index: Int, match: String) {
        transcript.alerted[id] = AlertedMessage(facts: facts(of: message, index: index), match: match)
    }

    /// Takes what was noted of `alerts` (their messages and replies) out of the transcript, as
    /// the entries they wait on disk with: an export whose alerts are spilled keeps none of it.
    public mutating func takeNotes(of alerts: [Alert]) -> [AlertSpillEntry] {
        let entries = alerts.map(transcript.entry(for:))
        transcript.alerted.removeAll()
        transcript.responders.removeAll()
        transcript.responses.removeAll()
        return entries
    }

    /// Notes a message that responds to the alert `alertID`.
    public mutating func noteResponder(_ message: Message, index: Int, alertID: String) {
        transcript.responders[index] = facts(of: message, index: index)
        transcript.responses[alertID, default: []].append(index)
    }
}
