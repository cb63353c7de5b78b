import LeakwatchCore
import LeakwatchScan
import Synchronization

/// The running rule set, swapped whole and atomically on reload. Readers take a reference and
/// keep using it: a file in flight finishes with the set it started with.
public final class RuleSetStore: Sendable {
    private let storage: Mutex<RuleSet>

    public init(_ ruleSet: RuleSet) {
        storage = Mutex(ruleSet)
    }

    /// The rule set in force now.
    public var current: RuleSet { storage.withLock { $0 } }

    /// The outcome of loading rules: a set that passed every check, or every reason it did not.
    public enum LoadOutcome: Sendable {
        case loaded(RuleSet, warnings: [String])
        case rejected([String])
    }

    /// Builds a whole new set from `directories` and runs every rule's examples. Nothing is
    /// swapped here. Compiled prefilters are kept in `cacheDirectory` when given.
    public static func load(_ directories: [String], jit: Bool, cacheDirectory: String? = nil) -> LoadOutcome {
        let build = RuleDirectories.load(
            directories, jit: jit, cache: cacheDirectory.map { PrefilterCacheDirectory(path: $0) })
        guard let ruleSet = build.ruleSet else {
            return .rejected(build.problems.map(\.description))
        }
        guard let scratch = try? MatchScratch() else { return .rejected(["PCRE2 could not allocate match data"]) }
        let failures = ruleSet.testExamples(scratch: scratch).flatMap(\.failures)
        guard failures.isEmpty else {
            return .rejected(failures.map(\.description))
        }
        return .loaded(ruleSet, warnings: build.warnings)
    }

    /// Swaps in `ruleSet`.
    public func replace(with ruleSet: RuleSet) {
        storage.withLock { $0 = ruleSet }
    }
}
