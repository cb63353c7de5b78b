/// An immutable, compiled set of rules, shared by every worker and swapped whole on reload.
public final class RuleSet: Sendable {
    public let rules: [CompiledRule]
    /// Rule files that contributed, in load order.
    public let files: [String]
    /// Rule ids turned off by `disable:`.
    public let disabled: [String]
    /// Non-fatal findings: JIT refused, a disabled id that no file defines.
    public let warnings: [String]
    /// Short hash over every rule's revision.
    public let revision: String

    init(rules: [CompiledRule], files: [String], disabled: [String], warnings: [String]) {
        self.rules = rules
        self.files = files
        self.disabled = disabled
        self.warnings = warnings
        var hasher = Hasher64()
        for rule in rules { hasher.combine(rule.revision) }
        self.revision = hasher.hex
    }

    /// The rule with `id`, if loaded.
    public func rule(id: String) -> CompiledRule? { rules.first { $0.id == id } }
}

/// FNV-1a over strings: a cheap, stable (unlike `Hasher`) fingerprint for revision strings.
struct Hasher64 {
    private var state: UInt64 = 0xcbf2_9ce4_8422_2325
    mutating func combine(_ text: String) {
        for byte in text.utf8 {
            state ^= UInt64(byte)
            state = state &* 0x100_0000_01b3
        }
        state ^= 0xff
        state = state &* 0x100_0000_01b3
    }
    var hex: String {
        let digits = String(state, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
