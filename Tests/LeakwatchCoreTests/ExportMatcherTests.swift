import Testing

@testable import LeakwatchCore

/// Builds a rule set from YAML for a test.
func ruleSet(_ yaml: String, jit: Bool = true) throws -> RuleSet {
    let build = RuleSet.build(layers: [[RuleFileSource(path: "test.yml", text: yaml)]], jit: jit)
    return try #require(build.ruleSet, "\(build.problems)")
}

func rule(
    id: String = "test.rule", pattern: String, options: String = "[]", appliesTo: String = "text",
    extra: String = "", match: String = "x"
) -> String {
    """
    - id: \(id)
      title: Test
      category: case-reference
      severity: high
      pattern: '\(pattern)'
      options: \(options)
      applies-to: \(appliesTo)
    \(extra)
      examples:
        match: ['\(match)']
    """
}

func messages(_ texts: [String]) -> [Message] {
    texts.enumerated().map {
        Message(line: $0.offset + 1, sent: "", sender: "Sender \($0.offset)", text: $0.element, kind: .text)
    }
}

@Suite struct ExportMatcherTests {
    @Test func findsEveryMatchInEveryMessageWithLocalOffsets() throws {
        let set = try ruleSet(rule(pattern: #"\bCAD ?\d{3,5}\b"#))
        let report = ExportMatcher(ruleSet: set).match(
            messages(["nothing", "CAD 1234 and CAD 999", "é CAD12345"]), scratch: try MatchScratch())
        #expect(
            report.hits.map { [$0.messageIndex, $0.range.lowerBound, $0.range.upperBound] } == [
                [1, 0, 8], [1, 13, 20], [2, 3, 11],
            ])
    }

    @Test func aMatchNeverSpansTwoMessages() throws {
        // `\s+` would happily run across the separator between messages.
        let set = try ruleSet(rule(pattern: #"SECRET\s+BRIEFING"#))
        let report = ExportMatcher(ruleSet: set).match(
            messages(["the SECRET", "BRIEFING is here", "SECRET  BRIEFING"]), scratch: try MatchScratch())
        #expect(report.hits.map(\.messageIndex) == [2])
    }

    @Test(arguments: [#"^OFFICIAL"#, #"SENSITIVE$"#, #"\AOFFICIAL"#, #"(?<=\s)OFFICIAL"#])
    func anchoredPatternsSeeOneMessageAtATime(pattern: String) throws {
        let set = try ruleSet(rule(pattern: pattern))
        let texts = ["OFFICIAL SENSITIVE", "x OFFICIAL SENSITIVE", "OFFICIAL SENSITIVE"]
        let report = ExportMatcher(ruleSet: set).match(messages(texts), scratch: try MatchScratch())
        let expected: [Int] =
            switch pattern {
            case #"(?<=\s)OFFICIAL"#: [1]
            case #"SENSITIVE$"#: [0, 1, 2]
            default: [0, 2]
            }
        #expect(report.hits.map(\.messageIndex) == expected)
    }

    @Test func batchedMatchingEqualsMatchingEachMessageAlone() throws {
        let set = try ruleSet(rule(pattern: #"\d{2}/\d{5,7}/\d{2}|[A-Z]{2}\d{2}\s?\d[A-Z]{2}"#, options: "[caseless]"))
        var generator = SplitMix(seed: 7)
        let texts = (0..<300).map { _ in
            (0..<Int.random(in: 1...4, using: &generator)).map { _ in
                ["crime ref 12/34567/21", "SW12 1AB", "12/", "34567/21", "\n", "sw1", "2 1ab", "é", "zz"].randomElement(
                    using: &generator)!
            }.joined(separator: " ")
        }
        let scratch = try MatchScratch()
        let matcher = ExportMatcher(ruleSet: set)
        let batched = matcher.match(messages(texts), scratch: scratch).hits
        var alone: [RuleHit] = []
        for (index, text) in texts.enumerated() {
            alone += matcher.match(messages([text]), scratch: scratch).hits.map {
                var hit = $0
                hit.messageIndex = index
                return hit
            }
        }
        #expect(batched == alone)
    }

    @Test func keywordsGateThePattern() throws {
        let set = try ruleSet(rule(pattern: #"\b\d{8}\b"#, extra: "  keywords: [custody, 'custody no']"))
        let report = ExportMatcher(ruleSet: set).match(
            messages(["CUSTODY record 12345678", "phone 12345678", "custody no. 87654321 and 11112222"]),
            scratch: try MatchScratch())
        #expect(report.hits.map(\.messageIndex) == [0, 2, 2])
    }

    @Test func contextMustMatchWithinTheWindow() throws {
        let extra = """
              context:
                pattern: '\\b(scene|body)\\b'
                options: [caseless]
                window: 1
            """
        let set = try ruleSet(rule(pattern: #"\.jpe?g$"#, options: "[caseless]", appliesTo: "attachment", extra: extra))
        var input = messages(["pic", "nice day", "at the SCENE now", "pic", "x", "y", "pic"])
        for index in [0, 3, 6] { input[index].attachments = [Attachment(name: "IMG-\(index).JPG")] }
        let report = ExportMatcher(ruleSet: set).match(input, scratch: try MatchScratch())
        #expect(report.hits.map(\.messageIndex) == [3])
        #expect(report.hits.first?.field == .attachment)
    }

    @Test func catastrophicBacktrackingIsARuleErrorNamingTheMessage() throws {
        // Catastrophic on a run of a's before "!", and not something a prefilter can rule out.
        let set = try ruleSet(rule(id: "conduct.evil", pattern: #"(a+)+\b(?!!)"#, match: "a"))
        let texts = ["fine", String(repeating: "a", count: 40) + "!", "aaa"]
        let clock = ContinuousClock()
        var report = MatchReport()
        let elapsed = try clock.measure {
            report = ExportMatcher(ruleSet: set).match(messages(texts), scratch: try MatchScratch())
        }
        #expect(report.ruleErrors.map(\.messageIndex) == [1])
        #expect(report.ruleErrors.first?.ruleID == "conduct.evil")
        #expect(report.ruleErrors.first?.detail.contains("limit") == true)
        // The next message is still matched.
        #expect(report.hits.map(\.messageIndex) == [2])
        #expect(elapsed < .seconds(10))
    }

    @Test func timeBudgetStopsTheScanAndSaysWhere() throws {
        // Slow on runs of digits, and not something a prefilter can rule out (the lookahead).
        let set = try ruleSet(rule(id: "slow.rule", pattern: #"\d{1,200}\d{1,200}(?=\D)"#, match: "1a"))
        let texts = (0..<20).map { _ in String(repeating: "1", count: 4000) }
        let matcher = ExportMatcher(ruleSet: set, budget: ScanBudget(time: .milliseconds(50)))
        let report = matcher.match(messages(texts), scratch: try MatchScratch())
        #expect(report.budgetExhausted?.ruleID == "slow.rule")
    }

    @Test func invalidUTF8DecodedTextStillMatchesAroundTheBadBytes() throws {
        let set = try ruleSet(rule(pattern: #"OFFICIAL[- ]SENSITIVE"#))
        let decoded = TextDecoding.decode([0xFF, 0xFE - 1, 0x41] + Array(" OFFICIAL-SENSITIVE\n".utf8))
        #expect(decoded.invalidSequences == 2)
        #expect(decoded.notes.map(\.code) == ["invalid-utf8"])
        let export = ExportParsing.parseText(decoded, fileName: "x.txt")
        let report = ExportMatcher(ruleSet: set).match(export.messages, scratch: try MatchScratch())
        #expect(report.hits.count == 1)
    }
}

/// A small deterministic generator for reproducible random inputs.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
