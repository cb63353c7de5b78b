import Crypto

/// An immutable, compiled set of rules, shared by every worker and swapped whole on reload.
public final class RuleSet: Sendable {
    public let rules: [CompiledRule]
    /// Rule files that contributed, in load order.
    public let files: [String]
    /// Rule ids turned off by `disable:`.
    public let disabled: [String]
    /// Non-fatal findings: JIT refused, a disabled id that no file defines.
    public let warnings: [String]
    /// Short hash over every rule's revision.
    public let revision: String
    /// The multi-pattern prefilter over every rule's patterns.
    public let prefilter: RulePrefilter
    /// The phrases that classify replies to alerts (`responses.phrases`); nil when the rule
    /// directories hold none, and then no alert lists responses.
    public let responsePhrases: ResponsePhrases?
    /// What matching every rule needs (`ExportMatcher`).
    let matchPlan: MatchPlan

    init(
        rules: [CompiledRule], files: [String], disabled: [String], warnings: [String], prefilter: RulePrefilter? = nil,
        prefilterCache: (any PrefilterDatabaseCache)? = nil, responsePhrases: ResponsePhrases? = nil
    ) {
        self.responsePhrases = responsePhrases
        self.rules = rules
        self.files = files
        self.disabled = disabled
        self.warnings = warnings
        let revisions = rules.map(\.revision).joined(separator: ",")
        self.revision = IdentityHash.hex(SHA256.hash(data: Array(revisions.utf8)), bytes: 8)
        self.prefilter = prefilter ?? RulePrefilter(rules: rules, cache: prefilterCache)
        self.matchPlan = MatchPlan(rules)
    }

    /// The farthest any rule looks for context (`context` or `unless`), in messages: a streamed
    /// export is matched with this many neighbours on each side.
    public var contextWindow: Int {
        func widest(_ rules: ArraySlice<CompiledRule>) -> Int {
            rules.flatMap { $0.definition.contexts.map(\.window) + [$0.definition.unless?.window ?? 0] }.max() ?? 0
        }
        // A rule that looks at other rules' alerts needs those alerts right on its neighbours too.
        let order = matchPlan.order
        return widest(order[..<matchPlan.lastPassStart]) + widest(order[matchPlan.lastPassStart...])
    }

    /// Whether alerts of `rule` list the replies to their message.
    public func collectsResponses(_ rule: CompiledRule) -> Bool {
        guard let phrases = responsePhrases else { return false }
        return rule.definition.responses ?? phrases.categories.contains(rule.definition.category)
    }

    /// The rule with `id`, if loaded.
    public func rule(id: String) -> CompiledRule? { rules.first { $0.id == id } }
}
