import ArgumentParser
import Foundation
import LeakwatchCore
import LeakwatchScan

/// `--rules DIR` (repeatable) and `--no-jit`, shared by every command that loads rules.
struct RuleDirectoryOptions: ParsableArguments {
    @Option(
        name: .customLong("rules"),
        help: ArgumentHelp(
            "A rule directory; repeat to layer (later directories override files of the same name).",
            discussion: "Default: /usr/share/leakwatch/rules then /etc/leakwatch/rules.d, where they exist.",
            valueName: "DIR"))
    var directories: [String] = []

    @Flag(name: .customLong("no-jit"), help: "Match with the PCRE2 interpreter instead of JIT code (same results).")
    var noJIT = false

    /// Where compiled prefilters are kept between runs (`$XDG_CACHE_HOME/leakwatch`).
    var cache: PrefilterCacheDirectory? {
        PrefilterCacheDirectory.forUser(environment: ProcessInfo.processInfo.environment)
    }

    var effectiveDirectories: [String] {
        directories.isEmpty ? RuleDirectories.defaults() : directories
    }

    /// Loads the rules, printing every problem; exits 2 when they do not load. `matching: false`
    /// (a command that only reads the rules) leaves out warnings about the prefilter.
    func loadOrExit(matching: Bool = true) throws -> RuleSet {
        let build = RuleDirectories.load(effectiveDirectories, jit: !noJIT, cache: cache)
        for warning in build.warnings where matching || !build.prefilterWarnings.contains(warning) {
            Terminal.warn(warning)
        }
        guard let ruleSet = build.ruleSet else {
            for problem in build.problems { Terminal.error(problem.description) }
            Terminal.error("rules did not load (\(build.problems.count) problem(s)); see `leakwatch rules check`")
            throw ExitCode(2)
        }
        return ruleSet
    }
}
