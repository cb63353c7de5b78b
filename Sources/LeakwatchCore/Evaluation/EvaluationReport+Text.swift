/// `leakwatch eval`'s text output: the per-category table, the per-rule table, then the misses
/// and false positives with their masked excerpts.
extension EvaluationReport {
    /// Renders the report for people. `listLimit` caps each list (nil: everything).
    public func text(thresholds: [EvaluationThreshold.Outcome] = [], listLimit: Int? = nil) -> String {
        var out: [String] = []
        func figure(_ value: Double?) -> String {
            guard let value else { return "-" }
            return String(format2: value)
        }
        func row(_ cells: [String], widths: [Int]) -> String {
            zip(cells, widths).enumerated().map { index, pair in
                index == 0 ? pair.0.padding(to: pair.1) : pair.0.leftPadding(to: pair.1)
            }.joined(separator: "  ")
        }
        let megabytes = Double(bytes) / 1_000_000
        out.append(
            "\(files) file(s), \(messages) messages"
                + (bytes > 0 ? ", " + String(format2: megabytes) + " MB" : ""))
        out.append("")
        let widths = [20, 5, 6, 7, 7, 7, 9, 5]
        out.append(row(["category", "pos", "found", "missed", "false+", "recall", "precision", "F1"], widths: widths))
        for entry in categories + [CategoryScore(category: "overall", score: overall)] {
            let score = entry.score
            out.append(
                row(
                    [
                        entry.category, String(score.positives), String(score.truePositives), String(score.misses),
                        String(score.falsePositives), figure(score.recall), figure(score.precision), figure(score.f1),
                    ], widths: widths))
        }
        if !rules.isEmpty {
            out.append("")
            let measured = rules.contains { $0.millisecondsPerMB != nil }
            let ruleWidths = [44, 6, 6, 7, 7, 9] + (measured ? [9, 9] : [])
            out.append(
                row(
                    ["rule", "alerts", "found", "false+", "recall", "precision"]
                        + (measured ? ["ms/MB", "calls"] : []),
                    widths: ruleWidths))
            for rule in rules {
                var cells = [
                    rule.rule, String(rule.alerts), String(rule.found), String(rule.falsePositives),
                    figure(rule.recall), figure(rule.precision),
                ]
                if measured {
                    cells += [
                        rule.millisecondsPerMB.map { String(format2: $0) } ?? "-", rule.calls.map(String.init) ?? "-",
                    ]
                }
                out.append(row(cells, widths: ruleWidths))
            }
        }
        func list(_ title: String, _ findings: [Finding], showRule: Bool) {
            guard !findings.isEmpty else { return }
            out.append("")
            out.append("\(title) (\(findings.count)):")
            for finding in findings.prefix(listLimit ?? findings.count) {
                let what = showRule ? (finding.rule ?? finding.category) : finding.category
                var line = "  \(finding.file):\(finding.locator)  \(what)  \(finding.excerpt)"
                if let note = finding.note { line += "  [\(note)]" }
                out.append(line)
            }
            if let listLimit, findings.count > listLimit { out.append("  … \(findings.count - listLimit) more") }
        }
        list("Missed", misses, showRule: false)
        list("False positives", falsePositives, showRule: true)
        if !warnings.isEmpty {
            out.append("")
            out += warnings.map { "warning: \($0)" }
        }
        if !thresholds.isEmpty {
            out.append("")
            for outcome in thresholds {
                out.append(
                    "\(outcome.holds ? "ok  " : "FAIL") \(outcome.threshold.metric.rawValue) \(outcome.scope) "
                        + "\(figure(outcome.value)) (minimum \(String(format2: outcome.threshold.minimum)))")
            }
        }
        return out.joined(separator: "\n")
    }
}

extension String {
    /// A number with two decimals, without Foundation's locale-dependent formatting.
    public init(format2 value: Double) {
        let scaled = (value * 100).rounded()
        let whole = Int(scaled) / 100
        let fraction = abs(Int(scaled)) % 100
        self = "\(scaled < 0 && whole == 0 ? "-" : "")\(whole).\(fraction < 10 ? "0" : "")\(fraction)"
    }

    func padding(to width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }

    func leftPadding(to width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}
