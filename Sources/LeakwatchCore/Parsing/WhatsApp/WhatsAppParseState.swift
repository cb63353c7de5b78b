/// What parsing a WhatsApp text learns across all of its chunks: participants, the date order and
/// the counts behind the parser's notes. One value follows a file from its first chunk to its last.
struct WhatsAppParseState {
    let layout: WhatsAppLayout
    var participants = WhatsAppOrderedNames()
    var decision = DateOrderDecision(
        order: .dayMonthYear, certainty: .assumed, reason: "no dates in the file; assumed d/m/y")
    var unplacedNote: ParseNote?
    var foreignHeaders = 0
    var firstForeignLine: Int?
    var invalidClocks = 0
    var firstInvalidClock: Int?
    var unresolved = 0
    var firstUnresolved: Int?
    /// The last message parsed (its text left out), for a chunk that starts inside it.
    var lastMessage: Message?
    /// Set by a streamed scan when it had to cut a chunk inside a message (one too long to hold):
    /// the next chunk's first lines continue `lastMessage`, as a piece of it.
    var continuesMessage = false
    /// The sender candidates met so far, and what is known of each (by its id there).
    var names = WhatsAppNameTable()
    private var knownCandidates: [WhatsAppKnownCandidate?] = []

    func knownCandidate(_ id: Int) -> WhatsAppKnownCandidate? {
        id < knownCandidates.count ? knownCandidates[id] : nil
    }

    mutating func setKnownCandidate(_ id: Int, _ known: WhatsAppKnownCandidate) {
        if id >= knownCandidates.count {
            knownCandidates += [WhatsAppKnownCandidate?](repeating: nil, count: id + 1 - knownCandidates.count)
        }
        knownCandidates[id] = known
    }

    init(layout: WhatsAppLayout) {
        self.layout = layout
    }

    /// The notes for the whole file, in the order the whole-file parser gives them.
    var notes: [ParseNote] {
        var notes: [ParseNote] = []
        if let unplacedNote { notes.append(unplacedNote) }
        if foreignHeaders > 0 {
            notes.append(
                ParseNote(
                    code: "foreign-headers", line: firstForeignLine,
                    message:
                        "\(foreignHeaders) line(s) look like a header in another layout than \(layout); kept as text of the message before"
                ))
        }
        if invalidClocks > 0 {
            notes.append(
                ParseNote(
                    code: "invalid-12h-time", line: firstInvalidClock,
                    message:
                        "\(invalidClocks) header(s) carry AM/PM on an hour that is not a 12-hour one (e.g. 23:59 PM); the hour was taken as written"
                ))
        }
        if unresolved > 0 {
            notes.append(
                ParseNote(
                    code: "unresolved-date", line: firstUnresolved,
                    message:
                        "\(unresolved) header date(s) are not valid dates under \(decision.order.rawValue); their timestamp is left empty"
                ))
        }
        return notes
    }

    /// The parsed export, holding `messages` (pass `[]` when the messages were handed out chunk by chunk).
    func export(messages: [Message], fileName: String?) -> ParsedExport {
        ParsedExport(
            format: layout.format,
            chat: WhatsAppChatName.from(fileName: fileName),
            participants: participants.names,
            messages: messages,
            dateOrder: decision,
            notes: notes
        )
    }
}

/// What `WhatsAppTextParser.parseChunk` remembers of a sender candidate for the rest of the file.
struct WhatsAppKnownCandidate {
    /// Whether the candidate names a sender (`WhatsAppTextParser.isSender`).
    var isSender: Bool
    /// Whether it is in the participants already.
    var isInParticipants = false
}
