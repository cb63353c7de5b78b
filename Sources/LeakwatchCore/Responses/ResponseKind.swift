/// How a reply to an alerted message reads.
public enum ResponseKind: String, Sendable, Hashable, Codable, CaseIterable {
    /// Laughing or applauding, asking for more: "lol", "😂😂", "send more", "class".
    case endorsement
    /// Objecting: "not on", "delete that", "that's a victim", "reporting this".
    case challenge
    /// Anything else.
    case neither
}
