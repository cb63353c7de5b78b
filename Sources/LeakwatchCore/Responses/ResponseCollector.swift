/// Lists the replies to alerted messages: the next messages (up to the phrases file's window of
/// messages and time) from other senders, each classified.
public enum ResponseCollector {
    /// How many messages after an alerted one a streamed scan keeps for its responses: the
    /// window, plus room for system lines in between (they do not count).
    public static func lookahead(_ phrases: ResponsePhrases) -> Int { phrases.windowMessages * 2 + 4 }

    /// The replies to the `index`-th message; `message` looks up later messages (nil when not
    /// known: the end of the export, or beyond what a streamed scan kept).
    public static func responses(
        to index: Int, alerted: Message, phrases: ResponsePhrases, classifier: ResponseClassifier,
        message: (Int) -> Message?, noteResponder: (Message, Int) -> Void
    ) -> [Alert.Response] {
        var out: [Alert.Response] = []
        let start = alerted.timestamp?.secondsSinceEpoch
        let limit = Int64(phrases.windowTime.components.seconds)
        var counted = 0
        var next = index + 1
        var looked = 0
        while counted < phrases.windowMessages, looked < lookahead(phrases), let reply = message(next) {
            defer {
                next += 1
                looked += 1
            }
            if reply.kind == .system { continue }
            if let start, let time = reply.timestamp?.secondsSinceEpoch, time - start > limit { break }
            counted += 1
            guard reply.sender != alerted.sender else { continue }  // the sender going on is no reply
            let kind: ResponseKind
            switch reply.kind {
            case .text, .poll: kind = classifier.classify(reply.text)
            case .attachment: kind = reply.text.isEmpty ? .neither : classifier.classify(reply.text)
            default: kind = .neither
            }
            noteResponder(reply, next)
            out.append(Alert.Response(sender: reply.sender, kind: kind, line: reply.line))
        }
        return out
    }
}
