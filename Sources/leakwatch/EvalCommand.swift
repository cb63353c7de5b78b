import ArgumentParser
import LeakwatchCore
import LeakwatchScan

extension RuleCategory: ExpressibleByArgument {}

struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Measure the rules on labelled exports: recall, precision and F1 per category and rule.",
        discussion: """
            LABELS.json names, per export file, the messages that should alert (see the README, \
            "Measuring detection"). Exit status: 0 every --min-recall/--min-precision holds, 1 one \
            does not, 2 an error.
            """)

    @Option(help: ArgumentHelp("The labels file.", valueName: "LABELS.json"))
    var labels: String

    @Argument(help: "Labelled exports (files or directories, recursively).")
    var paths: [String]

    @OptionGroup var rules: RuleDirectoryOptions

    @Option(help: "Output: text for people, json for machines.")
    var format: OutputFormat = .text

    @Option(
        name: .customLong("category"),
        help: ArgumentHelp("Score only this category (repeatable; default all).", valueName: "CATEGORY"))
    var categories: [RuleCategory] = []

    @Option(
        name: .customLong("tag"),
        help: ArgumentHelp("Score only the alerts of rules with this tag (repeatable).", valueName: "TAG"))
    var tags: [String] = []

    @Option(
        name: .customLong("min-recall"),
        help: ArgumentHelp(
            "A recall floor: R (overall), CATEGORY=R, or each=R (every category with positives). Repeatable.",
            valueName: "R"))
    var minRecall: [String] = []

    @Option(
        name: .customLong("min-precision"),
        help: ArgumentHelp("A precision floor, written as for --min-recall. Repeatable.", valueName: "P"))
    var minPrecision: [String] = []

    @Option(help: "List at most this many misses and false positives each in text output (0: all).")
    var limit: Int = 0

    func validate() throws {
        _ = try thresholds()
    }

    func thresholds() throws -> [EvaluationThreshold] {
        try minRecall.map { try threshold(.recall, $0) } + minPrecision.map { try threshold(.precision, $0) }
    }

    private func threshold(_ metric: EvaluationThreshold.Metric, _ text: String) throws -> EvaluationThreshold {
        guard let threshold = EvaluationThreshold(metric: metric, text: text) else {
            throw ValidationError(
                "--min-\(metric.rawValue) \(text): expected a number from 0 to 1, CATEGORY=number or each=number")
        }
        return threshold
    }

    func run() throws {
        let ruleSet = try rules.loadOrExit()
        let labelSet: LabelSet
        do {
            labelSet = try LabelSet.parse(FileReading.readFile(labels), path: labels)
        } catch {
            Terminal.error(error.description)
            throw ExitCode(2)
        }
        let (files, expandErrors) = FileReading.expand(paths)
        let scanner = ExportScanner(
            ruleSet: ruleSet, fingerprintKey: Array(repeating: 0, count: 32), collectsCosts: true)
        let outcome: (report: EvaluationReport, errors: [LeakwatchError])
        do {
            outcome = try EvaluationSession(scanner: scanner).run(
                files, labels: labelSet, categories: categories.isEmpty ? Set(RuleCategory.allCases) : Set(categories),
                tags: Set(tags))
        } catch {
            Terminal.error(error.description)
            throw ExitCode(2)
        }
        let errors = expandErrors + outcome.errors
        for error in errors { Terminal.error(error.description) }
        let checks = try thresholds().flatMap { $0.check(outcome.report) }
        switch format {
        case .text:
            Terminal.write(outcome.report.text(thresholds: checks, listLimit: limit > 0 ? limit : nil))
        case .json:
            Terminal.write(AlertFormatting.jsonLine(EvalOutput(report: outcome.report, checks: checks)))
        }
        if !errors.isEmpty { throw ExitCode(2) }
        if checks.contains(where: { !$0.holds }) { throw ExitCode(1) }
    }
}

/// `eval --format json`: the report and the floors checked.
private struct EvalOutput: Encodable {
    var report: EvaluationReport
    var checks: [EvaluationThreshold.Outcome]

    struct Check: Encodable {
        var metric: String
        var scope: String
        var minimum: Double
        var value: Double?
        var holds: Bool
    }

    func encode(to encoder: any Encoder) throws {
        try report.encode(to: encoder)
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(
            checks.map {
                Check(
                    metric: $0.threshold.metric.rawValue, scope: $0.scope, minimum: $0.threshold.minimum,
                    value: $0.value,
                    holds: $0.holds)
            }, forKey: .checks)
        try container.encode(checks.allSatisfy(\.holds), forKey: .passed)
    }

    enum Key: String, CodingKey { case checks, passed }
}
