/// What the engine adds to freshly built alerts for identity across exports: the replies to
/// each message (for rules that collect them) and, when a transcript is being built, the message
/// and match each alert is on.
enum AlertAnnotation {
    /// Annotates `alerts`, built one per hit of `hits` in order.
    static func annotate(
        _ alerts: inout [Alert], hits: [RuleHit], ruleSet: RuleSet, message: (Int) -> Message,
        follower: (Int) -> Message?, transcript: inout TranscriptBuilder?
    ) {
        guard alerts.count == hits.count else { return }
        var classifier: ResponseClassifier?
        var matchCounts: [String: Int] = [:]
        for (offset, hit) in hits.enumerated() {
            let rule = ruleSet.rules[hit.ruleIndex]
            let alerted = message(hit.messageIndex)
            if transcript != nil {
                let match = "\(rule.id)|\(hit.field.rawValue)|\(hit.item)"
                let key = "\(hit.messageIndex)|\(match)"
                let n = matchCounts[key, default: 0]
                matchCounts[key] = n + 1
                transcript?.noteAlert(
                    id: alerts[offset].id, message: alerted, index: hit.messageIndex, match: "\(match)|\(n)")
            }
            guard ruleSet.collectsResponses(rule), let phrases = ruleSet.responsePhrases else { continue }
            if classifier == nil { classifier = ResponseClassifier(phrases) }
            guard let classifier else { continue }
            let alertID = alerts[offset].id
            alerts[offset].responses = ResponseCollector.responses(
                to: hit.messageIndex, alerted: alerted, phrases: phrases, classifier: classifier,
                message: follower,
                noteResponder: { reply, index in transcript?.noteResponder(reply, index: index, alertID: alertID) })
        }
    }
}
