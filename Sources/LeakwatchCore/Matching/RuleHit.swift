/// One place where a rule matched.
public struct RuleHit: Sendable, Hashable {
    /// Index of the rule in its `RuleSet`.
    public var ruleIndex: Int
    /// Index of the message in its `ParsedExport`.
    public var messageIndex: Int
    public var field: RuleField
    /// Which attachment, for `field == .attachment`; 0 otherwise.
    public var item: Int
    /// Byte offsets of the match within the field's UTF-8 value (as written, also for rules
    /// that match a normalized text).
    public var range: Range<Int>
    /// The rule's confidence, raised by validators and context.
    public var confidence: Confidence
    /// For a rule with a model: what the model said of the message.
    public var explanation: ModelExplanation?

    public init(
        ruleIndex: Int, messageIndex: Int, field: RuleField, item: Int = 0, range: Range<Int>,
        confidence: Confidence = .medium
    ) {
        self.ruleIndex = ruleIndex
        self.messageIndex = messageIndex
        self.field = field
        self.item = item
        self.range = range
        self.confidence = confidence
    }
}

/// Why a model-gated rule's match stands: the model's probability for the message and the
/// n-grams that raised it most (masked).
public struct ModelExplanation: Sendable, Hashable {
    public var model: String
    public var probability: Double
    public var features: [String]

    public init(model: String, probability: Double, features: [String]) {
        self.model = model
        self.probability = probability
        self.features = features
    }
}

/// A rule that could not finish on a message: a PCRE2 limit (match, heap, JIT stack) stopped
/// it. Reported explicitly, never taken as "no match".
public struct RuleErrorRecord: Sendable, Hashable {
    public var ruleID: String
    public var messageIndex: Int
    public var field: RuleField
    /// PCRE2's error code and message.
    public var code: Int32
    public var detail: String

    public init(ruleID: String, messageIndex: Int, field: RuleField, code: Int32, detail: String) {
        self.ruleID = ruleID
        self.messageIndex = messageIndex
        self.field = field
        self.code = code
        self.detail = detail
    }
}

/// What matching one export produced.
public struct MatchReport: Sendable {
    public var hits: [RuleHit] = []
    public var ruleErrors: [RuleErrorRecord] = []
    /// Set when the time budget ran out: the scan of this export is incomplete from here on.
    public var budgetExhausted: BudgetExhaustion?
    /// What each rule cost, by rule index (only when the matcher collects statistics).
    public var ruleCosts: [Int: RuleCost] = [:]

    public init() {}
}

/// What running one rule cost: time, PCRE2 calls, hits. Added up over exports by `+=`.
public struct RuleCost: Sendable, Hashable {
    public var time: Duration = .zero
    /// `pcre2_match` calls (pattern, keywords and context together).
    public var calls: Int = 0
    public var hits: Int = 0

    public init(time: Duration = .zero, calls: Int = 0, hits: Int = 0) {
        self.time = time
        self.calls = calls
        self.hits = hits
    }

    public static func += (lhs: inout RuleCost, rhs: RuleCost) {
        lhs.time += rhs.time
        lhs.calls += rhs.calls
        lhs.hits += rhs.hits
    }
}

/// Where the time budget ran out.
public struct BudgetExhaustion: Sendable, Hashable {
    public var ruleID: String
    public var budget: Duration
    public var elapsed: Duration
}

/// Limits for matching one export.
public struct ScanBudget: Sendable, Hashable {
    /// Wall-clock time all rules together may spend on one export.
    public var time: Duration
    public var matchLimit: UInt32
    public var heapLimitKiB: UInt32

    public init(time: Duration = .seconds(60), matchLimit: UInt32 = 1_000_000, heapLimitKiB: UInt32 = 20_000) {
        self.time = time
        self.matchLimit = matchLimit
        self.heapLimitKiB = heapLimitKiB
    }
}
