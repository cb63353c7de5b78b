/// A change of who is in a group, from an app-written line: people added, joining, leaving or
/// removed (and the creator of the group, who is in it from then on).
public struct MembershipEvent: Sendable, Hashable {
    public enum Change: String, Sendable, Hashable, Codable {
        /// Added, joined by link, or created the group: in the group from then on.
        case joined
        /// Left or removed: out of the group from then on.
        case left
    }

    public var change: Change
    /// The people concerned, as written in the export; `ExportOwner.name` stands for "you".
    public var people: [String]
    /// Who made the change (the one who added or removed), as written; nil when nobody did.
    public var actor: String?
    /// Index of the system message in its export.
    public var index: Int
    public var line: Int?
    /// Minutes since 1970 on the export's clock.
    public var minute: Int?

    public init(change: Change, people: [String], actor: String?, index: Int, line: Int?, minute: Int?) {
        self.change = change
        self.people = people
        self.actor = actor
        self.index = index
        self.line = line
        self.minute = minute
    }
}

/// The person who exported the chat, whom the app calls "you" in its own lines. Resolved to a
/// participant by lining the line up with the same event in another export of the chat.
public enum ExportOwner {
    /// How "you" is written in events.
    public static let name = "\u{1}you"

    /// Whether `name` (as written in a system line) means the exporting phone's owner.
    static func isYou(_ name: String) -> Bool {
        ["you", "du", "vous", "tú", "tu", "te", "ti", "você", "dich", "euch"].contains(name.lowercased())
    }
}

/// Reads membership changes from system lines: English in full (`Dave added Sam and Lee`,
/// `You added Kate`, `Dave added you`, `Sam joined using this group's invite link`, `Mo left`,
/// `Dave removed Sam`, `You created group "X"`), other languages' joins through the WhatsApp
/// parser's own reading of them.
public enum MembershipEventReader {
    /// The event a system line states, if it states one.
    public static func event(in message: Message, index: Int) -> MembershipEvent? {
        guard message.kind == .system else { return nil }
        // App-written phrases, found byte for byte (`firstRange(ofBytes:)`): these run on every
        // system line of every export.
        var text = trimmed(message.text[...], where: isBlank)
        while text.last == "." { text.removeLast() }
        let minute = message.timestamp.map(MessageFacts.minute(of:))
        func make(_ change: MembershipEvent.Change, _ people: [String], actor: String?) -> MembershipEvent? {
            let people = people.map(resolve).filter { !$0.isEmpty }
            guard !people.isEmpty else { return nil }
            return MembershipEvent(
                change: change, people: people, actor: actor.map(resolve), index: index, line: message.line,
                minute: minute)
        }
        if let range = text.firstRange(ofBytes: " joined using") ?? text.firstRange(ofBytes: " joined via") {
            return make(.joined, [String(text[..<range.lowerBound])], actor: nil)
        }
        if text.hasSuffix(" joined") {
            return make(.joined, [String(text.dropLast(" joined".count))], actor: nil)
        }
        if text.hasSuffix(" left") {
            return make(.left, [String(text.dropLast(" left".count))], actor: nil)
        }
        if let range = text.firstRange(ofBytes: " removed ") {
            return make(.left, names(text[range.upperBound...]), actor: String(text[..<range.lowerBound]))
        }
        if let range = text.firstRange(ofBytes: " added ") {
            return make(.joined, names(text[range.upperBound...]), actor: String(text[..<range.lowerBound]))
        }
        if text.hasSuffix(" was added") || text.hasSuffix(" were added") {
            let subject =
                text.hasSuffix(" was added") ? text.dropLast(" was added".count) : text.dropLast(" were added".count)
            return make(.joined, [String(subject)], actor: nil)
        }
        if let range = text.firstRange(ofBytes: " created group") ?? text.firstRange(ofBytes: " created this group") {
            return make(.joined, [String(text[..<range.lowerBound])], actor: nil)
        }
        // Other languages: who was added or joined, as the WhatsApp parser reads it.
        let joined = WhatsAppSystemLines.addedOrJoined(message.text)
        if !joined.isEmpty { return make(.joined, joined, actor: nil) }
        return nil
    }

    /// `Sam, Lee and Kate` → [Sam, Lee, Kate].
    static func names(_ list: Substring) -> [String] {
        var out: [String] = []
        for piece in list.split(separator: ",") {
            var rest = piece
            while let range = rest.firstRange(ofBytes: " and ") {
                out.append(String(rest[..<range.lowerBound]))
                rest = rest[range.upperBound...]
            }
            out.append(String(rest))
        }
        return out
    }

    /// A name as written, tidied like a sender (single plain spaces); "you" becomes `ExportOwner.name`.
    static func resolve(_ name: String) -> String {
        let tidy = name.split(whereSeparator: { $0 == " " || $0 == "\u{00A0}" || $0 == "\u{202F}" }).joined(
            separator: " ")
        let name = String(trimmed(tidy[...], where: { nameMarks.contains($0) }))
        return ExportOwner.isYou(name) ? ExportOwner.name : name
    }

    /// What is trimmed from the ends of a name: `~` (WhatsApp's mark before a number's profile
    /// name), direction marks, spaces.
    private static let nameMarks: Set<Unicode.Scalar> = ["~", "\u{200E}", "\u{200F}", "\u{202A}", "\u{202C}", " "]

    /// A tab or a space separator (Unicode category Zs): Foundation's `CharacterSet.whitespaces`.
    private static func isBlank(_ scalar: Unicode.Scalar) -> Bool {
        scalar == "\t" || scalar.properties.generalCategory == .spaceSeparator
    }

    /// `text` without the scalars at either end for which `trim` holds.
    private static func trimmed(_ text: Substring, where trim: (Unicode.Scalar) -> Bool) -> Substring {
        let scalars = text.unicodeScalars
        guard let first = scalars.firstIndex(where: { !trim($0) }) else { return text[text.endIndex...] }
        var end = scalars.endIndex
        while trim(scalars[scalars.index(before: end)]) { end = scalars.index(before: end) }
        return text[first..<end]
    }
}
