import CPCRE2

/// Compile options for a pattern. Every pattern is compiled with `PCRE2_UTF` and
/// `PCRE2_MATCH_INVALID_UTF`, so a subject with broken bytes is still matched around them.
public struct PCRE2Options: OptionSet, Sendable, Hashable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// `PCRE2_CASELESS`
    public static let caseless = PCRE2Options(rawValue: PCRE2_CASELESS)
    /// `PCRE2_MULTILINE`
    public static let multiline = PCRE2Options(rawValue: PCRE2_MULTILINE)
    /// `PCRE2_DOTALL`
    public static let dotAll = PCRE2Options(rawValue: PCRE2_DOTALL)
    /// `PCRE2_EXTENDED`
    public static let extended = PCRE2Options(rawValue: PCRE2_EXTENDED)
    /// `PCRE2_UCP`: `\d`, `\w`, `\b` and POSIX classes use Unicode properties.
    public static let unicodeProperties = PCRE2Options(rawValue: PCRE2_UCP)
    /// `PCRE2_UNGREEDY`
    public static let ungreedy = PCRE2Options(rawValue: PCRE2_UNGREEDY)
    /// `PCRE2_LITERAL`: the pattern is a literal string.
    public static let literal = PCRE2Options(rawValue: PCRE2_LITERAL)

    /// Always added: `PCRE2_UTF | PCRE2_MATCH_INVALID_UTF`.
    static let always = PCRE2Options(rawValue: PCRE2_UTF | PCRE2_MATCH_INVALID_UTF)
}
