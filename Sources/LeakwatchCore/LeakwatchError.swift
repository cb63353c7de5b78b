/// An error with its context: a stable code, a human message, the file, rule and line it
/// concerns, and the underlying cause. Modelled on swift-nio's `FileSystemError`.
public struct LeakwatchError: Error, Sendable, CustomStringConvertible {
    /// A stable, machine-readable error code.
    public struct Code: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        public static let unreadable = Code(rawValue: "unreadable")
        public static let unparseable = Code(rawValue: "unparseable")
        public static let tooLarge = Code(rawValue: "too-large")
        public static let notRegularFile = Code(rawValue: "not-regular-file")
        public static let invalidRules = Code(rawValue: "invalid-rules")
        public static let invalidConfig = Code(rawValue: "invalid-config")
        public static let io = Code(rawValue: "io")
        public static let noSpace = Code(rawValue: "no-space")
        public static let budgetExhausted = Code(rawValue: "budget-exhausted")
        /// A spilled record (`BinaryRecordReader`) that is cut short or not what was written.
        public static let spillCorrupt = Code(rawValue: "spill-corrupt")
        /// A spill file (where a streamed export's alerts wait on disk) could not be made, written
        /// or read: a fault of the machine (a full or failing disk), not of the export.
        public static let spillFailed = Code(rawValue: "spill-failed")
    }

    public var code: Code
    public var message: String
    /// The file concerned, if any.
    public var path: String?
    /// The rule concerned, if any.
    public var ruleID: String?
    /// 1-based line in `path`, if known.
    public var line: Int?
    /// What caused it (an errno error, a PCRE2 error, a YAML error, ...).
    public var cause: (any Error & Sendable)?

    public init(
        code: Code, message: String, path: String? = nil, ruleID: String? = nil, line: Int? = nil,
        cause: (any Error & Sendable)? = nil
    ) {
        self.code = code
        self.message = message
        self.path = path
        self.ruleID = ruleID
        self.line = line
        self.cause = cause
    }

    /// `path:line: rule: message (cause)`, leaving out what is unknown.
    public var description: String {
        var out = ""
        if let path {
            out += path
            if let line { out += ":\(line)" }
            out += ": "
        }
        if let ruleID { out += "\(ruleID): " }
        out += message
        if let cause { out += " (\(cause))" }
        return out
    }
}
