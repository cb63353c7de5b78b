import PCRE2

/// One worker's matching state: PCRE2 match data and JIT stack, and reusable buffers. Create
/// one per worker thread or task and reuse it for every export; never share it.
public final class MatchScratch {
    let pcre: PCRE2Scratch
    var corpora: [FieldCorpus.Key: FieldCorpus] = [:]
    /// Send times of the messages being matched, in seconds (`LocalTimestamp.secondsSinceEpoch`).
    var times: [Int64?] = []
    var model = LinearTextModelScratch()
    /// Each rule's category, by rule index (for contexts that are another category's alerts).
    var ruleCategories: [RuleCategory] = []
    /// The revision of the rule set `ruleCategories` was taken from.
    var ruleCategoriesOf: String?

    /// - Throws: `LeakwatchError` when PCRE2 cannot allocate its match data.
    public init(budget: ScanBudget = ScanBudget()) throws(LeakwatchError) {
        guard
            let pcre = PCRE2Scratch(
                limits: PCRE2MatchLimits(matchLimit: budget.matchLimit, heapLimitKiB: budget.heapLimitKiB))
        else {
            throw LeakwatchError(code: .io, message: "PCRE2 could not allocate match data")
        }
        self.pcre = pcre
    }
}
