import Foundation
import Testing

@testable import LeakwatchCore

/// The prefilter never loses a match: with it, every rule finds exactly what it finds run on
/// every message alone.
@Suite struct PrefilterTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static func shippedRules() throws -> RuleSet {
        let directory = repository.appendingPathComponent("rules")
        var sources: [RuleFileSource] = []
        for name in try FileManager.default.contentsOfDirectory(atPath: directory.path)
        where name.hasSuffix(".yml") || name.hasSuffix(".model") {
            let text = try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
            sources.append(RuleFileSource(path: name, text: text))
        }
        return try #require(RuleSet.build(layers: [sources]).ruleSet)
    }

    /// Hits as comparable tuples.
    static func key(_ report: MatchReport) -> [String] {
        report.hits.map { "\($0.ruleIndex)/\($0.messageIndex)/\($0.field)/\($0.item)/\($0.range)/\($0.confidence)" }
    }

    /// Text to build messages from: every rule's own examples, sensitive values at the very
    /// start and end of a message, and random runs of tricky characters.
    static func material(_ set: RuleSet) -> [String] {
        var texts: [String] = []
        for rule in set.rules {
            for example in rule.definition.examples.match + rule.definition.examples.noMatch {
                texts.append(example.text)
                texts += example.before.map(\.text) + example.after.map(\.text)
            }
        }
        return texts.filter { !$0.isEmpty }
    }

    static func randomMessages(from material: [String], count: Int, using generator: inout some RandomNumberGenerator)
        -> [Message]
    {
        let tricky = [
            "\n", " ", "  ", "\t", "é", "É", "😂", "\u{200E}", "'", "\u{2019}", "-", "/", ".", ",", ":", "£", "°", "*",
            "0", "1", "3", "4", "@", "$", "!", "a", "A", "x", "K", "ß",
        ]
        var messages: [Message] = []
        for index in 0..<count {
            var text = ""
            for _ in 0..<Int.random(in: 0...3, using: &generator) {
                switch Int.random(in: 0..<4, using: &generator) {
                case 0:
                    // A fragment of an example: cut anywhere, so matches sit at message edges.
                    let source = Array(material.randomElement(using: &generator) ?? "")
                    let from = Int.random(in: 0...source.count, using: &generator)
                    let to = Int.random(in: from...source.count, using: &generator)
                    text += String(source[from..<to])
                case 1:
                    text += material.randomElement(using: &generator) ?? ""
                default:
                    for _ in 0..<Int.random(in: 1...6, using: &generator) {
                        text += tricky.randomElement(using: &generator)!
                    }
                }
            }
            var message = Message(line: index + 1, sent: "", sender: "S\(index % 5)", text: text, kind: .text)
            if Int.random(in: 0..<6, using: &generator) == 0 {
                let names = [
                    "IMG-20211107-WA0003.jpg", "<Media omitted>", "00000012-PHOTO-2021-11-07-18-14-02.jpg", "rota.pdf",
                ]
                message.attachments = [Attachment(name: names.randomElement(using: &generator)!)]
                message.kind = .attachment
            }
            if Int.random(in: 0..<10, using: &generator) == 0 {
                message.location = Location(text: material.randomElement(using: &generator) ?? "")
            }
            let minute = Int64(index) * Int64.random(in: 0...20, using: &generator)
            message.timestamp = LocalTimestamp(secondsSinceEpoch: 1_636_300_000 + minute * 60)
            messages.append(message)
        }
        return messages
    }

    /// The rules and message texts behind differing hit keys, to reproduce a failure.
    static func describe(_ keys: Set<String>, _ set: RuleSet, _ messages: [Message]) -> String {
        keys.sorted().map { key in
            let parts = key.split(separator: "/")
            guard parts.count > 2, let rule = Int(parts[0]), let message = Int(parts[1]) else { return key }
            return "\(set.rules[rule].id) on \(String(reflecting: messages[message].text))"
        }.joined(separator: "; ")
    }

    @Test func thePrefilterNeverLosesAMatchOnRandomAndAdversarialMessages() throws {
        let set = try Self.shippedRules()
        let material = Self.material(set)
        var generator = SystemRandomNumberGenerator()
        let filtered = ExportMatcher(ruleSet: set)
        let reference = ExportMatcher(ruleSet: set, usesPrefilter: false)
        let scratch = try MatchScratch()
        var hits = 0
        for _ in 0..<40 {
            let messages = Self.randomMessages(from: material, count: 150, using: &generator)
            let expected = reference.match(messages, scratch: scratch)
            let actual = filtered.match(messages, scratch: scratch)
            hits += expected.hits.count
            let missing = Set(Self.key(expected)).subtracting(Self.key(actual))
            let extra = Set(Self.key(actual)).subtracting(Self.key(expected))
            #expect(
                missing.isEmpty && extra.isEmpty,
                "missing \(missing.sorted()), extra \(extra.sorted()) in \(Self.describe(missing.union(extra), set, messages))"
            )
            #expect(actual.ruleErrors.count == expected.ruleErrors.count)
        }
        #expect(hits > 1000, "the messages exercise the rules")
    }

    @Test(
        arguments: [
            (#"\bcust(?:ody)?\s*ref\b"#, false, ["cust", "custody"]),
            (#"(?:slut|slag|whore)s?"#, true, ["slut", "slag", "whore"]),
            (
                #"\bhttps?://(?:maps\.google\.[a-z.]{2,6}/|goo\.gl/maps/)\S*|\blive\s+location\b"#, true,
                ["maps.google.", "goo.gl/maps/", "location"]
            ),
            (#"OFFICIAL[\s\-_]{0,5}SENSITIVE"#, true, ["sensitive"]),
            (#"(?-i:DB)|dead\s+body"#, true, nil),
            (#"\d{5,12}"#, false, nil),
            (#"a.*b"#, false, nil),
            (#"(\w+)\s+\1"#, false, nil),
        ] as [(String, Bool, [String]?)])
    func requiredLiterals(pattern: String, caseless: Bool, expected: [String]?) {
        let literals = RequiredLiterals.of(pattern, caseless: caseless)
        if let expected {
            #expect(
                literals.map { Set($0) == Set(expected) || Set(expected).isSubset(of: $0) } == true,
                "\(literals as Any)")
        } else {
            #expect(literals == nil, "\(literals as Any)")
        }
    }

    @Test(arguments: [
        (#"(?<![\p{L}\p{N}])\d{2}\K\d\b"#, #"\d{2}\d"#),
        (#"\Afoo\z"#, "^foo$"),
        (#"x.{0,60}y"#, "x.{0,}y"),
        (#"[\p{L}']+(?=\s)"#, "(?s:.)+"),
        (#"a(?:b|c){1,3}"#, "a(?:b|c){1,3}"),
    ])
    func relaxedPatternsAreSupersets(pattern: String, relaxed: String) {
        #expect(RulePrefilter.relaxed(pattern) == relaxed)
    }

    /// A match never reaches into a neighbouring message, with or without the prefilter: `\K`
    /// cannot start it in the message before, lookahead cannot see the message after.
    @Test(arguments: [
        (#"victim\s*\K[A-Z][a-z]+"#, "victim Kerry", ["the victim", "Kerry is home"]),
        (#"[A-Z][a-z]+(?=\s+lives)"#, "Kerry lives", ["met Kerry", "lives at 4 Mill Lane"]),
        (#"Kerry(?!\s+\w)"#, "met Kerry", ["met Kerry", "Walsh"]),
    ])
    func aMatchStaysInsideItsMessage(pattern: String, example: String, texts: [String]) throws {
        let yaml = """
            - id: test.cross
              title: cross
              category: personal-data
              severity: high
              pattern: '\(pattern)'
              examples:
                match: ['\(example)']
            """
        let set = try #require(RuleSet.build(layers: [[RuleFileSource(path: "t.yml", text: yaml)]]).ruleSet)
        let messages = texts.enumerated().map { Message(line: $0 + 1, sent: "", sender: "S", text: $1, kind: .text) }
        let scratch = try MatchScratch()
        let unfiltered = ExportMatcher(ruleSet: set, usesPrefilter: false).match(messages, scratch: scratch)
        let filtered = ExportMatcher(ruleSet: set).match(messages, scratch: scratch)
        let expected = pattern.hasSuffix("(?!\\s+\\w)") ? ["0/0/text/0/4..<9/medium"] : []
        #expect(Self.key(unfiltered) == expected)
        #expect(Self.key(filtered) == expected)
    }

    /// Start-of-pattern options and verbs (`(*UTF)`, `(*UCP)`) are read by neither the literal
    /// extraction nor the approximation: such a rule runs on every message, and still matches.
    @Test(arguments: [
        (#"(*UTF)(?<![\p{L}\p{N}])SECRET(?![\p{L}\p{N}])"#, "a SECRET b"),
        (#"(*UCP)^\w+$"#, "café"),
        (#"(*UTF)(*UCP)ref\s*:\s*\K\d{3}"#, "ref: 123"),
        (#"secret(*SKIP)(*FAIL)|SECRET"#, "SECRET"),
    ])
    func patternsWithVerbsAreNeverFilteredOut(pattern: String, text: String) throws {
        #expect(RulePrefilter.hasVerb(pattern))
        let yaml = """
            - id: test.verb
              title: verb
              category: protective-marking
              severity: high
              pattern: '\(pattern)'
              examples:
                match: ['\(text)']
            """
        let set = try #require(RuleSet.build(layers: [[RuleFileSource(path: "t.yml", text: yaml)]]).ruleSet)
        let messages = [Message(line: 1, sent: "", sender: "S", text: text, kind: .text)]
        let scratch = try MatchScratch()
        let unfiltered = ExportMatcher(ruleSet: set, usesPrefilter: false).match(messages, scratch: scratch)
        let filtered = ExportMatcher(ruleSet: set).match(messages, scratch: scratch)
        #expect(Self.key(unfiltered).count == 1)
        #expect(Self.key(filtered) == Self.key(unfiltered))
    }

    @Test(arguments: [#"\(\*x"#, #"[a-z]*"#, #"(a)*"#, #"ref\s*:"#])
    func patternsWithoutVerbs(pattern: String) {
        #expect(!RulePrefilter.hasVerb(pattern))
    }
}
