/// Matches a streamed export's messages as they arrive, chunk by chunk, so that the result is
/// the one matching all of them at once would give.
///
/// Messages wait until the `window` messages after them have arrived (rules with a
/// `context.window` look that far); each match then runs over the waiting messages plus `window`
/// messages on either side, and keeps only the hits and rule errors on the waiting ones. One time
/// budget covers the matching of the whole export (parsing between chunks does not count, as it
/// does not for a whole file): once it runs out, nothing more is matched.
struct ChunkMatching {
    let matcher: ExportMatcher
    let scratch: MatchScratch
    let window: Int

    /// Hits, with message indices in the whole export, in message order.
    private(set) var hits: [RuleHit] = []
    /// The messages that have hits, by index in the whole export.
    private(set) var hitMessages: [Int: Message] = [:]
    /// The messages after hits of rules that collect responses, by index in the whole export.
    private(set) var followerMessages: [Int: Message] = [:]
    /// The messages after each such hit still to keep (absolute indices).
    private var followerWindows: [ClosedRange<Int>] = []
    /// Rule errors, with the line and id of their message.
    private(set) var ruleErrors: [ExportScanner.LocatedRuleError] = []
    private(set) var budgetExhausted: BudgetExhaustion?
    /// What each rule cost so far, when the matcher collects costs.
    private(set) var ruleCosts: [Int: RuleCost] = [:]
    /// Messages seen so far.
    var messageCount: Int { base + pending.count }

    /// Messages `base ..< base + pending.count` of the export: the last `window` reported ones,
    /// then those not yet reported.
    private var pending: [Message] = []
    private var base = 0
    private var reported = 0
    /// Time spent matching so far: the budget counts matching only, as for a whole file.
    private var spent: Duration = .zero

    init(matcher: ExportMatcher, scratch: MatchScratch, window: Int) {
        self.matcher = matcher
        self.scratch = scratch
        self.window = max(0, window)
    }

    /// Adds the next messages of the export and matches those whose neighbours are all known.
    mutating func add(_ messages: [Message]) {
        pending += messages
        matchReady(upTo: messageCount - window)
    }

    /// Matches what is left: no more messages come.
    mutating func finish() {
        matchReady(upTo: messageCount)
    }

    private mutating func matchReady(upTo ready: Int) {
        guard ready > reported else { return }
        defer {
            reported = ready
            let keepFrom = max(base, reported - window)
            pending.removeFirst(keepFrom - base)
            base = keepFrom
        }
        guard budgetExhausted == nil else { return }
        let sliceStart = max(base, reported - window)
        let slice = Array(pending[(sliceStart - base)...])
        let now = ContinuousClock.now
        let report = matcher.match(slice, scratch: scratch, started: now - spent)
        spent += ContinuousClock.now - now
        for (rule, cost) in report.ruleCosts { ruleCosts[rule, default: RuleCost()] += cost }
        let own = (reported - sliceStart)..<(ready - sliceStart)
        let ruleSet = matcher.ruleSet
        for var hit in report.hits where own.contains(hit.messageIndex) {
            let message = slice[hit.messageIndex]
            hit.messageIndex += sliceStart
            hitMessages[hit.messageIndex] = message
            hits.append(hit)
            if let phrases = ruleSet.responsePhrases, ruleSet.collectsResponses(ruleSet.rules[hit.ruleIndex]) {
                followerWindows.append(
                    (hit.messageIndex + 1)...(hit.messageIndex + ResponseCollector.lookahead(phrases)))
            }
        }
        // Replies come after their message: keep those the responses will read, and no others.
        for window in followerWindows {
            let lower = max(window.lowerBound, reported)
            let upper = min(window.upperBound, ready - 1)
            guard lower <= upper else { continue }
            for index in lower...upper { followerMessages[index] = slice[index - sliceStart] }
        }
        followerWindows.removeAll { $0.upperBound < ready }
        for var error in report.ruleErrors where own.contains(error.messageIndex) {
            let message = slice[error.messageIndex]
            error.messageIndex += sliceStart
            ruleErrors.append(ExportScanner.LocatedRuleError(error: error, line: message.line, messageID: message.id))
        }
        budgetExhausted = report.budgetExhausted
    }
}
