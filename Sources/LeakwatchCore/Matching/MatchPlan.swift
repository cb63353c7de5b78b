/// What matching a list of rules needs, worked out once per rule set rather than once per export
/// (for many small exports, building it each time was a twentieth of the work): the field buffers
/// to lay out, and the order the rules run in.
struct MatchPlan: Sendable {
    /// The `FieldCorpus` buffers some rule reads: its fields, as they are and normalised as the
    /// rule asks, for its pattern, keywords, contexts and `unless`.
    let corpusKeys: [FieldCorpus.Key]
    /// The rules in the order they run: rules that look at other categories' alerts run last, on
    /// the hits of all the others.
    let order: [CompiledRule]
    /// Where in `order` the rules that look at other categories' alerts begin.
    let lastPassStart: Int

    init(_ rules: [CompiledRule]) {
        var needed: Set<FieldCorpus.Key> = [FieldCorpus.Key(field: .text)]
        for rule in rules {
            let definition = rule.definition
            for field in definition.appliesTo {
                needed.insert(FieldCorpus.Key(field: field))
                needed.insert(FieldCorpus.Key(field: field, normalization: definition.normalize))
            }
            if !definition.keywords.isEmpty {
                needed.insert(FieldCorpus.Key(field: .text, normalization: definition.normalize))
            }
            for context in definition.contexts + [definition.unless].compactMap(\.self) {
                for field in definition.contextFields {
                    needed.insert(FieldCorpus.Key(field: field, normalization: context.normalize))
                }
            }
        }
        corpusKeys = Array(needed)
        let firstPass = rules.filter { !$0.looksAtCategories }
        order = firstPass + rules.filter(\.looksAtCategories)
        lastPassStart = firstPass.count
    }
}
