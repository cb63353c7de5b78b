import Foundation
import LeakwatchCore
import Posix

/// Runs `leakwatch eval`: scans labelled exports with the real scanner and scores the alerts.
/// Exports are read whole (up to `maxFileBytes`), so every message is known for the labels.
public struct EvaluationSession: Sendable {
    public let scanner: ExportScanner
    public var maxFileBytes: Int

    public init(scanner: ExportScanner, maxFileBytes: Int = 2 << 30) {
        self.scanner = scanner
        self.maxFileBytes = maxFileBytes
    }

    /// Scans `files` and scores them against `labels` in `categories`; with `tags`, only the alerts
    /// of rules carrying one of them count. Files that cannot be read or parsed, and files the labels
    /// do not name, are returned as errors and not scored.
    public func run(
        _ files: [SystemPath], labels: LabelSet, categories: Set<RuleCategory> = Set(RuleCategory.allCases),
        tags: Set<String> = []
    ) throws(LeakwatchError) -> (report: EvaluationReport, errors: [LeakwatchError]) {
        let scratch = try MatchScratch(budget: scanner.matcher.budget)
        let ruleSet = scanner.ruleSet
        let onlyRules =
            tags.isEmpty
            ? nil : Set(ruleSet.rules.filter { !tags.isDisjoint(with: $0.definition.tags) }.map(\.id))
        var evaluation = Evaluation(
            labels: labels, rules: ruleSet.rules.map { ($0.id, $0.definition.category) }, categories: categories,
            onlyRules: onlyRules)
        var errors: [LeakwatchError] = []
        let detectedAt = AlertFormatting.rfc3339(Date())
        for file in files {
            let path = file.escaped
            let name = file.lastComponent.escaped
            guard let fileLabels = labels.files[name] else {
                errors.append(
                    LeakwatchError(
                        code: .invalidConfig,
                        message:
                            "no labels for \(name) (give it an entry, with an empty 'labels' list if it holds nothing to find)",
                        path: path))
                continue
            }
            let bytes: [UInt8]
            do {
                bytes = try FileReading.readFile(file, limit: maxFileBytes)
            } catch {
                errors.append(error)
                continue
            }
            var messages: [Evaluation.LabelledMessage] = []
            let result = scanner.scan(
                bytes, path: path, fileName: name, scratch: scratch, detectedAt: detectedAt,
                inspect: { messages += Evaluation.labelledMessages(of: $0, locator: fileLabels.locator) })
            if let failure = result.failure {
                errors.append(failure)
                continue
            }
            var costs: [String: RuleCost] = [:]
            for (index, cost) in result.ruleCosts { costs[ruleSet.rules[index].id] = cost }
            evaluation.add(
                name: name, path: path, messages: messages, alerts: result.alerts, bytes: bytes.count, costs: costs)
        }
        return (evaluation.report(), errors)
    }
}
