import Crypto
import PCRE2

/// A rule ready to run: its definition and compiled patterns.
///
/// Immutable after `init`, so shared by every worker; all matching state lives in a
/// per-worker `MatchScratch`.
public final class CompiledRule: Sendable {
    public let definition: RuleDefinition
    /// Position in its rule set.
    public let index: Int
    let pattern: PCRE2Pattern
    /// The keywords as one caseless alternation of literals, when the rule has keywords.
    let keywordPattern: PCRE2Pattern?
    /// Compiled patterns of `definition.contexts`, in order (nil for a category context).
    let contextPatterns: [PCRE2Pattern?]
    let unlessPattern: PCRE2Pattern?
    let validators: [MatchValidator]
    /// The model that gates matches, for rules with `model:`.
    let model: LinearTextModel?
    /// A short hash of everything that decides what the rule matches: alert ids change when the
    /// rule changes, and stay the same otherwise.
    public let revision: String

    public var id: String { definition.id }
    /// Whether the rule's context or `unless` is another category's alerts: such rules run after
    /// all the others, on their hits.
    public var looksAtCategories: Bool {
        definition.contexts.contains { !$0.categories.isEmpty } || !(definition.unless?.categories.isEmpty ?? true)
    }
    /// Whether every pattern of the rule got JIT code.
    public var isJITCompiled: Bool {
        pattern.isJITCompiled && (keywordPattern?.isJITCompiled ?? true)
            && contextPatterns.allSatisfy { $0?.isJITCompiled ?? true }
            && (unlessPattern?.isJITCompiled ?? true)
    }
    /// Why JIT was refused, if it was.
    public var jitError: PCRE2Error? {
        pattern.jitError ?? keywordPattern?.jitError ?? contextPatterns.compactMap { $0?.jitError }.first
    }

    /// Compiles the rule's patterns.
    /// - Throws: `RuleProblem` pointing at the pattern, with PCRE2's message and offset.
    public init(_ definition: RuleDefinition, index: Int, model: LinearTextModel? = nil, jit: Bool) throws(RuleProblem)
    {
        self.definition = definition
        self.index = index
        self.model = model
        do {
            pattern = try PCRE2Pattern(definition.pattern, options: definition.options.pcre2Options, jit: jit)
        } catch {
            throw RuleProblem(
                location: definition.patternLocation, ruleID: definition.id,
                message: "pattern does not compile: \(error.message) at offset \(error.offset ?? 0) in the pattern")
        }
        if definition.keywords.isEmpty {
            keywordPattern = nil
        } else {
            let alternation = definition.keywords.map(PCRE2Pattern.escape).joined(separator: "|")
            do {
                keywordPattern = try PCRE2Pattern(alternation, options: [.caseless], jit: jit)
            } catch {
                throw RuleProblem(
                    location: definition.location, ruleID: definition.id, message: "keywords do not compile: \(error)")
            }
        }
        var contextPatterns: [PCRE2Pattern?] = []
        for context in definition.contexts {
            guard context.categories.isEmpty else {
                contextPatterns.append(nil)
                continue
            }
            do {
                contextPatterns.append(
                    try PCRE2Pattern(context.pattern, options: context.options.pcre2Options, jit: jit))
            } catch {
                throw RuleProblem(
                    location: definition.location, ruleID: definition.id,
                    message: "context pattern does not compile: \(error.message) at offset \(error.offset ?? 0)")
            }
        }
        self.contextPatterns = contextPatterns
        if let unless = definition.unless, unless.categories.isEmpty {
            do {
                unlessPattern = try PCRE2Pattern(unless.pattern, options: unless.options.pcre2Options, jit: jit)
            } catch {
                throw RuleProblem(
                    location: definition.location, ruleID: definition.id,
                    message: "unless pattern does not compile: \(error.message) at offset \(error.offset ?? 0)")
            }
        } else {
            unlessPattern = nil
        }
        validators = definition.validate.compactMap { MatchValidator.builtins[$0] }
        revision = Self.revision(of: definition, model: model)
    }

    private static func revision(of rule: RuleDefinition, model: LinearTextModel?) -> String {
        var parts: [String] = [
            rule.id, rule.pattern, rule.options.map(\.rawValue).joined(separator: ","),
            rule.appliesTo.map(\.rawValue).joined(separator: ","), rule.keywords.joined(separator: "\u{1F}"),
            rule.validate.joined(separator: ","), rule.category.rawValue, rule.severity.rawValue, String(rule.redact),
        ]
        for (index, context) in rule.contexts.enumerated() {
            if index > 0 { parts.append("and-context") }
            parts += [context.pattern, context.options.map(\.rawValue).joined(separator: ","), String(context.window)]
            // Later additions enter the revision only when set, so unchanged rules keep their ids.
            if let within = context.within { parts.append("within=\(within.components.seconds)") }
            if context.effect != .require { parts.append("effect=\(context.effect.rawValue)") }
            if let normalize = context.normalize { parts.append("context-normalize=\(normalize.rawValue)") }
            if !context.categories.isEmpty {
                parts.append("context-category=" + context.categories.map(\.rawValue).joined(separator: ","))
            }
        }
        if let normalize = rule.normalize { parts.append("normalize=\(normalize.rawValue)") }
        if let model {
            parts += ["model", model.name, model.digest, String(rule.threshold)]
        }
        if let unless = rule.unless {
            parts += [
                "unless", unless.pattern, unless.options.map(\.rawValue).joined(separator: ","), String(unless.window),
                unless.within.map { String($0.components.seconds) } ?? "", unless.normalize?.rawValue ?? "",
                unless.categories.map(\.rawValue).joined(separator: ","),
            ]
        }
        let digest = SHA256.hash(data: Array(parts.joined(separator: "\u{1E}").utf8))
        return IdentityHash.hex(digest, bytes: 8)
    }
}

extension [RuleOption] {
    var pcre2Options: PCRE2Options {
        var options: PCRE2Options = []
        for option in self {
            switch option {
            case .caseless: options.insert(.caseless)
            case .multiline: options.insert(.multiline)
            case .dotall: options.insert(.dotAll)
            case .extended: options.insert(.extended)
            case .ucp: options.insert(.unicodeProperties)
            case .ungreedy: options.insert(.ungreedy)
            }
        }
        return options
    }
}
