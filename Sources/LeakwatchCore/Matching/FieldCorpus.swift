/// All values of one field of an export's messages, laid end to end in one buffer separated by
/// `\n`, so one PCRE2 call searches many messages. `segments` maps buffer ranges back to
/// messages. Reused between exports by a worker's `MatchScratch` to avoid allocation.
///
/// A corpus may hold the field's values rewritten by a `TextNormalization`; then `originStarts`
/// and `originEnds` map every byte back to its source range in the original value, and
/// `originalRange(_:in:)` turns a match on the rewritten text into a range of the original.
struct FieldCorpus {
    struct Segment {
        var start: Int
        var end: Int
        var message: Int
        var item: Int
        /// For a rewritten value whose bytes moved (letters joined or cut): index in
        /// `originStarts`/`originEnds` of its first byte. -1: the offsets are the original's.
        var originBase: Int = -1
    }

    /// Which field, rewritten how.
    struct Key: Hashable {
        var field: RuleField
        var normalization: TextNormalization?
    }

    var bytes: [UInt8] = []
    var segments: [Segment] = []
    /// `messageSegments[m] ..< messageSegments[m + 1]` are message m's segments.
    var messageSegments: [Int] = []
    var normalization: TextNormalization?
    /// For rewritten values whose bytes moved: per byte, the source range within the segment's
    /// original value (see `Segment.originBase`).
    var originStarts: [Int32] = []
    var originEnds: [Int32] = []
    private var folding = TextFolding()

    mutating func reset(_ key: Key, messages: [Message]) {
        bytes.removeAll(keepingCapacity: true)
        segments.removeAll(keepingCapacity: true)
        messageSegments.removeAll(keepingCapacity: true)
        originStarts.removeAll(keepingCapacity: true)
        originEnds.removeAll(keepingCapacity: true)
        normalization = key.normalization
        // By index, not `for message in messages`: a copy of each `Message` would retain and
        // release every one of its fields.
        for index in messages.indices {
            messageSegments.append(segments.count)
            switch key.field {
            case .text:
                append(messages[index].text, message: index, item: 0)
            case .attachment:
                for item in messages[index].attachments.indices {
                    append(messages[index].attachments[item].name, message: index, item: item)
                }
            case .sender:
                if let sender = messages[index].sender { append(sender, message: index, item: 0) }
            case .location:
                if let location = messages[index].location { append(location.text, message: index, item: 0) }
            case .mediaText:
                for item in messages[index].attachments.indices {
                    if let text = messages[index].attachments[item].media?.text {
                        append(text, message: index, item: item)
                    }
                }
            case .mediaMetadata:
                for item in messages[index].attachments.indices {
                    if let metadata = messages[index].attachments[item].media?.metadata {
                        append(metadata, message: index, item: item)
                    }
                }
            }
        }
        messageSegments.append(segments.count)
    }

    private mutating func append(_ value: String, message: Int, item: Int) {
        guard !value.isEmpty else { return }
        let start = bytes.count
        var originBase = -1
        switch normalization {
        case nil:
            bytes.append(contentsOf: value.utf8)
        case .fold:
            var value = value
            let simple = value.withUTF8 { TextFolding.foldASCII($0, into: &bytes) }
            if !simple {
                originBase = originStarts.count
                folding.fold(value, into: &bytes, originStarts: &originStarts, originEnds: &originEnds)
                guard bytes.count > start else { return }
                // The separator maps to the end of the value.
                let end = Int32(value.utf8.count)
                originStarts.append(end)
                originEnds.append(end)
            }
        }
        segments.append(Segment(start: start, end: bytes.count, message: message, item: item, originBase: originBase))
        bytes.append(UInt8(ascii: "\n"))
    }

    /// A match range within `segment` (offsets relative to the segment) as a range of the
    /// original value: the same range unless the corpus is rewritten.
    func originalRange(_ range: Range<Int>, in segment: Segment) -> Range<Int> {
        guard segment.originBase >= 0 else { return range }
        let lower = Int(originStarts[segment.originBase + range.lowerBound])
        guard !range.isEmpty else { return lower..<lower }
        let upper = Int(originEnds[segment.originBase + range.upperBound - 1])
        return lower..<max(lower, upper)
    }

    /// Index of the last segment starting at or before `offset` (binary search).
    func segmentIndex(containing offset: Int) -> Int? {
        var low = 0
        var high = segments.count
        while low < high {
            let mid = (low + high) / 2
            if segments[mid].start <= offset { low = mid + 1 } else { high = mid }
        }
        return low == 0 ? nil : low - 1
    }

    /// The matched text of `hit`, which must come from this corpus and hold a range of the
    /// original value (only for a corpus that is not rewritten).
    func matchedText(of hit: RuleHit) -> Substring {
        let range = messageSegments[hit.messageIndex]..<messageSegments[hit.messageIndex + 1]
        guard let index = range.first(where: { segments[$0].item == hit.item }) else { return "" }
        return value(of: segments[index], range: hit.range)
    }

    /// The value of a segment, for validators and excerpts.
    func value(of segment: Segment, range: Range<Int>) -> Substring {
        Substring(
            decoding: bytes[(segment.start + range.lowerBound)..<(segment.start + range.upperBound)], as: UTF8.self)
    }
}
