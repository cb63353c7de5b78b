/// What each rule costs to run, measured on a conversation made of every rule's own examples:
/// `leakwatch rules test --timings` prints it, and `leakwatch rules check` names a rule that costs
/// far more than the others before it is deployed.
public struct RuleCostMeasurement: Sendable, Hashable {
    public var ruleID: String
    public var cost: RuleCost
    /// Matching time per MB of the sample conversation, in milliseconds.
    public var millisecondsPerMB: Double
    /// The size of the sample conversation, in MB (10^6 bytes).
    public var sampleMegabytes: Double
    /// Far above the others: more than `outlierFactor` times the median and over a millisecond.
    public var isOutlier: Bool
}

extension RuleSet {
    /// How many times the median cost makes a rule an outlier.
    public static let outlierFactor = 10.0

    /// Runs every rule over a conversation built from all rules' examples (repeated to about
    /// `targetBytes`) and reports what each cost.
    public func measureCosts(scratch: MatchScratch, targetBytes: Int = 1 << 20) -> [RuleCostMeasurement] {
        var sample: [Message] = []
        for rule in rules {
            for example in rule.definition.examples.match + rule.definition.examples.noMatch {
                sample += example.messages(for: rule.definition.appliesTo.first ?? .text).0
            }
        }
        guard !sample.isEmpty else { return [] }
        let sampleBytes = max(1, sample.reduce(0) { $0 + $1.text.utf8.count + 1 })
        var messages: [Message] = []
        while messages.count < sample.count || messages.count * sampleBytes / sample.count < targetBytes {
            messages += sample
        }
        let start = LocalTimestamp(year: 2021, month: 11, day: 7, hour: 9, minute: 0).secondsSinceEpoch
        for index in messages.indices {
            messages[index].timestamp = LocalTimestamp(secondsSinceEpoch: start + Int64(index) * 60)
            messages[index].line = index + 1
        }
        let megabytes = Double(messages.reduce(0) { $0 + $1.text.utf8.count + 1 }) / 1_000_000
        let matcher = ExportMatcher(ruleSet: self, budget: ScanBudget(time: .seconds(600)), collectsCosts: true)
        let report = matcher.match(messages, scratch: scratch)
        let perMB = rules.map { (report.ruleCosts[$0.index]?.time ?? .zero).milliseconds / megabytes }
        let median = perMB.sorted()[perMB.count / 2]
        return rules.map { rule in
            let milliseconds = perMB[rule.index]
            return RuleCostMeasurement(
                ruleID: rule.id, cost: report.ruleCosts[rule.index] ?? RuleCost(), millisecondsPerMB: milliseconds,
                sampleMegabytes: megabytes, isOutlier: milliseconds > Self.outlierFactor * median && milliseconds > 1)
        }
    }
}
