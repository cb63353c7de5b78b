import Dispatch

/// Matches a streamed export's messages as they arrive, chunk by chunk, so that the result is
/// the one matching all of them at once would give.
///
/// Messages wait until the `window` messages after them have arrived (rules with a
/// `context.window` look that far); each match then runs over the waiting messages plus `window`
/// messages on either side, and keeps only the hits and rule errors on the waiting ones. One time
/// budget covers the matching of the whole export (parsing between chunks does not count, as it
/// does not for a whole file): once it runs out, nothing more is matched.
///
/// With `overlapped`, each match runs on another thread, with a scratch of its own, while the
/// caller parses the next chunk; it is joined before the next one starts (and by `finish`), so
/// matches still run one at a time, in order, with the same result.
struct ChunkMatching {
    let matcher: ExportMatcher
    let scratch: MatchScratch
    let window: Int
    /// The scratch of matches run on another thread; nil when matches run on the caller's.
    private let backgroundScratch: MatchScratch?

    /// Hits, with message indices in the whole export, in message order.
    private(set) var hits: [RuleHit] = []
    /// The messages that have hits, by index in the whole export.
    private(set) var hitMessages = IndexedMessages()
    /// The messages after hits of rules that collect responses, by index in the whole export.
    private(set) var followerMessages = IndexedMessages()
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
    /// Messages before this one have had their match's result taken in (`absorb`).
    private var absorbed = 0
    /// Time spent matching so far: the budget counts matching only, as for a whole file.
    private var spent: Duration = .zero
    /// The match running on another thread (only when `overlapped`).
    private var inFlight: BackgroundMatch?

    init(matcher: ExportMatcher, scratch: MatchScratch, window: Int, overlapped: Bool = false) {
        self.matcher = matcher
        self.scratch = scratch
        self.window = max(0, window)
        // Without a scratch of its own (PCRE2 could not allocate one), matching is not overlapped.
        self.backgroundScratch = overlapped ? try? MatchScratch(budget: matcher.budget) : nil
    }

    /// Adds the next messages of the export and matches those whose neighbours are all known.
    ///
    /// `alongside`, when given, is more work on these messages that must follow the caller's own
    /// work on the earlier ones: when the match runs on another thread, `alongside` runs there
    /// after it, once `gate` is signalled (the caller signals it when its work is done);
    /// otherwise it is returned, for the caller to run then.
    @discardableResult
    mutating func add(
        _ messages: [Message], after gate: DispatchSemaphore? = nil, alongside: (@Sendable () -> Void)? = nil
    ) -> (@Sendable () -> Void)? {
        join()
        pending += messages
        return matchReady(upTo: messageCount - window, alongside: alongside, after: gate) ? nil : alongside
    }

    /// Matches what is left: no more messages come.
    mutating func finish() {
        join()
        matchReady(upTo: messageCount)
        join()
        finished = true
    }

    /// Whether `finish()` was called.
    private var finished = false

    /// Hits whose alerts can be built, with the messages they need.
    struct ReadyHits: Sendable {
        /// In message order.
        var hits: [RuleHit] = []
        var hitMessages = IndexedMessages()
        var followerMessages = IndexedMessages()

        /// The hit message at `index` in the export.
        func message(_ index: Int) -> Message? { hitMessages[index] }
        /// The message at `index` in the export, when a hit or a follower of one.
        func follower(_ index: Int) -> Message? { hitMessages[index] ?? followerMessages[index] }
    }

    /// The hits whose alerts can be built now, in message order; forgets them and the messages
    /// only they needed (a streamed export's alerts are built chunk by chunk, so nothing grows
    /// with the export). A hit is ready once the messages that may reply to it have been matched
    /// (all hits are, after `finish()`); hits on one message are handed out together (a
    /// redacting hit masks the others' excerpts).
    ///
    /// Call it when no match is in flight: after `join()` or `finish()`.
    mutating func takeReadyHits() -> ReadyHits {
        let ruleSet = matcher.ruleSet
        let lookahead = ruleSet.responsePhrases.map(ResponseCollector.lookahead) ?? 0
        // The first message with a hit that still waits for its replies.
        var waitingMessage = Int.max
        if !finished {
            for hit in hits
            where hit.messageIndex + lookahead >= absorbed && ruleSet.collectsResponses(ruleSet.rules[hit.ruleIndex]) {
                waitingMessage = hit.messageIndex
                break
            }
        }
        let readyCount = hits.firstIndex { $0.messageIndex >= waitingMessage } ?? hits.count
        guard readyCount > 0 else { return ReadyHits() }
        let ready = ReadyHits(
            hits: Array(hits[..<readyCount]), hitMessages: hitMessages, followerMessages: followerMessages)
        hits.removeFirst(readyCount)
        let keepFrom = hits.first?.messageIndex ?? absorbed
        self.hitMessages.removeAll(before: keepFrom)
        self.followerMessages.removeAll(before: keepFrom)
        return ready
    }

    /// One match: the messages from `sliceStart` on, reporting hits on `own` (slice offsets).
    struct Job: Sendable {
        var slice: [Message]
        var sliceStart: Int
        var own: Range<Int>
    }

    /// What a match leaves for the export: its hits and rule errors on the job's own messages,
    /// with the messages that alerts will quote copied out of the job, so the job (all the
    /// chunk's messages) can be dropped on the thread that matched it.
    struct Outcome: Sendable {
        var report: MatchReport
        var took: Duration
        /// Messages before this one have been matched.
        var ready: Int
        /// The hits on the job's own messages, with message indices in the whole export.
        var hits: [RuleHit] = []
        var hitMessages: [(index: Int, message: Message)] = []
        /// The follower windows the hits open (rules that collect responses).
        var newFollowerWindows: [ClosedRange<Int>] = []
        /// Messages of the job inside a follower window, by index in the whole export.
        var followerMessages: [(index: Int, message: Message)] = []
        var ruleErrors: [ExportScanner.LocatedRuleError] = []
    }

    /// Matches the messages before `ready` not matched yet. Returns whether `alongside` was
    /// handed to a match on another thread (to run after it, once `gate` is signalled).
    @discardableResult
    private mutating func matchReady(
        upTo ready: Int, alongside: (@Sendable () -> Void)? = nil, after gate: DispatchSemaphore? = nil
    ) -> Bool {
        guard ready > reported else { return false }
        defer {
            reported = ready
            let keepFrom = max(base, reported - window)
            // The job shares the buffer: copy out only the messages kept (removing the others in
            // place would copy them all first).
            if keepFrom > base { pending = Array(pending[(keepFrom - base)...]) }
            base = keepFrom
        }
        guard budgetExhausted == nil else { return false }
        let sliceStart = max(base, reported - window)
        let offset = sliceStart - base
        // Usually the whole of `pending`: shared with the job, not copied.
        let job = Job(
            slice: offset == 0 ? pending : Array(pending[offset...]), sliceStart: sliceStart,
            own: (reported - sliceStart)..<(ready - sliceStart))
        let matcher = matcher
        let spent = spent
        let followerWindows = followerWindows
        let run = { @Sendable (scratch: MatchScratch) -> Outcome in
            let now = ContinuousClock.now
            let report = matcher.match(job.slice, scratch: scratch, started: now - spent)
            return Self.outcome(
                of: report, took: ContinuousClock.now - now, job: job, followerWindows: followerWindows,
                ruleSet: matcher.ruleSet)
        }
        if let backgroundScratch {
            inFlight = BackgroundMatch(scratch: backgroundScratch) { scratch in
                let outcome = run(scratch)
                if let alongside {
                    gate?.wait()
                    alongside()
                }
                return outcome
            }
            return true
        }
        absorb(run(scratch))
        return false
    }

    /// Waits for the match in flight, if any, and takes its result.
    mutating func join() {
        guard let match = inFlight else { return }
        inFlight = nil
        absorb(match.wait())
    }

    /// What the export keeps of `job` once `report` is its match's result.
    private static func outcome(
        of report: MatchReport, took: Duration, job: Job, followerWindows: [ClosedRange<Int>], ruleSet: RuleSet
    ) -> Outcome {
        let slice = job.slice
        let sliceStart = job.sliceStart
        let own = job.own
        let ready = sliceStart + own.upperBound
        let firstOwn = sliceStart + own.lowerBound
        var outcome = Outcome(report: report, took: took, ready: ready)
        var lastHitMessage = -1
        for var hit in report.hits where own.contains(hit.messageIndex) {
            let message = hit.messageIndex
            hit.messageIndex += sliceStart
            if message != lastHitMessage {
                outcome.hitMessages.append((hit.messageIndex, slice[message]))
                lastHitMessage = message
            }
            outcome.hits.append(hit)
            if let phrases = ruleSet.responsePhrases, ruleSet.collectsResponses(ruleSet.rules[hit.ruleIndex]) {
                outcome.newFollowerWindows.append(
                    (hit.messageIndex + 1)...(hit.messageIndex + ResponseCollector.lookahead(phrases)))
            }
        }
        // Replies come after their message: keep those the responses will read, and no others.
        var lastFollower = -1
        for window in followerWindows + outcome.newFollowerWindows {
            let lower = max(window.lowerBound, firstOwn, lastFollower + 1)
            let upper = min(window.upperBound, ready - 1)
            guard lower <= upper else { continue }
            for index in lower...upper { outcome.followerMessages.append((index, slice[index - sliceStart])) }
            lastFollower = upper
        }
        for var error in report.ruleErrors where own.contains(error.messageIndex) {
            let message = slice[error.messageIndex]
            error.messageIndex += sliceStart
            outcome.ruleErrors.append(
                ExportScanner.LocatedRuleError(error: error, line: message.line, messageID: message.id))
        }
        return outcome
    }

    private mutating func absorb(_ outcome: Outcome) {
        spent += outcome.took
        absorbed = outcome.ready
        for (rule, cost) in outcome.report.ruleCosts { ruleCosts[rule, default: RuleCost()] += cost }
        hits += outcome.hits
        for (index, message) in outcome.hitMessages { hitMessages.append(message, at: index) }
        followerWindows += outcome.newFollowerWindows
        for (index, message) in outcome.followerMessages { followerMessages.append(message, at: index) }
        followerWindows.removeAll { $0.upperBound < outcome.ready }
        ruleErrors += outcome.ruleErrors
        budgetExhausted = outcome.report.budgetExhausted
    }
}

/// A match running on a thread of its own, joined by `wait()`.
///
/// `@unchecked Sendable`: the scratch (not `Sendable`) is the `ChunkMatching`'s background one,
/// used by one block at a time (each is waited for before the next starts), and `result` is
/// written by the block before `wait()` (a `DispatchGroup` wait) reads it. The block owns the
/// job, so its messages are freed on that thread.
private final class BackgroundMatch: @unchecked Sendable {
    private let group = DispatchGroup()
    private var result: ChunkMatching.Outcome?

    init(scratch: MatchScratch, run: @escaping @Sendable (MatchScratch) -> ChunkMatching.Outcome) {
        let unchecked = UncheckedScratch(scratch)
        DispatchQueue.global(qos: .userInitiated).async(group: group) {
            self.result = run(unchecked.scratch)
        }
    }

    func wait() -> ChunkMatching.Outcome {
        group.wait()
        return result ?? ChunkMatching.Outcome(report: MatchReport(), took: .zero, ready: 0)
    }
}

/// Carries a `MatchScratch` to the one thread that uses it meanwhile (see `BackgroundMatch`).
private struct UncheckedScratch: @unchecked Sendable {
    let scratch: MatchScratch
    init(_ scratch: MatchScratch) { self.scratch = scratch }
}
