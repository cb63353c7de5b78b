/// An example that did not behave as its rule says.
public struct ExampleFailure: Sendable, Hashable, CustomStringConvertible {
    public var ruleID: String
    public var example: RuleExample
    /// `true` when the example should have matched.
    public var expectedMatch: Bool
    /// A PCRE2 error hit while running it, if any.
    public var error: String?

    public var description: String {
        let what = expectedMatch ? "should match but did not" : "should not match but did"
        var line = "\(example.sourceLocation): \(ruleID): example \"\(example.label)\" \(what)"
        if let error { line += " (\(error))" }
        return line
    }
}

/// How one rule did on its examples.
public struct RuleExampleResult: Sendable, Hashable {
    public var ruleID: String
    public var passed: Int
    public var failures: [ExampleFailure]
}

extension RuleSet {
    /// Runs every rule's own examples through the real matcher (keywords, validators and
    /// context included), one small export per example.
    /// The responses phrases file is tested like rules: its examples come first.
    public func testExamples(scratch: MatchScratch) -> [RuleExampleResult] {
        let phraseResults = responsePhrases.flatMap(ResponseClassifier.init)?.testExamples() ?? []
        return phraseResults + testRuleExamples(scratch: scratch)
    }

    /// Runs every rule's own examples.
    func testRuleExamples(scratch: MatchScratch) -> [RuleExampleResult] {
        let matcher = ExportMatcher(ruleSet: self)
        return rules.map { rule in
            var result = RuleExampleResult(ruleID: rule.id, passed: 0, failures: [])
            let cases =
                rule.definition.examples.match.map { ($0, true) } + rule.definition.examples.noMatch.map { ($0, false) }
            for (example, expected) in cases {
                let (messages, target) = example.messages(for: rule.definition.appliesTo.first ?? .text)
                // A rule that looks at other categories' alerts needs the rules that make them.
                let report = matcher.match(messages, rules: rule.looksAtCategories ? rules : [rule], scratch: scratch)
                let matched = report.hits.contains { $0.messageIndex == target && $0.ruleIndex == rule.index }
                let error = report.ruleErrors.first { $0.messageIndex == target && $0.ruleID == rule.id }?.detail
                if matched == expected && error == nil {
                    result.passed += 1
                } else {
                    result.failures.append(
                        ExampleFailure(ruleID: rule.id, example: example, expectedMatch: expected, error: error))
                }
            }
            return result
        }
    }
}

extension RuleExample {
    /// The example as messages: `before`, the example itself, `after`; and the example's index.
    /// A plain string example fills `field`.
    func messages(for field: RuleField) -> ([Message], Int) {
        var main = Message(sent: "", sender: sender ?? "Example", text: text, kind: .text)
        main.attachments = attachments.map { Attachment(name: $0) }
        if let location { main.location = Location(text: location) }
        let isPlainString = attachments.isEmpty && sender == nil && location == nil && before.isEmpty && after.isEmpty
        if isPlainString {
            switch field {
            case .text: break
            case .attachment:
                main.text = ""
                main.attachments = [Attachment(name: text)]
            case .sender:
                main.text = ""
                main.sender = text
            case .location:
                main.text = ""
                main.location = Location(text: text)
            case .mediaText:
                main.text = ""
                main.attachments = [Attachment(name: "example.png", present: true, media: MediaContent(text: text))]
            case .mediaMetadata:
                main.text = ""
                main.attachments = [
                    Attachment(name: "example.jpg", present: true, media: MediaContent(text: "", metadata: text))
                ]
            }
        }
        if !main.attachments.isEmpty { main.kind = .attachment }
        let neighbour = { (item: ExampleNeighbour) in
            Message(
                sent: "", sender: "Example", text: item.text,
                attachments: item.attachments.map { Attachment(name: $0) },
                kind: item.attachments.isEmpty ? .text : .attachment)
        }
        var messages = before.map(neighbour) + [main] + after.map(neighbour)
        // Sent `spacing` apart, from an arbitrary morning.
        let start = LocalTimestamp(year: 2021, month: 11, day: 7, hour: 9, minute: 0).secondsSinceEpoch
        for index in messages.indices {
            let time = LocalTimestamp(secondsSinceEpoch: start + Int64(index) * spacing.components.seconds)
            messages[index].timestamp = time
            messages[index].sent = time.iso8601
        }
        return (messages, before.count)
    }
}
