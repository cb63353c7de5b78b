/// One rule file's contents after parsing: its rules, the shipped ids it disables, and every
/// problem found in it. Parsing never stops at the first problem.
public struct RuleFile: Sendable, Hashable {
    /// The path as given (used in diagnostics).
    public var path: String
    /// The file name, which decides replacement between layers (`location.yml`).
    public var name: String
    public var rules: [RuleDefinition]
    /// Rule ids this file turns off.
    public var disable: [DisabledRule]
    public var problems: [RuleProblem]

    public init(
        path: String, name: String, rules: [RuleDefinition] = [], disable: [DisabledRule] = [],
        problems: [RuleProblem] = []
    ) {
        self.path = path
        self.name = name
        self.rules = rules
        self.disable = disable
        self.problems = problems
    }
}

/// A `disable:` entry: a rule id turned off, and where that is written.
public struct DisabledRule: Sendable, Hashable {
    public var id: String
    public var location: SourceLocation

    public init(id: String, location: SourceLocation) {
        self.id = id
        self.location = location
    }
}
