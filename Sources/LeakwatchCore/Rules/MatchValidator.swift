/// A check run on a matched span after the pattern matched, for what a regular expression cannot
/// say well: a checksum, a known postcode area, a coordinate range.
///
/// Rules name validators in their `validate:` list; a match is reported only when every named
/// validator accepts it. The built-in ones are in `MatchValidator+Builtins.swift`.
public struct MatchValidator: Sendable {
    /// The name a rule file uses (`uk-postcode-area`).
    public let name: String
    /// One line for `rules check` and the README.
    public let summary: String
    /// `true` when the matched text passes the check.
    public let isValid: @Sendable (Substring) -> Bool

    public init(name: String, summary: String, isValid: @escaping @Sendable (Substring) -> Bool) {
        self.name = name
        self.summary = summary
        self.isValid = isValid
    }
}
