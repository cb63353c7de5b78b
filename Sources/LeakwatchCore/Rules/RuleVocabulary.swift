/// How serious a finding is. Ordered: `info < low < medium < high < critical`.
public enum Severity: String, Sendable, Hashable, Codable, CaseIterable, Comparable {
    case info, low, medium, high, critical

    private var rank: Int { Severity.allCases.firstIndex(of: self) ?? 0 }
    public static func < (lhs: Severity, rhs: Severity) -> Bool { lhs.rank < rhs.rank }

    /// syslog priority used for the journal: critical 2, high 3, medium 4, low 5, info 6.
    public var syslogPriority: Int {
        switch self {
        case .critical: 2
        case .high: 3
        case .medium: 4
        case .low: 5
        case .info: 6
        }
    }
}

/// What a rule looks for. Consumers filter on these names, so the set is closed.
public enum RuleCategory: String, Sendable, Hashable, Codable, CaseIterable {
    case crimeSceneMedia = "crime-scene-media"
    case location
    case caseReference = "case-reference"
    case protectiveMarking = "protective-marking"
    case personalData = "personal-data"
    case intelligence
    case conduct
}

/// The part of a message a rule runs on.
public enum RuleField: String, Sendable, Hashable, Codable, CaseIterable {
    /// The message body.
    case text
    /// Each attachment's file name.
    case attachment
    /// The sender's name.
    case sender
    /// A shared location's text (map link, venue).
    case location
}

/// A PCRE2 option a rule may ask for.
public enum RuleOption: String, Sendable, Hashable, Codable, CaseIterable {
    case caseless, multiline, dotall, extended, ucp, ungreedy
}
