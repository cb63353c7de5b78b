import Dispatch
import Synchronization

/// Matches a streamed export's messages as they arrive, chunk by chunk, so that the result is
/// the one matching all of them at once would give.
///
/// Messages wait until the `window` messages after them have arrived (rules with a
/// `context.window` look that far); each match then runs over the waiting messages plus `window`
/// messages on either side, and keeps only the hits and rule errors on the waiting ones. One time
/// budget covers the matching of the whole export (parsing between chunks does not count, as it
/// does not for a whole file): once it runs out, nothing more is matched.
///
/// With `overlapped`, matches run on another thread, with a scratch of its own, one at a time and
/// in order (a serial queue), while the caller parses the next chunk. `add` returns once at most
/// the match it queued is still running: the caller works one chunk ahead of the matching
/// thread, and neither waits for the other at every chunk. What one match leaves the next (the
/// time spent, the follower windows, whether the budget ran out) is kept by the matches
/// themselves (`Progress`), so a match is queued before the one before it has been taken in.
struct ChunkMatching {
    let matcher: ExportMatcher
    let scratch: MatchScratch
    let window: Int

    /// Hits, with message indices in the whole export, in message order.
    private(set) var hits: [RuleHit] = []
    /// The messages that have hits, by index in the whole export.
    private(set) var hitMessages = IndexedMessages()
    /// The messages after hits of rules that collect responses, by index in the whole export.
    private(set) var followerMessages = IndexedMessages()
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
    /// What the matches carry from one to the next, kept by whichever thread runs them.
    private let progress = Progress()
    /// The queue of matches run on another thread (only when `overlapped`).
    private let background: BackgroundMatches?
    /// Matches queued on `background` whose results have not been taken in yet.
    private var inFlight = 0

    init(matcher: ExportMatcher, scratch: MatchScratch, window: Int, overlapped: Bool = false) {
        self.matcher = matcher
        self.scratch = scratch
        self.window = max(0, window)
        // Without a scratch of its own (PCRE2 could not allocate one), matching is not overlapped.
        self.background = overlapped ? (try? MatchScratch(budget: matcher.budget)).map(BackgroundMatches.init) : nil
    }

    /// Adds the next messages of the export and matches those whose neighbours are all known;
    /// returns once at most that match is still running (the one before it has been taken in).
    mutating func add(_ messages: [Message]) {
        pending += messages
        matchReady(upTo: messageCount - window)
        join(leavingInFlight: 1)
    }

    /// Matches what is left: no more messages come.
    mutating func finish() {
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
    /// Only matches taken in count: one may still be running.
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

    /// Matches the messages before `ready` not matched yet (on another thread, when there is one).
    private mutating func matchReady(upTo ready: Int) {
        guard ready > reported else { return }
        defer {
            reported = ready
            let keepFrom = max(base, reported - window)
            // The job shares the buffer: copy out only the messages kept (removing the others in
            // place would copy them all first).
            if keepFrom > base { pending = Array(pending[(keepFrom - base)...]) }
            base = keepFrom
        }
        // Known here (a match queued earlier may still be running): the next match checks it too.
        guard budgetExhausted == nil else { return }
        let sliceStart = max(base, reported - window)
        let offset = sliceStart - base
        // Usually the whole of `pending`: shared with the job, not copied.
        let job = Job(
            slice: offset == 0 ? pending : Array(pending[offset...]), sliceStart: sliceStart,
            own: (reported - sliceStart)..<(ready - sliceStart))
        let matcher = matcher
        let progress = progress
        let run = { @Sendable (scratch: MatchScratch) -> Outcome? in
            // Once a match has run out of time, nothing more is matched.
            guard !progress.exhausted else { return nil }
            let now = ContinuousClock.now
            let report = matcher.match(job.slice, scratch: scratch, started: now - progress.spent)
            let outcome = Self.outcome(
                of: report, took: ContinuousClock.now - now, job: job, followerWindows: progress.followerWindows,
                ruleSet: matcher.ruleSet)
            progress.advance(by: outcome)
            return outcome
        }
        if let background {
            background.queue(run)
            inFlight += 1
            return
        }
        absorb(run(scratch))
    }

    /// Waits for the matches queued on another thread, and takes their results in, until at most
    /// `leavingInFlight` of them are left.
    mutating func join(leavingInFlight: Int = 0) {
        guard let background else { return }
        while inFlight > leavingInFlight {
            inFlight -= 1
            absorb(background.next())
        }
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

    /// Takes in a match's result (nil: it did not run, the budget having run out before it).
    private mutating func absorb(_ outcome: Outcome?) {
        guard let outcome else { return }
        absorbed = outcome.ready
        for (rule, cost) in outcome.report.ruleCosts { ruleCosts[rule, default: RuleCost()] += cost }
        hits += outcome.hits
        for (index, message) in outcome.hitMessages { hitMessages.append(message, at: index) }
        for (index, message) in outcome.followerMessages { followerMessages.append(message, at: index) }
        ruleErrors += outcome.ruleErrors
        budgetExhausted = outcome.report.budgetExhausted
    }

    /// What each match leaves the next: the time spent matching so far (the budget counts
    /// matching only, as for a whole file), the follower windows still open, and whether the
    /// budget has run out.
    ///
    /// `@unchecked Sendable`: used only by the match running, and matches run one at a time, in
    /// order (inline, or on one serial queue). A queue's blocks run one after another, so each
    /// sees what the one before it wrote.
    final class Progress: @unchecked Sendable {
        private(set) var spent: Duration = .zero
        /// The messages after each hit of a rule that collects responses still to keep (absolute
        /// indices).
        private(set) var followerWindows: [ClosedRange<Int>] = []
        private(set) var exhausted = false

        func advance(by outcome: Outcome) {
            spent += outcome.took
            followerWindows += outcome.newFollowerWindows
            followerWindows.removeAll { $0.upperBound < outcome.ready }
            exhausted = outcome.report.budgetExhausted != nil
        }
    }
}

/// Matches running on a thread of their own, one at a time and in order, with one scratch; their
/// results are taken in the same order by `next()`.
///
/// `@unchecked Sendable`: the scratch (not `Sendable`) is used only by the blocks of the serial
/// queue, one at a time; the results are handed over under a mutex, counted by a semaphore. Each
/// block owns its job, so a chunk's messages are freed on the matching thread.
private final class BackgroundMatches: @unchecked Sendable {
    private let scratch: MatchScratch
    private let serial = DispatchQueue(label: "leakwatch.chunk-matching", qos: .userInitiated)
    private let finished = DispatchSemaphore(value: 0)
    private let results = Mutex<[ChunkMatching.Outcome?]>([])

    init(scratch: MatchScratch) {
        self.scratch = scratch
    }

    /// Queues `run` after the matches queued before it.
    func queue(_ run: @escaping @Sendable (MatchScratch) -> ChunkMatching.Outcome?) {
        serial.async {
            let outcome = run(self.scratch)
            self.results.withLock { $0.append(outcome) }
            self.finished.signal()
        }
    }

    /// The result of the oldest match not taken yet, once it has run.
    func next() -> ChunkMatching.Outcome? {
        finished.wait()
        return results.withLock { $0.removeFirst() }
    }
}
