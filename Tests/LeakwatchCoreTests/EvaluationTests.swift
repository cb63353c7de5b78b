import Testing

@testable import LeakwatchCore

@Suite struct EvaluationTests {
    private func alert(line: Int, rule: String, category: RuleCategory) -> Alert {
        Alert(
            id: "\(rule)-\(line)", detectedAt: "",
            rule: .init(id: rule, title: "", category: category.rawValue, severity: "high", revision: ""),
            source: .init(
                path: "chat.txt", sha256: "", format: "whatsapp-ios", entry: nil, chat: nil, participants: []),
            message: .init(line: line, id: nil, sent: "", sentLocal: nil, sender: nil, kind: "text"),
            match: .init(
                field: "text", excerpt: "[REDACTED] at \(line)", fingerprint: "", redacted: true, confidence: "medium"))
    }

    private let labels = """
        {"files": {"chat.txt": {"locator": "line", "labels": [
          {"at": [10], "category": "location", "kind": "pos"},
          {"at": [20, 21], "category": "crime-scene-media", "kind": "pos"},
          {"at": [30], "category": "location", "kind": "neutral"},
          {"at": [40], "category": "conduct", "kind": "pos", "note": "banter"}
        ]}}}
        """

    @Test func scoresFoundMissedAndFalsePositivesPerCategoryAndRule() throws {
        let set = try LabelSet.parse(Array(labels.utf8), path: "labels.json")
        var evaluation = Evaluation(
            labels: set,
            rules: [("location.a", .location), ("location.b", .location), ("crime-scene-media.a", .crimeSceneMedia)])
        evaluation.add(
            name: "chat.txt", path: "exports/chat.txt",
            messages: [10, 20, 21, 30, 40, 50].map { Evaluation.LabelledMessage(locator: String($0), text: "m\($0)") },
            alerts: [
                alert(line: 10, rule: "location.a", category: .location),
                alert(line: 10, rule: "location.b", category: .location),
                alert(line: 21, rule: "crime-scene-media.a", category: .crimeSceneMedia),
                alert(line: 30, rule: "location.a", category: .location),  // neutral: not a false positive
                alert(line: 50, rule: "location.a", category: .location),  // false positive
                alert(line: 50, rule: "location.b", category: .location),  // same message: counted once
            ])
        let report = evaluation.report()
        let location = try #require(report.categories.first { $0.category == "location" }).score
        #expect(location.truePositives == 1 && location.misses == 0 && location.falsePositives == 1)
        let media = try #require(report.categories.first { $0.category == "crime-scene-media" }).score
        #expect(media.truePositives == 1)
        #expect(report.overall.truePositives == 2 && report.overall.misses == 1 && report.overall.falsePositives == 1)
        #expect(report.misses.map(\.locator) == ["40"])
        #expect(report.misses.first?.note == "banter")
        #expect(report.falsePositives.map(\.locator) == ["50"])
        let ruleA = try #require(report.rules.first { $0.rule == "location.a" })
        #expect(ruleA.found == 1 && ruleA.falsePositives == 1 && ruleA.alerts == 3)
        #expect(report.warnings.isEmpty)
    }

    @Test func floorsHoldOrFail() throws {
        var report = EvaluationReport(
            files: 1, messages: 1, bytes: 0, overall: .init(), categories: [], rules: [], misses: [],
            falsePositives: [],
            warnings: [])
        report.overall.truePositives = 9
        report.overall.misses = 1
        report.overall.falsePositives = 3
        report.categories = [.init(category: "conduct", score: report.overall)]
        let recall = try #require(EvaluationThreshold(metric: .recall, text: "0.9"))
        let precision = try #require(EvaluationThreshold(metric: .precision, text: "0.8"))
        let each = try #require(EvaluationThreshold(metric: .recall, text: "each=0.85"))
        let conduct = try #require(EvaluationThreshold(metric: .recall, text: "conduct=0.95"))
        #expect(recall.check(report).allSatisfy { $0.holds })
        #expect(!precision.check(report).allSatisfy { $0.holds })
        #expect(each.check(report).map(\.scope) == ["conduct"])
        #expect(conduct.check(report).first?.holds == false)
        let unknownCategory = EvaluationThreshold(metric: .recall, text: "nonsense=0.5")
        let outOfRange = EvaluationThreshold(metric: .recall, text: "1.5")
        #expect(unknownCategory == nil)
        #expect(outOfRange == nil)
    }

    @Test(arguments: [
        (#"{"files": {"a.txt": {"locator": "page", "labels": []}}}"#, "files.a.txt.locator"),
        (#"{"files": {"a.txt": {"labels": [{"at": [1], "category": "gossip"}]}}}"#, "category"),
        (#"{"files": {"a.txt": {"labels": [{"category": "conduct"}]}}}"#, "at: missing"),
        (#"{"files": {"a.txt": {"labels": [{"at": [true], "category": "conduct"}]}}}"#, "at"),
        (#"{"files": {"a.txt": {"labels": [{"at": [1], "category": "conduct", "kind": "maybe"}]}}}"#, "kind"),
        (#"{"files": "#, "not valid JSON"),
    ])
    func badLabelFilesSayWhereAndWhy(text: String, expected: String) {
        #expect {
            try LabelSet.parse(Array(text.utf8), path: "labels.json")
        } throws: { error in
            guard let error = error as? LeakwatchError else { return false }
            return error.path == "labels.json" && error.message.contains(expected)
        }
    }

    @Test func idLocatorsAcceptNumbersAndStrings() throws {
        let set = try LabelSet.parse(
            Array(
                #"{"files": {"result.json": {"locator": "id", "labels": [{"at": [6, "7"], "category": "location"}]}}}"#
                    .utf8),
            path: "l.json")
        #expect(set.files["result.json"]?.labels.first?.at == ["6", "7"])
        #expect(set.files["result.json"]?.labels.first?.kind == .pos)
    }
}
