/// A distinctive message of a chat as the state database keeps it: its minute on the chat's
/// clock, its content, and who sent it.
public struct ChatAnchor: Sendable, Hashable {
    public var minute: Int
    public var content: UInt64
    public var ordinal: Int
    /// The chat participant who sent it, when known.
    public var participant: Int?

    public init(minute: Int, content: UInt64, ordinal: Int, participant: Int?) {
        self.minute = minute
        self.content = content
        self.ordinal = ordinal
        self.participant = participant
    }
}

/// How an export lines up with a chat already known: the clock offset, the anchors that match in
/// order, and which participant each of the export's sender names is.
public struct ExportAlignment: Sendable, Hashable {
    /// Minutes to add to the export's times to get the chat's clock (whole or quarter hours).
    public var offset: Int
    /// Pairs of (export anchor index, chat anchor index) on the aligned sequence, in order.
    public var pairs: [Pair]
    /// The export's sender names matched to chat participants.
    public var senders: [String: Int]
    /// Anchors of the export and of the chat in the time both cover.
    public var exportAnchorsInOverlap: Int
    public var chatAnchorsInOverlap: Int
    /// The share of aligned pairs whose sender agrees with `senders`.
    public var senderAgreement: Double

    public struct Pair: Sendable, Hashable {
        public var export: Int
        public var chat: Int
    }

    /// The aligned share of the anchors both sides have in the overlap.
    public var coverage: Double {
        let smaller = min(exportAnchorsInOverlap, chatAnchorsInOverlap)
        return smaller == 0 ? 0 : Double(pairs.count) / Double(smaller)
    }

    /// What an alignment needs to be believed: real overlap, not a few shared "ok"s or one
    /// forwarded meme. At least this many anchors in order...
    public static let minimumPairs = 4
    /// ...covering at least this share of the anchors both sides have in the time they share...
    public static let minimumCoverage = 0.5
    /// ...with the same people writing them (per the sender mapping) this often.
    public static let minimumSenderAgreement = 0.8
    /// Offsets tried: whole and quarter hours up to this far (time zones span UTC-12 to UTC+14).
    public static let maximumOffset = 26 * 60

    /// Aligns `exportAnchors` (minutes on the export's clock, sampled at `exportLevel`, spanning
    /// `exportSpan`) with `chatAnchors` (the chat's clock, sampled at `chatLevel`). Returns nil
    /// when they do not share enough of a conversation to be the same chat.
    public static func align(
        exportAnchors: [MessageFacts], exportLevel: Int, exportSpan: ClosedRange<Int>,
        chatAnchors: [ChatAnchor], chatLevel: Int
    ) -> ExportAlignment? {
        let level = max(exportLevel, chatLevel)
        let exported = exportAnchors.enumerated().filter {
            $0.element.minute != nil && ExportTranscript.isSampled($0.element.content.hash, level: level)
        }
        let known = chatAnchors.enumerated().filter { ExportTranscript.isSampled($0.element.content, level: level) }
        guard exported.count >= minimumPairs, known.count >= minimumPairs else { return nil }

        // Same content on both sides: each pair votes for the offset between its two clocks.
        var byContent: [UInt64: [Int]] = [:]
        for (index, anchor) in known where byContent[anchor.content, default: []].count < 8 {
            byContent[anchor.content, default: []].append(index)
        }
        var votes: [Int: Int] = [:]
        for (_, anchor) in exported {
            for chatIndex in byContent[anchor.content.hash] ?? [] {
                let difference = chatAnchors[chatIndex].minute - anchor.minute!
                let quarter = Int((Double(difference) / 15).rounded()) * 15
                guard abs(difference - quarter) <= 1, abs(quarter) <= maximumOffset else { continue }
                votes[quarter, default: 0] += 1
            }
        }
        guard
            let offset = votes.max(by: { ($0.value, -abs($0.key)) < ($1.value, -abs($1.key)) })?.key,
            votes[offset, default: 0] >= minimumPairs
        else { return nil }

        // Pairs on that offset, then the longest run in the same order on both sides: a sequence
        // alignment, so that messages repeated elsewhere in the chat do not count.
        var candidates: [Pair] = []
        for (exportIndex, anchor) in exported {
            for chatIndex in byContent[anchor.content.hash] ?? []
            where abs(chatAnchors[chatIndex].minute - (anchor.minute! + offset)) <= 1 {
                candidates.append(Pair(export: exportIndex, chat: chatIndex))
            }
        }
        let chatOrder = chatOrderRanks(chatAnchors)
        let pairs = longestIncreasing(candidates, chatOrder: chatOrder)
        guard pairs.count >= minimumPairs else { return nil }

        // The time both cover, and how many anchors each side has in it.
        let chatMinutes = known.map(\.element.minute)
        let lower = max(exportSpan.lowerBound + offset, chatMinutes.min()!)
        let upper = min(exportSpan.upperBound + offset, chatMinutes.max()!)
        guard lower <= upper else { return nil }
        let exportInOverlap = exported.filter { (lower...upper).contains($0.element.minute! + offset) }.count
        let chatInOverlap = known.filter { (lower...upper).contains($0.element.minute) }.count

        // Sender names: each export name to the participant it most often lines up with.
        var tally: [String: [Int: Int]] = [:]
        for pair in pairs {
            guard let name = exportAnchors[pair.export].sender, let participant = chatAnchors[pair.chat].participant
            else { continue }
            tally[name, default: [:]][participant, default: 0] += 1
        }
        var senders: [String: Int] = [:]
        var agreeing = 0
        var total = 0
        for (name, counts) in tally {
            let best = counts.max { ($0.value, -$0.key) < ($1.value, -$1.key) }!
            senders[name] = best.key
            agreeing += best.value
            total += counts.values.reduce(0, +)
        }
        let agreement = total == 0 ? 1 : Double(agreeing) / Double(total)
        let alignment = ExportAlignment(
            offset: offset, pairs: pairs, senders: senders, exportAnchorsInOverlap: exportInOverlap,
            chatAnchorsInOverlap: chatInOverlap, senderAgreement: agreement)
        guard alignment.coverage >= minimumCoverage, agreement >= minimumSenderAgreement else { return nil }
        return alignment
    }

    /// Each chat anchor's rank in conversation order (minute, then ordinal, then file order).
    static func chatOrderRanks(_ anchors: [ChatAnchor]) -> [Int] {
        let order = anchors.indices.sorted {
            (anchors[$0].minute, anchors[$0].ordinal, $0) < (anchors[$1].minute, anchors[$1].ordinal, $1)
        }
        var ranks = [Int](repeating: 0, count: anchors.count)
        for (rank, index) in order.enumerated() { ranks[index] = rank }
        return ranks
    }

    /// The longest chain of pairs increasing on both sides (patience sorting, O(n log n)).
    static func longestIncreasing(_ candidates: [Pair], chatOrder: [Int]) -> [Pair] {
        // By export index; within one, chat ranks descending so that one export anchor is used once.
        let sorted = candidates.sorted {
            $0.export != $1.export ? $0.export < $1.export : chatOrder[$0.chat] > chatOrder[$1.chat]
        }
        var tails: [Int] = []  // index into `sorted` of the smallest tail of each length
        var previous = [Int](repeating: -1, count: sorted.count)
        for (index, pair) in sorted.enumerated() {
            let rank = chatOrder[pair.chat]
            var low = 0
            var high = tails.count
            while low < high {
                let middle = (low + high) / 2
                if chatOrder[sorted[tails[middle]].chat] < rank { low = middle + 1 } else { high = middle }
            }
            if low > 0 { previous[index] = tails[low - 1] }
            if low == tails.count { tails.append(index) } else { tails[low] = index }
        }
        var chain: [Pair] = []
        var cursor = tails.last ?? -1
        while cursor >= 0 {
            chain.append(sorted[cursor])
            cursor = previous[cursor]
        }
        return chain.reversed()
    }
}
