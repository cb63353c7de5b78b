/// Scores alerts against labels, export by export: true positives, misses and false positives per
/// category and per rule. Pure: the caller scans the exports and hands over what it found.
///
/// - A positive label is **found** when an alert of its category sits on any of its locators.
/// - A message with alerts of a category that no label of that category covers (positive or
///   neutral) is a **false positive** of that category, counted once per message and category;
///   per rule, once per message and rule.
public struct Evaluation: Sendable {
    public let labels: LabelSet
    /// The categories scored; alerts of others are left out.
    public let categories: Set<RuleCategory>
    /// The rules that ran, by id, for the per-rule table.
    private let ruleCategories: [(id: String, category: RuleCategory)]

    private var outcomes: [LabelOutcome] = []
    private var falsePositives: [EvaluationReport.Finding] = []
    private var ruleFalsePositives: [String: Int] = [:]
    private var ruleFound: [String: Int] = [:]
    private var ruleAlerts: [String: Int] = [:]
    private var warnings: [String] = []
    private var fileCount = 0
    private var messageCount = 0
    private var bytes = 0
    private var costs: [String: RuleCost] = [:]

    private struct LabelOutcome {
        var category: RuleCategory
        var found: Bool
        var finding: EvaluationReport.Finding
    }

    /// - Parameters:
    ///   - rules: the rules that ran (id and category), for the per-rule table.
    ///   - categories: the categories to score (default: all).
    /// When set, only alerts of these rules are scored (`leakwatch eval --tag`).
    public let onlyRules: Set<String>?

    public init(
        labels: LabelSet, rules: [(id: String, category: RuleCategory)],
        categories: Set<RuleCategory> = Set(RuleCategory.allCases), onlyRules: Set<String>? = nil
    ) {
        self.labels = labels
        self.categories = categories
        self.onlyRules = onlyRules
        self.ruleCategories = rules.filter { categories.contains($0.category) && (onlyRules?.contains($0.id) ?? true) }
    }

    /// A message as the labels can point at it.
    public struct LabelledMessage: Sendable {
        /// Its line or id, as text, per the file's locator.
        public var locator: String
        /// Its text, for listing a miss.
        public var text: String

        public init(locator: String, text: String) {
            self.locator = locator
            self.text = text
        }
    }

    /// The messages of `export` as labels of kind `locator` point at them.
    public static func labelledMessages(of export: ParsedExport, locator: FileLabels.Locator) -> [LabelledMessage] {
        export.messages.compactMap { message in
            let key: String? =
                switch locator {
                case .line: message.line.map(String.init)
                case .id: message.id
                }
            guard let key else { return nil }
            var text = message.text
            if text.isEmpty { text = message.attachments.map(\.name).joined(separator: ", ") }
            return LabelledMessage(locator: key, text: text)
        }
    }

    /// Whether the labels name a file called `name`.
    public func hasLabels(for name: String) -> Bool { labels.files[name] != nil }

    /// Scores one scanned export file: `name` is its file name (the labels' key), `path` how to
    /// show it, `messages` every message it holds and `alerts` what the scan found.
    public mutating func add(
        name: String, path: String, messages: [LabelledMessage], alerts: [Alert], bytes fileBytes: Int = 0,
        costs fileCosts: [String: RuleCost] = [:]
    ) {
        fileCount += 1
        messageCount += messages.count
        bytes += fileBytes
        for (rule, cost) in fileCosts { costs[rule, default: RuleCost()] += cost }
        guard let file = labels.files[name] else {
            warnings.append("\(path): no labels for \(name); its alerts are not scored")
            return
        }
        let texts = Dictionary(messages.map { ($0.locator, $0.text) }, uniquingKeysWith: { first, _ in first })
        // Alerts by locator and category.
        var alertsAt: [String: [Alert]] = [:]
        for alert in alerts {
            guard let category = RuleCategory(rawValue: alert.rule.category), categories.contains(category),
                onlyRules?.contains(alert.rule.id) ?? true
            else {
                continue
            }
            let locator: String? =
                switch file.locator {
                case .line: alert.message.line.map(String.init)
                case .id: alert.message.id
                }
            guard let locator else { continue }
            alertsAt[locator, default: []].append(alert)
            ruleAlerts[alert.rule.id, default: 0] += 1
        }
        // Labels: covered (category, locator) pairs, and each positive's outcome.
        var covered = Set<String>()
        for label in file.labels where categories.contains(label.category) {
            for locator in label.at {
                covered.insert("\(label.category.rawValue)\u{1F}\(locator)")
                if texts[locator] == nil {
                    warnings.append(
                        "\(path): label \(label.category.rawValue) at \(file.locator.rawValue) \(locator) is not "
                            + "where a message starts")
                }
            }
            guard label.kind == .pos else { continue }
            let matching = label.at.flatMap { alertsAt[$0] ?? [] }.filter {
                $0.rule.category == label.category.rawValue
            }
            for rule in Set(matching.map(\.rule.id)) { ruleFound[rule, default: 0] += 1 }
            let locator = label.at.first ?? ""
            let excerpt =
                alertsAt[locator]?.first?.match.excerpt
                ?? Self.shorten(texts[locator] ?? "")
            outcomes.append(
                LabelOutcome(
                    category: label.category, found: !matching.isEmpty,
                    finding: EvaluationReport.Finding(
                        file: path, locator: label.at.joined(separator: ","), category: label.category.rawValue,
                        rule: nil, excerpt: excerpt, note: label.note)))
        }
        // False positives: per message and category, and per message and rule.
        for locator in alertsAt.keys.sorted(by: Self.locatorOrder) {
            var seenCategories = Set<String>()
            var seenRules = Set<String>()
            for alert in alertsAt[locator] ?? [] {
                guard !covered.contains("\(alert.rule.category)\u{1F}\(locator)") else { continue }
                if seenRules.insert(alert.rule.id).inserted { ruleFalsePositives[alert.rule.id, default: 0] += 1 }
                if seenCategories.insert(alert.rule.category).inserted {
                    falsePositives.append(
                        EvaluationReport.Finding(
                            file: path, locator: locator, category: alert.rule.category, rule: alert.rule.id,
                            excerpt: alert.match.excerpt, note: nil))
                }
            }
        }
    }

    /// Line numbers in numeric order, ids as text.
    static func locatorOrder(_ lhs: String, _ rhs: String) -> Bool {
        if let left = Int(lhs), let right = Int(rhs) { return left < right }
        return lhs < rhs
    }

    static func shorten(_ text: String, limit: Int = 140) -> String {
        let flat = String(text.map { $0 == "\n" || $0 == "\r" || $0 == "\t" ? " " : $0 })
        return flat.count > limit ? String(flat.prefix(limit)) + "…" : flat
    }

    /// The scores so far.
    public func report() -> EvaluationReport {
        var categoryScores: [EvaluationReport.CategoryScore] = []
        var total = EvaluationReport.Score()
        for category in RuleCategory.allCases where categories.contains(category) {
            var score = EvaluationReport.Score()
            for outcome in outcomes where outcome.category == category {
                if outcome.found { score.truePositives += 1 } else { score.misses += 1 }
            }
            score.falsePositives = falsePositives.filter { $0.category == category.rawValue }.count
            total.truePositives += score.truePositives
            total.misses += score.misses
            total.falsePositives += score.falsePositives
            categoryScores.append(EvaluationReport.CategoryScore(category: category.rawValue, score: score))
        }
        let megabytes = Double(bytes) / 1_000_000
        let rules = ruleCategories.map { rule in
            let positives = outcomes.filter { $0.category == rule.category }.count
            let found = ruleFound[rule.id] ?? 0
            let falsePositives = ruleFalsePositives[rule.id] ?? 0
            let cost = costs[rule.id]
            return EvaluationReport.RuleScore(
                rule: rule.id, category: rule.category.rawValue, alerts: ruleAlerts[rule.id] ?? 0, found: found,
                falsePositives: falsePositives,
                recall: positives > 0 ? Double(found) / Double(positives) : nil,
                precision: found + falsePositives > 0 ? Double(found) / Double(found + falsePositives) : nil,
                millisecondsPerMB: cost.flatMap { megabytes > 0 ? $0.time.milliseconds / megabytes : nil },
                calls: cost?.calls)
        }
        return EvaluationReport(
            files: fileCount, messages: messageCount, bytes: bytes, overall: total, categories: categoryScores,
            rules: rules, misses: outcomes.filter { !$0.found }.map(\.finding), falsePositives: falsePositives,
            warnings: warnings)
    }
}

/// What `leakwatch eval` reports.
public struct EvaluationReport: Sendable, Codable {
    public var files: Int
    public var messages: Int
    public var bytes: Int
    public var overall: Score
    public var categories: [CategoryScore]
    public var rules: [RuleScore]
    /// Positives no alert of their category found.
    public var misses: [Finding]
    /// Messages flagged in a category no label covers (one per message and category).
    public var falsePositives: [Finding]
    public var warnings: [String]

    public struct Score: Sendable, Codable, Hashable {
        public var truePositives = 0
        public var misses = 0
        public var falsePositives = 0

        public var positives: Int { truePositives + misses }
        /// nil when there are no positives.
        public var recall: Double? { positives > 0 ? Double(truePositives) / Double(positives) : nil }
        /// nil when nothing was flagged.
        public var precision: Double? {
            truePositives + falsePositives > 0 ? Double(truePositives) / Double(truePositives + falsePositives) : nil
        }
        public var f1: Double? {
            guard let recall, let precision, recall + precision > 0 else { return nil }
            return 2 * recall * precision / (recall + precision)
        }

        enum CodingKeys: String, CodingKey {
            case positives, truePositives = "true_positives", misses, falsePositives = "false_positives", recall,
                precision, f1
        }

        public init() {}

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            truePositives = try container.decode(Int.self, forKey: .truePositives)
            misses = try container.decode(Int.self, forKey: .misses)
            falsePositives = try container.decode(Int.self, forKey: .falsePositives)
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(positives, forKey: .positives)
            try container.encode(truePositives, forKey: .truePositives)
            try container.encode(misses, forKey: .misses)
            try container.encode(falsePositives, forKey: .falsePositives)
            try container.encode(recall, forKey: .recall)
            try container.encode(precision, forKey: .precision)
            try container.encode(f1, forKey: .f1)
        }
    }

    public struct CategoryScore: Sendable, Codable, Hashable {
        public var category: String
        public var score: Score
    }

    public struct RuleScore: Sendable, Codable, Hashable {
        public var rule: String
        public var category: String
        public var alerts: Int
        /// Positives of the rule's category that this rule found.
        public var found: Int
        /// Messages this rule flagged that no label of its category covers.
        public var falsePositives: Int
        /// Share of its category's positives this rule found.
        public var recall: Double?
        public var precision: Double?
        /// Matching time per MB of scanned exports, when measured.
        public var millisecondsPerMB: Double?
        /// PCRE2 calls, when measured.
        public var calls: Int?

        enum CodingKeys: String, CodingKey {
            case rule, category, alerts, found, falsePositives = "false_positives", recall, precision,
                millisecondsPerMB = "ms_per_mb", calls
        }
    }

    /// A missed positive or a false positive.
    public struct Finding: Sendable, Codable, Hashable {
        public var file: String
        /// Line(s) or id(s).
        public var locator: String
        public var category: String
        /// The rule that alerted (false positives only).
        public var rule: String?
        /// The alert's masked excerpt, or for a miss the start of the message.
        public var excerpt: String
        /// The label's note, if any.
        public var note: String?
    }

    enum CodingKeys: String, CodingKey {
        case files, messages, bytes, overall, categories, rules, misses, falsePositives = "false_positives", warnings
    }
}

extension Duration {
    /// The duration in (fractional) milliseconds.
    public var milliseconds: Double {
        Double(components.seconds) * 1000 + Double(components.attoseconds) / 1e15
    }
}
