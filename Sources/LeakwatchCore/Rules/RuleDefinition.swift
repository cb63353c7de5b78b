/// Where something is in a rule file: for `file:line:column` diagnostics.
public struct SourceLocation: Sendable, Hashable, Codable, CustomStringConvertible {
    public var path: String
    public var line: Int
    public var column: Int

    public init(path: String, line: Int, column: Int) {
        self.path = path
        self.line = line
        self.column = column
    }

    public var description: String { "\(path):\(line):\(column)" }
}

/// A rule as written in a rule file, before compilation.
public struct RuleDefinition: Sendable, Hashable {
    public var id: String
    public var title: String
    public var category: RuleCategory
    public var severity: Severity
    public var pattern: String
    public var options: [RuleOption]
    public var appliesTo: [RuleField]
    /// The pattern only runs on messages containing one of these, case-insensitively.
    public var keywords: [String]
    /// Names of `MatchValidator`s that must all accept a match.
    public var validate: [String]
    /// Patterns (or other categories' alerts) that must be found nearby for a match to count, or
    /// that raise its confidence. Every required one must hold.
    public var contexts: [RuleContext]
    /// The first context, if any.
    public var context: RuleContext? { contexts.first }
    /// A pattern that, found nearby, cancels a match: counter-speech quoting a slur, a business's
    /// phone number, a case context. Its `effect` is ignored.
    public var unless: RuleContext?
    /// Mask the matched span in excerpts (default true).
    public var redact: Bool
    /// The confidence of a bare match; validators and context raise it.
    public var confidence: Confidence
    /// A rewriting of the text the pattern (and keywords) run on, if any.
    public var normalize: TextNormalization?
    /// A linear text model (a `NAME.model` file among the rules) that must rate the message at
    /// least `threshold` for a match to count; then one match per message is reported.
    public var model: String?
    /// The model probability a message needs (0 to 1).
    public var threshold: Double
    /// Free labels for filtering (`misogyny`, `racism`, ...): carried in alerts as `rule.tags`.
    public var tags: [String]
    /// Whether alerts of this rule list the replies to their message (`responses`); nil: as the
    /// phrases file says for the rule's category.
    public var responses: Bool?
    public var description: String
    public var examples: RuleExamples
    /// Where the rule starts in its file.
    public var location: SourceLocation
    /// Where the `pattern` value is, for compile-error positions.
    public var patternLocation: SourceLocation

    public init(
        id: String, title: String, category: RuleCategory, severity: Severity, pattern: String,
        options: [RuleOption] = [], appliesTo: [RuleField] = [.text], keywords: [String] = [],
        validate: [String] = [], context: RuleContext? = nil, contexts: [RuleContext] = [], unless: RuleContext? = nil,
        redact: Bool = true,
        confidence: Confidence = .medium,
        normalize: TextNormalization? = nil, model: String? = nil, threshold: Double = 0.5, tags: [String] = [],
        description: String = "", examples: RuleExamples,
        location: SourceLocation, patternLocation: SourceLocation? = nil, responses: Bool? = nil
    ) {
        self.responses = responses
        self.id = id
        self.title = title
        self.category = category
        self.severity = severity
        self.pattern = pattern
        self.options = options
        self.appliesTo = appliesTo
        self.keywords = keywords
        self.validate = validate
        self.contexts = (context.map { [$0] } ?? []) + contexts
        self.unless = unless
        self.redact = redact
        self.confidence = confidence
        self.normalize = normalize
        self.model = model
        self.threshold = threshold
        self.tags = tags
        self.description = description
        self.examples = examples
        self.location = location
        self.patternLocation = patternLocation ?? location
    }
}

/// A context: `pattern` must match the text of the same message or of a neighbour in the same
/// conversation flow, up to `window` messages before or after it and, when `within` is set, sent
/// no more than that long before or after it. A neighbour separated from the message by a
/// silence longer than `RuleContext.silence` never counts.
public struct RuleContext: Sendable, Hashable {
    public var pattern: String
    public var options: [RuleOption]
    public var window: Int
    /// The largest time between the message and a neighbour that counts, when set.
    public var within: Duration?
    /// Whether the context is required or only raises confidence.
    public var effect: ContextEffect
    /// Rewriting of the text the context pattern runs on, if any.
    public var normalize: TextNormalization?
    /// Instead of a pattern: the context is an alert of one of these categories on the message or a
    /// neighbour (from the rules that do not themselves look at categories). `pattern` is empty.
    public var categories: [RuleCategory]

    /// A gap between two consecutive messages longer than this ends a conversation flow: a
    /// neighbour on the other side of it never counts as context.
    public static let silence: Duration = .seconds(3600)
    /// The `window` of a context that sets `within` but no `window`.
    public static let defaultTimedWindow = 5

    public init(
        pattern: String, options: [RuleOption] = [], window: Int = 0, within: Duration? = nil,
        effect: ContextEffect = .require, normalize: TextNormalization? = nil, categories: [RuleCategory] = []
    ) {
        self.categories = categories
        self.pattern = pattern
        self.options = options
        self.window = window
        self.within = within
        self.effect = effect
        self.normalize = normalize
    }
}

/// A rule's own examples, run by `rules test` and before every reload.
public struct RuleExamples: Sendable, Hashable {
    public var match: [RuleExample]
    public var noMatch: [RuleExample]

    public init(match: [RuleExample] = [], noMatch: [RuleExample] = []) {
        self.match = match
        self.noMatch = noMatch
    }
}

/// One example: a message (and optionally its neighbours). A plain string in the file is the
/// value of the rule's first field (message text, or an attachment name, ...).
public struct RuleExample: Sendable, Hashable {
    public var text: String
    public var attachments: [String]
    public var sender: String?
    public var location: String?
    /// Messages sent just before and after the example.
    public var before: [ExampleNeighbour]
    public var after: [ExampleNeighbour]
    /// Time between consecutive messages of the example (default one minute).
    public var spacing: Duration
    /// Where the example is written.
    public var sourceLocation: SourceLocation

    public init(
        text: String = "", attachments: [String] = [], sender: String? = nil, location: String? = nil,
        before: [ExampleNeighbour] = [], after: [ExampleNeighbour] = [], spacing: Duration = .seconds(60),
        sourceLocation: SourceLocation
    ) {
        self.text = text
        self.attachments = attachments
        self.sender = sender
        self.location = location
        self.before = before
        self.after = after
        self.spacing = spacing
        self.sourceLocation = sourceLocation
    }

    /// A short label for reports: the text, or the attachment names.
    public var label: String {
        if !text.isEmpty { return text }
        if !attachments.isEmpty { return attachments.joined(separator: ", ") }
        return sender ?? location ?? ""
    }
}

/// A message next to an example: text, and files it carries (a photo before a caption, say).
/// A plain string in the rule file is its text.
public struct ExampleNeighbour: Sendable, Hashable, ExpressibleByStringLiteral {
    public var text: String
    public var attachments: [String]

    public init(text: String, attachments: [String] = []) {
        self.text = text
        self.attachments = attachments
    }

    public init(stringLiteral text: String) {
        self.init(text: text)
    }
}
