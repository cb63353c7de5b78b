/// One piece of evidence that a participant was, or was not, in a group at some minute.
public struct PresenceEvidence: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable, Codable, CaseIterable {
        /// Added, joined by link, or created the group.
        case joined
        /// Left or was removed.
        case left
        /// Wrote a message (the first and last of each export are kept).
        case wrote
        /// The export is from this participant's phone: they had every message in it.
        case exported
    }

    public var participant: Int
    /// Minutes since 1970 on the chat's clock.
    public var minute: Int
    public var kind: Kind

    public init(participant: Int, minute: Int, kind: Kind) {
        self.participant = participant
        self.minute = minute
        self.kind = kind
    }
}

/// Who was in a group at a given minute, from joins, leaves, and first and last messages.
///
/// For each participant, the evidence nearest the minute decides:
/// - evidence in the same minute: present (a message, a join, or a leave just after it);
/// - else the last evidence before it: present after a join, a message or the export's start,
///   absent after a leave;
/// - else (nothing before) the first evidence after it: absent before a join or before the start
///   of their own export (it may start when they joined), present before a leave or a message (a
///   member from before the export began).
public enum Presence {
    /// The participants present at `minute`, in ascending id order.
    public static func present(at minute: Int, evidence: [PresenceEvidence]) -> [Int] {
        var byParticipant: [Int: (before: PresenceEvidence?, same: Bool, after: PresenceEvidence?)] = [:]
        for item in evidence {
            var entry = byParticipant[item.participant] ?? (nil, false, nil)
            if item.minute == minute {
                entry.same = true
            } else if item.minute < minute {
                if entry.before == nil || Self.isLater(item, than: entry.before!) { entry.before = item }
            } else if entry.after == nil || Self.isLater(entry.after!, than: item) {
                entry.after = item
            }
            byParticipant[item.participant] = entry
        }
        return byParticipant.compactMap { participant, entry -> Int? in
            if entry.same { return participant }
            if let before = entry.before { return before.kind == .left ? nil : participant }
            if let after = entry.after { return after.kind == .joined || after.kind == .exported ? nil : participant }
            return nil
        }.sorted()
    }

    /// Order of evidence in time; in one minute a leave counts after a join or a message (someone
    /// who wrote and then left that minute was last seen leaving).
    static func isLater(_ lhs: PresenceEvidence, than rhs: PresenceEvidence) -> Bool {
        if lhs.minute != rhs.minute { return lhs.minute > rhs.minute }
        return rank(lhs.kind) > rank(rhs.kind)
    }

    private static func rank(_ kind: PresenceEvidence.Kind) -> Int {
        switch kind {
        case .exported: 0
        case .joined: 1
        case .wrote: 2
        case .left: 3
        }
    }
}
