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
public struct Presence: Sendable {
    /// Each participant's evidence in time order (`isLater`), participants in ascending id order.
    private let timelines: [(participant: Int, evidence: [PresenceEvidence])]

    /// Orders `evidence` once, so that each `present(at:)` is a binary search per participant.
    public init(evidence: [PresenceEvidence]) {
        var byParticipant: [Int: [PresenceEvidence]] = [:]
        for item in evidence { byParticipant[item.participant, default: []].append(item) }
        timelines = byParticipant.keys.sorted().map { participant in
            (participant, byParticipant[participant]!.sorted { Self.isLater($1, than: $0) })
        }
    }

    /// The participants present at `minute`, in ascending id order.
    public func present(at minute: Int) -> [Int] {
        var present: [Int] = []
        for (participant, evidence) in timelines {
            // The first piece of evidence at or after `minute`.
            var low = 0
            var high = evidence.count
            while low < high {
                let middle = (low + high) / 2
                if evidence[middle].minute < minute { low = middle + 1 } else { high = middle }
            }
            let isPresent: Bool
            if low < evidence.count && evidence[low].minute == minute {
                isPresent = true
            } else if low > 0 {
                // The latest before it (in one minute, the one ranked last).
                isPresent = evidence[low - 1].kind != .left
            } else if low < evidence.count {
                // The earliest after it (in one minute, the one ranked first).
                isPresent = !(evidence[low].kind == .joined || evidence[low].kind == .exported)
            } else {
                isPresent = false
            }
            if isPresent { present.append(participant) }
        }
        return present
    }

    /// The participants present at `minute`, in ascending id order. For one question; build a
    /// `Presence` once to ask many.
    public static func present(at minute: Int, evidence: [PresenceEvidence]) -> [Int] {
        Presence(evidence: evidence).present(at: minute)
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
