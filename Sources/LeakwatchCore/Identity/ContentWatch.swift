/// The contents of messages the state database already holds alerts for: a scan notes every
/// message with one of them, so a later export is known to contain an alerted message even when
/// no rule fires on it there (a photo whose caption the rule needed is `<Media omitted>` here).
public struct ContentWatch: Sendable, Hashable {
    public var hashes: Set<UInt64>
    /// The state's alert sequence when the set was taken: a scan whose watch is older than an
    /// alert of the same chat is done again.
    public var sequence: Int

    public init(hashes: Set<UInt64> = [], sequence: Int = 0) {
        self.hashes = hashes
        self.sequence = sequence
    }
}
