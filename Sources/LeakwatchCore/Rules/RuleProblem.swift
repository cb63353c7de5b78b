/// One problem found in rule files, reported as `file:line:column: rule-id: message`.
public struct RuleProblem: Sendable, Hashable, CustomStringConvertible, Error {
    public var location: SourceLocation
    /// The rule concerned; nil for file-level problems (YAML syntax).
    public var ruleID: String?
    public var message: String

    public init(location: SourceLocation, ruleID: String? = nil, message: String) {
        self.location = location
        self.ruleID = ruleID
        self.message = message
    }

    public var description: String {
        "\(location): \(ruleID ?? "-"): \(message)"
    }
}
