import ArgumentParser
import LeakwatchCore

extension RulesCommand {
    /// `leakwatch rules export-patterns`: the loaded rules' patterns, one per line, for grep tools.
    struct ExportPatterns: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "export-patterns",
            abstract: "Print the loaded rules' patterns one per line, for pcre2grep -f or rg -f.",
            discussion: """
                Each line stands alone: the rule's options are written inline. Only the main pattern \
                of each rule is exported, in rule order; keywords, contexts, unless, validators, \
                normalize and models are not, so a grep tool finds a superset of what leakwatch \
                alerts on.

                --engine pcre2 (default) keeps every pattern as written, prefixed with (*UTF), \
                (*UCP) for ucp rules and a flag group such as (?i); use pcre2grep -U on input that \
                may hold invalid UTF-8 (leakwatch matches around broken bytes).

                --engine rust writes what ripgrep's default engine (the Rust regex crate) accepts, \
                rewritten where Rust has an equivalent that matches the same lines (\\K dropped, \
                ASCII \\d \\w \\s \\b spelled out, named groups, escapes). Patterns that need \
                lookaround, backreferences, atomic groups, possessive quantifiers, recursion or \
                verbs are left out; each one is named on stderr with the reason, then a summary.

                Exit status: 0 done (even with patterns left out), 2 the rules did not load.
                """)

        @OptionGroup var rules: RuleDirectoryOptions

        @Option(help: "The regex engine the lines are for.")
        var engine: PatternEngine = .pcre2

        func run() throws {
            let ruleSet = try rules.loadOrExit(matching: false)
            var written = 0
            var refusals: [String: Int] = [:]
            for rule in ruleSet.rules {
                let definition = rule.definition
                switch PatternExporter.line(pattern: definition.pattern, options: definition.options, engine: engine)
                {
                case .success(let line):
                    Terminal.write(line)
                    written += 1
                case .failure(let refusal):
                    Terminal.writeStderr("left out \(definition.id): \(refusal.reason)\n")
                    refusals[refusal.reason, default: 0] += 1
                }
            }
            let leftOut = refusals.values.reduce(0, +)
            guard leftOut > 0 else { return }
            let reasons = refusals.sorted { ($1.value, $0.key) < ($0.value, $1.key) }
                .map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            Terminal.writeStderr(
                "\(written) of \(ruleSet.rules.count) patterns written for \(engine.rawValue); "
                    + "\(leftOut) left out (\(reasons))\n")
        }
    }
}
