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
    /// Text found inside an attached image or PDF: OCR of a picture, a PDF's text layer (or OCR
    /// of its scanned pages). Only when media scanning is on.
    case mediaText = "media-text"
    /// An attached photo's metadata as text: `gps LAT, LON; taken ...; camera ...`.
    case mediaMetadata = "media-metadata"
}

/// A PCRE2 option a rule may ask for.
public enum RuleOption: String, Sendable, Hashable, Codable, CaseIterable {
    case caseless, multiline, dotall, extended, ucp, ungreedy
}

/// How sure an alert is, so consumers can filter. Ordered: `low < medium < high`.
///
/// A rule sets its base confidence; a passing validator and a context found nearby each raise it
/// one step (never above `high`).
public enum Confidence: String, Sendable, Hashable, Codable, CaseIterable, Comparable {
    case low, medium, high

    private var rank: Int { Confidence.allCases.firstIndex(of: self) ?? 0 }
    public static func < (lhs: Confidence, rhs: Confidence) -> Bool { lhs.rank < rhs.rank }

    /// One step up, at most `high`.
    public var raised: Confidence {
        switch self {
        case .low: .medium
        case .medium, .high: .high
        }
    }
}

/// A rewriting of a field's text that a rule's pattern runs on instead of the text as written.
public enum TextNormalization: String, Sendable, Hashable, Codable, CaseIterable {
    /// Undo the usual ways of writing round a filter: lower case; digits and symbols standing
    /// for letters inside words (`n1gg3r`, `b!tch`, `@` for a) become the letters; single
    /// letters spaced out (`f a g`, `n.i.g`) are joined; runs of three or more of the same letter
    /// become two; invisible marks are dropped. `*` inside a word stays `*` (write `[a*]`).
    /// Matches are reported, masked and quoted at their place in the original text.
    case fold
}

/// What a rule's context does.
public enum ContextEffect: String, Sendable, Hashable, Codable, CaseIterable {
    /// A match counts only when the context is found nearby (the default).
    case require
    /// Every match counts; one with the context nearby has its confidence raised.
    case raise
}
