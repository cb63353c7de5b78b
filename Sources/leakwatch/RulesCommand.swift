import ArgumentParser
import LeakwatchCore
import LeakwatchScan

struct RulesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rules",
        abstract: "Check, test and list rule files.",
        subcommands: [Check.self, Test.self, List.self, ExportPatterns.self])

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Load and compile every rule file; report every problem as file:line:column: rule-id: message.",
            discussion: "Exit status: 0 clean, 1 problems.")

        @OptionGroup var rules: RuleDirectoryOptions

        func run() throws {
            let build = RuleDirectories.load(rules.effectiveDirectories, jit: !rules.noJIT, cache: rules.cache)
            for problem in build.problems { Terminal.write(problem.description) }
            for warning in build.warnings { Terminal.warn(warning) }
            if let ruleSet = build.ruleSet, build.problems.isEmpty {
                if let scratch = try? MatchScratch() {
                    for slow in ruleSet.measureCosts(scratch: scratch) where slow.isOutlier {
                        Terminal.warn(
                            "\(slow.ruleID): costs \(String(format2: slow.millisecondsPerMB)) ms per MB on the examples, "
                                + "over \(Int(RuleSet.outlierFactor)) times the median rule: see `leakwatch rules test --timings`"
                        )
                    }
                }
                let phrases = ruleSet.responsePhrases.map { ", response phrases from \($0.path)" } ?? ""
                Terminal.writeStderr("\(ruleSet.rules.count) rules in \(ruleSet.files.count) files\(phrases): ok\n")
                return
            }
            Terminal.writeStderr("\(build.problems.count) problem(s)\n")
            throw ExitCode(1)
        }
    }

    struct Test: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run every rule against its own match and no-match examples.",
            discussion: "Exit status: 0 all pass, 1 a failing example or a rule problem.")

        @OptionGroup var rules: RuleDirectoryOptions

        @Flag(
            help: "Also measure what each rule costs (time per MB and PCRE2 calls) on a conversation of all examples.")
        var timings = false

        func run() throws {
            let build = RuleDirectories.load(rules.effectiveDirectories, jit: !rules.noJIT, cache: rules.cache)
            guard let ruleSet = build.ruleSet else {
                for problem in build.problems { Terminal.write(problem.description) }
                throw ExitCode(1)
            }
            let scratch = try MatchScratch()
            if timings {
                let measurements = ruleSet.measureCosts(scratch: scratch)
                var costs: [String: RuleCost] = [:]
                var notes: [String: [String]] = [:]
                for measurement in measurements {
                    costs[measurement.ruleID] = measurement.cost
                    notes[measurement.ruleID] =
                        [ruleSet.rule(id: measurement.ruleID).map(ruleSet.prefilter.describe) ?? "-"]
                        + (measurement.isOutlier ? ["slow: far above the others"] : [])
                }
                let table = RuleCostTable(
                    costs: costs, megabytes: measurements.first?.sampleMegabytes, notes: notes)
                for line in table.lines(noteHeaders: ["prefilter"]) { Terminal.write(line) }
            }
            let results = ruleSet.testExamples(scratch: scratch)
            var passed = 0
            var failed = 0
            for result in results {
                passed += result.passed
                failed += result.failures.count
                for failure in result.failures { Terminal.write("FAIL \(failure)") }
            }
            let failingRules = results.filter { !$0.failures.isEmpty }.count
            let ruleCount = results.filter { !$0.ruleID.hasPrefix(ResponsePhrases.resultPrefix) }.count
            let phrases = ruleSet.responsePhrases == nil ? "" : " and the response phrases"
            Terminal.write(
                "\(ruleCount) rules\(phrases), \(passed + failed) examples: \(passed) passed, \(failed) failed"
                    + (failingRules > 0 ? " (\(failingRules) rule(s) failing)" : ""))
            if failed > 0 { throw ExitCode(1) }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the loaded rules.")

        @OptionGroup var rules: RuleDirectoryOptions

        func run() throws {
            let ruleSet = try rules.loadOrExit()
            for rule in ruleSet.rules {
                let definition = rule.definition
                Terminal.write(
                    "\(definition.id)\t\(definition.category.rawValue)\t\(definition.severity.rawValue)\t\(definition.title)"
                        + "\tprefilter: \(ruleSet.prefilter.describe(rule))")
            }
        }
    }
}
