/// A floor on a measured figure: `--min-recall 0.9`, `--min-precision conduct=0.75`,
/// `--min-recall each=0.8` (every category that has positives).
public struct EvaluationThreshold: Sendable, Hashable, CustomStringConvertible {
    public enum Metric: String, Sendable, Hashable {
        case recall, precision
    }

    public enum Scope: Sendable, Hashable {
        case overall
        case category(RuleCategory)
        /// Every category with positives (for recall) or with alerts (for precision).
        case eachCategory
    }

    public var metric: Metric
    public var scope: Scope
    public var minimum: Double

    public init(metric: Metric, scope: Scope, minimum: Double) {
        self.metric = metric
        self.scope = scope
        self.minimum = minimum
    }

    /// Reads `R`, `CATEGORY=R` or `each=R` with R from 0 to 1; nil when it is none of those.
    public init?(metric: Metric, text: String) {
        let parts = text.split(separator: "=", maxSplits: 1).map(String.init)
        guard let value = parts.last.flatMap(Double.init), value >= 0, value <= 1 else { return nil }
        if parts.count == 1 {
            scope = .overall
        } else if parts[0] == "each" {
            scope = .eachCategory
        } else if let category = RuleCategory(rawValue: parts[0]) {
            scope = .category(category)
        } else {
            return nil
        }
        self.metric = metric
        self.minimum = value
    }

    public var description: String {
        let prefix: String
        switch scope {
        case .overall: prefix = ""
        case .category(let category): prefix = category.rawValue + "="
        case .eachCategory: prefix = "each="
        }
        return "min-\(metric.rawValue) \(prefix)\(minimum)"
    }

    /// One figure checked against a floor.
    public struct Outcome: Sendable, Hashable {
        public var threshold: EvaluationThreshold
        /// `overall` or a category.
        public var scope: String
        public var value: Double?
        public var holds: Bool
    }

    /// Checks the floor against `report`: one outcome per figure it covers. A figure that does
    /// not exist (no positives, nothing flagged) holds only for precision.
    public func check(_ report: EvaluationReport) -> [Outcome] {
        func value(_ score: EvaluationReport.Score) -> Double? {
            metric == .recall ? score.recall : score.precision
        }
        func outcome(_ name: String, _ score: EvaluationReport.Score) -> Outcome {
            let figure = value(score)
            let holds = figure.map { $0 >= minimum } ?? (metric == .precision)
            return Outcome(threshold: self, scope: name, value: figure, holds: holds)
        }
        switch scope {
        case .overall:
            return [outcome("overall", report.overall)]
        case .category(let category):
            let score =
                report.categories.first { $0.category == category.rawValue }?.score ?? EvaluationReport.Score()
            return [outcome(category.rawValue, score)]
        case .eachCategory:
            return report.categories.filter { value($0.score) != nil }.map { outcome($0.category, $0.score) }
        }
    }
}
