import PCRE2

/// Runs a rule set over an export's messages.
///
/// Each field (text, attachment names, senders, locations) of all messages is laid into one
/// buffer and each rule's pattern runs over it with as few PCRE2 calls as there are matches,
/// not one per message. A match that would cross from one message into the next is retried
/// inside the message, and patterns whose meaning depends on where the subject starts or ends
/// (`^`, `$`, `\A`, `\z`, lookbehind) run message by message, so results are the same as
/// matching every message on its own.
public struct ExportMatcher: Sendable {
    public let ruleSet: RuleSet
    public let budget: ScanBudget
    /// Whether to measure what each rule costs (`MatchReport.ruleCosts`): two clock reads per
    /// rule and export.
    public var collectsCosts: Bool
    /// Whether PCRE2 runs only where the rule set's prefilter says a rule could match (the
    /// default). Without it every rule runs on every message: the reference the prefilter is
    /// tested against.
    public var usesPrefilter: Bool

    public init(
        ruleSet: RuleSet, budget: ScanBudget = ScanBudget(), collectsCosts: Bool = false, usesPrefilter: Bool = true
    ) {
        self.ruleSet = ruleSet
        self.budget = budget
        self.collectsCosts = collectsCosts
        self.usesPrefilter = usesPrefilter
    }

    /// Matches every rule against `messages`, using `scratch` for all working memory.
    public func match(_ messages: [Message], scratch: MatchScratch) -> MatchReport {
        match(messages, plan: ruleSet.matchPlan, scratch: scratch, started: .now)
    }

    /// Matches `rules` (members of `ruleSet`) against `messages`.
    public func match(_ messages: [Message], rules: [CompiledRule], scratch: MatchScratch) -> MatchReport {
        match(messages, plan: MatchPlan(rules), scratch: scratch, started: .now)
    }

    /// Matches every rule against `messages` as part of a scan that started at `started`: the
    /// time budget counts from then (a streamed export is matched chunk by chunk, one budget for
    /// all of them).
    public func match(_ messages: [Message], scratch: MatchScratch, started: ContinuousClock.Instant) -> MatchReport {
        match(messages, plan: ruleSet.matchPlan, scratch: scratch, started: started)
    }

    func match(_ messages: [Message], plan: MatchPlan, scratch: MatchScratch, started: ContinuousClock.Instant)
        -> MatchReport
    {
        let prefilter = usesPrefilter ? ruleSet.prefilter : nil
        for key in plan.corpusKeys {
            scratch.corpora[key, default: FieldCorpus()].reset(key, messages: messages)
        }
        if let prefilter { scratch.runPrefilter(prefilter) }
        var run = Run(
            messages: messages, scratch: scratch, budget: budget, started: started, collectsCosts: collectsCosts,
            prefilter: prefilter)
        if scratch.ruleCategoriesOf != ruleSet.revision || scratch.ruleCategories.count != ruleSet.rules.count {
            scratch.ruleCategories = ruleSet.rules.map(\.definition.category)
            scratch.ruleCategoriesOf = ruleSet.revision
        }
        scratch.times.removeAll(keepingCapacity: true)
        // By index: `for message in messages` would copy (retain and release) every message.
        for index in messages.indices { scratch.times.append(messages[index].timestamp?.secondsSinceEpoch) }
        for rule in plan.order {
            do throws(OutOfTime) {
                try run.apply(rule)
            } catch {
                run.report.budgetExhausted = BudgetExhaustion(
                    ruleID: rule.id, budget: budget.time, elapsed: ContinuousClock.now - run.started)
                break
            }
        }
        run.report.hits.sort {
            ($0.messageIndex, $0.field.sortKey, $0.item, $0.range.lowerBound, $0.ruleIndex)
                < ($1.messageIndex, $1.field.sortKey, $1.item, $1.range.lowerBound, $1.ruleIndex)
        }
        run.report.hits = Self.removingRepeats(run.report.hits, corpora: scratch.corpora)
        return run.report
    }

    /// One alert per rule, message and matched value: a location share is both text and a
    /// location, and must not alert twice for the same link.
    static func removingRepeats(_ hits: [RuleHit], corpora: [FieldCorpus.Key: FieldCorpus]) -> [RuleHit] {
        struct Key: Hashable {
            var message: Int
            var rule: Int
            var value: Substring
        }
        var seen = Set<Key>()
        return hits.filter { hit in
            guard let value = corpora[FieldCorpus.Key(field: hit.field)]?.matchedText(of: hit) else { return true }
            return seen.insert(Key(message: hit.messageIndex, rule: hit.ruleIndex, value: value)).inserted
        }
    }
}

struct OutOfTime: Error {}

extension RuleDefinition {
    /// Where a context (or `unless`) pattern is looked for: the message text, and for a rule that
    /// reads text found in media, that text too (a label printed next to the number on a
    /// screenshot is context of it).
    var contextFields: [RuleField] {
        appliesTo.contains(.mediaText) ? [.text, .mediaText] : [.text]
    }
}

extension RuleField {
    var sortKey: Int {
        switch self {
        case .text: 0
        case .attachment: 1
        case .location: 2
        case .sender: 3
        case .mediaText: 4
        case .mediaMetadata: 5
        }
    }
}

extension ExportMatcher {
    /// The state of one `match` call.
    fileprivate struct Run {
        let messages: [Message]
        let scratch: MatchScratch
        let started: ContinuousClock.Instant
        let deadline: ContinuousClock.Instant
        let collectsCosts: Bool
        /// The rule set's prefilter, when matching uses it; `scratch.candidates` then holds its answers.
        let prefilter: RulePrefilter?
        var report = MatchReport()
        /// `pcre2_match` calls so far.
        var calls = 0

        init(
            messages: [Message], scratch: MatchScratch, budget: ScanBudget, started: ContinuousClock.Instant,
            collectsCosts: Bool, prefilter: RulePrefilter?
        ) {
            self.prefilter = prefilter
            self.messages = messages
            self.scratch = scratch
            self.started = started
            self.deadline = started + budget.time
            self.collectsCosts = collectsCosts
        }

        mutating func apply(_ rule: CompiledRule) throws(OutOfTime) {
            guard collectsCosts else { return try applyRule(rule) }
            let start = ContinuousClock.now
            let callsBefore = calls
            let hitsBefore = report.hits.count
            defer {
                report.ruleCosts[rule.index, default: RuleCost()] += RuleCost(
                    time: ContinuousClock.now - start, calls: calls - callsBefore, hits: report.hits.count - hitsBefore)
            }
            try applyRule(rule)
        }

        mutating func applyRule(_ rule: CompiledRule) throws(OutOfTime) {
            let definition = rule.definition
            // Messages the keywords allow (nil: no keywords, or they cannot be prefiltered).
            var allowed: [Bool]?
            if let keywords = rule.keywordPattern {
                let fields = Set(definition.appliesTo + [.text])
                var flags = [Bool](repeating: false, count: messages.count)
                var filtered = true
                for field in fields {
                    let key = FieldCorpus.Key(field: field, normalization: definition.normalize)
                    if let id = prefilter?.entryID(rule: rule.index, role: .keywords, key: key) {
                        // Keyword lists are literal: the prefilter's answer is exact.
                        for message in scratch.candidates[id] { flags[Int(message)] = true }
                    } else {
                        filtered = false
                    }
                }
                if !filtered {
                    flags = [Bool](repeating: false, count: messages.count)
                    for field in fields {
                        try markMessages(
                            matching: keywords, in: FieldCorpus.Key(field: field, normalization: definition.normalize),
                            flags: &flags)
                    }
                }
                allowed = flags
            }
            var found: [RuleHit] = []
            for field in definition.appliesTo {
                let key = FieldCorpus.Key(field: field, normalization: definition.normalize)
                guard let corpus = scratch.corpora[key], !corpus.segments.isEmpty else { continue }
                try corpus.bytes.withUnsafeBufferPointer { buffer throws(OutOfTime) in
                    let onHit = { (segment: FieldCorpus.Segment, range: Range<Int>) in
                        found.append(
                            RuleHit(
                                ruleIndex: rule.index, messageIndex: segment.message, field: field, item: segment.item,
                                range: corpus.originalRange(range, in: segment), confidence: definition.confidence))
                    }
                    func scanMessage(_ message: Int) throws(OutOfTime) {
                        for index in corpus.messageSegments[message]..<corpus.messageSegments[message + 1] {
                            try scanSegment(index, of: corpus, buffer: buffer, rule: rule, field: field, onHit: onHit)
                        }
                    }
                    if let id = prefilter?.entryID(rule: rule.index, role: .pattern, key: key) {
                        // Only where the prefilter says the pattern could match, each message alone.
                        for message in scratch.candidates[id] where allowed?[Int(message)] ?? true {
                            try scanMessage(Int(message))
                        }
                    } else if let allowed {
                        for (message, isAllowed) in allowed.enumerated() where isAllowed { try scanMessage(message) }
                    } else if rule.pattern.pattern.dependsOnSubjectBounds {
                        for index in corpus.segments.indices {
                            try scanSegment(index, of: corpus, buffer: buffer, rule: rule, field: field, onHit: onHit)
                        }
                    } else {
                        try scanCorpus(
                            corpus, buffer: buffer, pattern: rule.pattern, rule: rule, field: field, onHit: onHit)
                    }
                }
            }
            guard !found.isEmpty else { return }

            if !rule.validators.isEmpty {
                found.removeAll { hit in
                    guard let value = scratch.corpora[FieldCorpus.Key(field: hit.field)]?.matchedText(of: hit) else {
                        return true
                    }
                    return !rule.validators.allSatisfy { $0.isValid(value) }
                }
                for index in found.indices { found[index].confidence = found[index].confidence.raised }
            }
            if let model = rule.model {
                // One match per message, standing only when the model rates the message highly enough.
                var kept: [RuleHit] = []
                var lastMessage = -1
                for var hit in found.sorted(by: {
                    ($0.messageIndex, $0.range.lowerBound) < ($1.messageIndex, $1.range.lowerBound)
                })
                where hit.messageIndex != lastMessage {
                    lastMessage = hit.messageIndex
                    let text = messages[hit.messageIndex].text
                    let verdict = model.score(text, scratch: &scratch.model)
                    guard verdict.probability >= definition.threshold else { continue }
                    hit.explanation = ModelExplanation(
                        model: model.name, probability: verdict.probability,
                        features: model.strongestFeatures(of: text, limit: 5, scratch: &scratch.model))
                    kept.append(hit)
                }
                found = kept
            }
            for (index, context) in definition.contexts.enumerated() where !found.isEmpty {
                let flags = try contextFlags(context, pattern: rule.contextPatterns[index], rule: rule, near: found)
                var kept: [RuleHit] = []
                kept.reserveCapacity(found.count)
                for var hit in found {
                    if hasContext(near: hit.messageIndex, flags: flags, context: context) {
                        hit.confidence = hit.confidence.raised
                    } else if context.effect == .require {
                        continue
                    }
                    kept.append(hit)
                }
                found = kept
            }
            if let unless = definition.unless, !found.isEmpty {
                let flags = try contextFlags(unless, pattern: rule.unlessPattern, rule: rule, near: found)
                found.removeAll { hasContext(near: $0.messageIndex, flags: flags, context: unless) }
            }
            report.hits += found
        }

        /// The messages where a context (or `unless`) is found: where its pattern matches, or where
        /// another rule of its category has a hit. Its pattern is looked for only where
        /// `hasContext` will look: in the messages `context.window` or fewer from a hit in `found`,
        /// each message alone (so anchors and lookbehind see one message, as everywhere).
        mutating func contextFlags(
            _ context: RuleContext, pattern: PCRE2Pattern?, rule: CompiledRule, near found: [RuleHit]
        ) throws(OutOfTime) -> [Bool] {
            var flags = [Bool](repeating: false, count: messages.count)
            if !context.categories.isEmpty {
                for hit in report.hits where hit.ruleIndex != rule.index {
                    if context.categories.contains(scratch.ruleCategories[hit.ruleIndex]) {
                        flags[hit.messageIndex] = true
                    }
                }
                return flags
            }
            guard let pattern else { return flags }
            var looked = [Bool](repeating: false, count: messages.count)
            // The message text; for a rule that reads media text, that text too.
            let corpora = rule.definition.contextFields.compactMap { field in
                scratch.corpora[FieldCorpus.Key(field: field, normalization: context.normalize)].map { (field, $0) }
            }
            for hit in found {
                let lower = max(0, hit.messageIndex - context.window)
                let upper = min(messages.count - 1, hit.messageIndex + context.window)
                guard lower <= upper else { continue }
                for message in lower...upper where !looked[message] {
                    looked[message] = true
                    for (field, corpus) in corpora where !flags[message] {
                        try corpus.bytes.withUnsafeBufferPointer { buffer throws(OutOfTime) in
                            for index in corpus.messageSegments[message]..<corpus.messageSegments[message + 1]
                            where !flags[message] {
                                try scanSegment(
                                    index, of: corpus, buffer: buffer, pattern: pattern, rule: nil, field: field,
                                    onHit: { segment, _ in flags[segment.message] = true })
                            }
                        }
                    }
                }
            }
            return flags
        }

        /// Whether a message flagged in `flags` is `message` itself or a neighbour in the same
        /// conversation flow: within `context.window` messages, within `context.within` in time
        /// (when both times are known), and with no silence longer than `RuleContext.silence`
        /// between them.
        func hasContext(near message: Int, flags: [Bool], context: RuleContext) -> Bool {
            if flags[message] { return true }
            let times = scratch.times
            let lower = max(0, message - context.window)
            let upper = min(messages.count - 1, message + context.window)
            // Walk outwards on each side, stopping at a long silence or beyond `within`.
            for direction in [-1, 1] {
                var index = message + direction
                var previousTime = times[message]
                while index >= lower && index <= upper {
                    let time = times[index]
                    if let time, let previous = previousTime,
                        abs(time - previous) > RuleContext.silence.components.seconds
                    {
                        break
                    }
                    if let within = context.within, let time, let own = times[message],
                        abs(time - own) > within.components.seconds
                    {
                        break
                    }
                    if flags[index] { return true }
                    if time != nil { previousTime = time }
                    index += direction
                }
            }
            return false
        }

        /// Sets `flags[m]` for every message whose `field` matches `pattern` somewhere.
        mutating func markMessages(matching pattern: PCRE2Pattern, in key: FieldCorpus.Key, flags: inout [Bool])
            throws(OutOfTime)
        {
            let field = key.field
            guard let corpus = scratch.corpora[key], !corpus.segments.isEmpty else { return }
            let perMessage = pattern.pattern.dependsOnSubjectBounds
            try corpus.bytes.withUnsafeBufferPointer { buffer throws(OutOfTime) in
                var marked = flags
                defer { flags = marked }
                let onHit = { (segment: FieldCorpus.Segment, _: Range<Int>) in marked[segment.message] = true }
                if perMessage {
                    for index in corpus.segments.indices where !marked[corpus.segments[index].message] {
                        try scanSegment(
                            index, of: corpus, buffer: buffer, pattern: pattern, rule: nil, field: field, onHit: onHit)
                    }
                } else {
                    try scanCorpus(corpus, buffer: buffer, pattern: pattern, rule: nil, field: field, onHit: onHit)
                }
            }
        }

        /// One pass over the whole buffer. Matches confined to one segment are reported as they
        /// come; a match that starts in a separator or runs into the next segment is retried
        /// inside the segment, and a limit error falls back to segment-by-segment matching so the
        /// error can be pinned to its message.
        mutating func scanCorpus(
            _ corpus: FieldCorpus, buffer: UnsafeBufferPointer<UInt8>, pattern: PCRE2Pattern, rule: CompiledRule?,
            field: RuleField, onHit: (FieldCorpus.Segment, Range<Int>) -> Void
        ) throws(OutOfTime) {
            var offset = 0
            while offset < buffer.count {
                try checkTime()
                calls += 1
                switch scratch.pcre.firstMatch(of: pattern, in: buffer, from: offset) {
                case .noMatch:
                    return
                case .failure:
                    var index = corpus.segmentIndex(containing: offset) ?? 0
                    if corpus.segments[index].end < offset { index += 1 }
                    while index < corpus.segments.count {
                        try scanSegment(
                            index, of: corpus, buffer: buffer, pattern: pattern, rule: rule, field: field,
                            from: max(0, offset - corpus.segments[index].start), onHit: onHit)
                        index += 1
                    }
                    return
                case .match(let range):
                    guard var index = corpus.segmentIndex(containing: range.lowerBound) else { return }
                    var segment = corpus.segments[index]
                    if range.lowerBound >= segment.end {
                        // Started in the separator after a segment: look again from the next one.
                        index += 1
                        guard index < corpus.segments.count else { return }
                        segment = corpus.segments[index]
                        try scanSegment(
                            index, of: corpus, buffer: buffer, pattern: pattern, rule: rule, field: field, onHit: onHit)
                        offset = segment.end + 1
                    } else if range.upperBound <= segment.end && !range.isEmpty {
                        onHit(segment, (range.lowerBound - segment.start)..<(range.upperBound - segment.start))
                        offset = range.upperBound
                    } else if range.isEmpty {
                        offset = nextScalarBoundary(after: range.upperBound, in: buffer)
                    } else {
                        // Ran into the next segment: the segment on its own decides.
                        try scanSegment(
                            index, of: corpus, buffer: buffer, pattern: pattern, rule: rule, field: field,
                            from: max(0, offset - segment.start), onHit: onHit)
                        offset = segment.end + 1
                    }
                }
            }
        }

        mutating func scanSegment(
            _ index: Int, of corpus: FieldCorpus, buffer: UnsafeBufferPointer<UInt8>, rule: CompiledRule,
            field: RuleField,
            onHit: (FieldCorpus.Segment, Range<Int>) -> Void
        ) throws(OutOfTime) {
            try scanSegment(
                index, of: corpus, buffer: buffer, pattern: rule.pattern, rule: rule, field: field, onHit: onHit)
        }

        /// Matches inside one segment only, with the segment as the whole subject, so anchors
        /// and lookbehind see exactly one message.
        mutating func scanSegment(
            _ index: Int, of corpus: FieldCorpus, buffer: UnsafeBufferPointer<UInt8>, pattern: PCRE2Pattern,
            rule: CompiledRule?, field: RuleField, from start: Int = 0, onHit: (FieldCorpus.Segment, Range<Int>) -> Void
        ) throws(OutOfTime) {
            let segment = corpus.segments[index]
            let subject = UnsafeBufferPointer(rebasing: buffer[segment.start..<segment.end])
            var offset = start
            while offset <= subject.count {
                try checkTime()
                calls += 1
                switch scratch.pcre.firstMatch(of: pattern, in: subject, from: offset) {
                case .noMatch:
                    return
                case .failure(let error):
                    report.ruleErrors.append(
                        RuleErrorRecord(
                            ruleID: rule?.id ?? "?", messageIndex: segment.message, field: field, code: error.code,
                            detail: error.message))
                    return
                case .match(let range):
                    if range.isEmpty {
                        offset = nextScalarBoundary(after: range.upperBound, in: subject)
                        continue
                    }
                    onHit(segment, range)
                    offset = range.upperBound
                }
            }
        }

        /// Checks the wall-clock budget every 8 PCRE2 calls: each call is bounded by PCRE2's match
        /// and heap limits, so the budget is overrun by at most 8 bounded calls, and the clock is
        /// not read before every one.
        @inline(__always)
        func checkTime() throws(OutOfTime) {
            if calls & 7 == 0, ContinuousClock.now > deadline { throw OutOfTime() }
        }

        func nextScalarBoundary(after offset: Int, in buffer: UnsafeBufferPointer<UInt8>) -> Int {
            var next = offset + 1
            while next < buffer.count, buffer[next] & 0xC0 == 0x80 { next += 1 }
            return next
        }
    }
}

extension String {
    /// Whether a pattern's matches depend on where the subject starts or ends: anchors,
    /// `\A \z \Z \G`, lookbehind and lookahead (they would see the next message), `\K` (a match
    /// could start in the message before and report a start in this one). Such patterns run
    /// message by message. Errs on the safe side.
    var dependsOnSubjectBounds: Bool {
        var previous: Character = " "
        var inClass = false
        var escaped = false
        for character in self {
            defer { previous = character }
            if escaped {
                escaped = false
                if !inClass, "AzZGK".contains(character) { return true }
                continue
            }
            switch character {
            case "\\": escaped = true
            case "[" where !inClass: inClass = true
            case "]" where inClass: inClass = false
            case "^" where !inClass && previous != "[": return true
            case "$" where !inClass: return true
            case "<" where previous == "?", "=" where previous == "?", "!" where previous == "?": return true
            default: break
            }
        }
        return false
    }
}
