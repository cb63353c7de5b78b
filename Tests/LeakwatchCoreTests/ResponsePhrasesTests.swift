import Foundation
import Testing

@testable import LeakwatchCore

/// The responses phrases file: parsing, problems with their place, classification as written.
struct ResponsePhrasesTests {
    static let shippedPath = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("rules/responses.phrases").path

    static func shipped() throws -> ResponseClassifier {
        let text = try String(contentsOfFile: shippedPath, encoding: .utf8)
        let phrases = try ResponsePhrases.parse(text, path: shippedPath)
        return try #require(ResponseClassifier(phrases))
    }

    @Test func theShippedFilePassesItsOwnExamples() throws {
        let classifier = try Self.shipped()
        #expect(classifier.phrases.examples.count >= 20)
        let failures = classifier.testExamples().flatMap(\.failures)
        #expect(failures.isEmpty, "\(failures)")
        #expect(classifier.phrases.categories == [.conduct, .crimeSceneMedia])
        #expect(classifier.phrases.windowMessages == 5)
        #expect(classifier.phrases.windowTime == .seconds(600))
    }

    static let replies: [(String, ResponseKind)] = [
        ("😂😂", .endorsement), ("🤣", .endorsement), ("👏👏", .endorsement), ("👏🏾", .endorsement),
        ("lol", .endorsement), ("LOL", .endorsement), ("lolol", .endorsement), ("hahaha", .endorsement),
        ("haha class", .endorsement), ("send more", .endorsement), ("brilliant", .endorsement),
        ("not on", .challenge), ("delete that", .challenge), ("that's inappropriate", .challenge),
        ("I'm reporting this", .challenge), ("take it down", .challenge), ("that's a victim", .challenge),
        ("that’s a victim mate", .challenge), ("thats a victim", .challenge),
        ("lol delete that", .challenge),
        ("ok", .neither), ("👍", .neither), ("😂 anyway who's on nights", .neither), ("classification", .neither),
        ("deleted my notes", .neither), ("reporting for duty", .neither), ("", .neither), ("😂 and 👍", .neither),
    ]

    @Test(arguments: replies)
    func repliesAreClassifiedAsWritten(_ reply: String, _ kind: ResponseKind) throws {
        #expect(try Self.shipped().classify(reply) == kind)
    }

    static let brokenFiles: [(String, String, Int)] = [
        ("categories: [conduct, nonsense]\n", "unknown categories value 'nonsense'", 1),
        ("window:\n  messages: 0\n", "'messages' must be a whole number from 1 to 50", 2),
        ("window:\n  within: soon\n", "'within' must be a duration", 2),
        ("endorsement:\n  patterns: ['(unclosed']\n", "pattern does not compile", 2),
        ("challenge:\n  emoji: ['no']\n", "each emoji entry must be one emoji", 2),
        ("responses: true\n", "unknown field 'responses'", 1),
        ("examples:\n  praise: ['lol']\n", "unknown example kind 'praise'", 2),
        ("endorsement: [\n", "YAML error", 2),
    ]

    @Test(arguments: brokenFiles)
    func problemsAreReportedWithFileLineAndColumn(_ text: String, _ message: String, _ line: Int) {
        do {
            _ = try ResponsePhrases.parse(text, path: "/etc/leakwatch/rules.d/responses.phrases")
            Issue.record("parsed: \(text)")
        } catch {
            let problem = error.problems.first
            #expect(problem?.message.contains(message) == true, "\(error.problems)")
            #expect(problem?.location.line == line, "\(error.problems)")
            #expect(problem?.location.path == "/etc/leakwatch/rules.d/responses.phrases")
        }
    }

    @Test func anAdminFileReplacesTheShippedOneAndFailingExamplesFailTheRuleSet() throws {
        let shipped = try String(contentsOfFile: Self.shippedPath, encoding: .utf8)
        let admin = """
            categories: [location]
            endorsement:
              phrases: [nice one]
            examples:
              endorsement: ['lol']
            """
        let build = RuleSet.build(layers: [
            [RuleFileSource(path: "/usr/share/leakwatch/rules/responses.phrases", text: shipped)],
            [RuleFileSource(path: "/etc/leakwatch/rules.d/responses.phrases", text: admin)],
        ])
        let ruleSet = try #require(build.ruleSet, "\(build.problems)")
        #expect(ruleSet.responsePhrases?.categories == [.location])
        let failures = ruleSet.testExamples(scratch: try MatchScratch()).flatMap(\.failures)
        #expect(failures.count == 1)
        #expect(failures.first?.description.contains("responses.phrases:5") == true, "\(failures)")
        #expect(failures.first?.description.contains("classified as neither") == true)
    }

    @Test func aRuleCanAskForResponses() throws {
        let rules = """
            - id: test.shout
              title: Shout
              category: location
              severity: low
              pattern: 'SHOUT'
              responses: true
              examples:
                match: ['SHOUT']
            - id: test.quiet
              title: Quiet
              category: conduct
              severity: low
              pattern: 'quiet'
              responses: false
              examples:
                match: ['quiet']
            """
        let phrases = try String(contentsOfFile: Self.shippedPath, encoding: .utf8)
        let build = RuleSet.build(layers: [
            [
                RuleFileSource(path: "r/test.yml", text: rules),
                RuleFileSource(path: "r/responses.phrases", text: phrases),
            ]
        ])
        let ruleSet = try #require(build.ruleSet, "\(build.problems)")
        #expect(ruleSet.collectsResponses(try #require(ruleSet.rule(id: "test.shout"))))
        #expect(!ruleSet.collectsResponses(try #require(ruleSet.rule(id: "test.quiet"))))

        // The replies of a streamed scan are the replies of a whole one.
        var lines = ["01/02/2024, 10:00 - Ann: SHOUT"]
        lines += [
            "01/02/2024, 10:01 - Bob: lol", "01/02/2024, 10:02 - Ann: more", "01/02/2024, 10:03 - Cat: delete that",
        ]
        lines += ["01/02/2024, 10:04 - Dan: ok", "01/02/2024, 10:05 - Eve: 😂", "01/02/2024, 10:06 - Fay: haha"]
        let bytes = Array((lines.joined(separator: "\n") + "\n").utf8)
        let scanner = ExportScanner(ruleSet: ruleSet, fingerprintKey: Array(repeating: 1, count: 32))
        let whole = scanner.scan(bytes, path: "x.txt", fileName: "x.txt", scratch: try MatchScratch(), detectedAt: "")
        var source = MemoryByteSource(bytes)
        let streamed = StreamingExportScanner(scanner: scanner, chunkBytes: 40).scan(
            &source, path: "x.txt", fileName: "x.txt", scratch: try MatchScratch(), detectedAt: "")
        let responses = try #require(whole.alerts.first?.responses)
        #expect(responses.map(\.sender) == ["Bob", "Cat", "Dan", "Eve"])
        #expect(responses.map(\.kind) == [.endorsement, .challenge, .neither, .endorsement])
        #expect(responses.map(\.line) == [2, 4, 5, 6])
        #expect(streamed.alerts.map(\.responses) == whole.alerts.map(\.responses))
    }

    @Test func repliesOutsideTheWindowDoNotCount() throws {
        let phrases = try String(contentsOfFile: Self.shippedPath, encoding: .utf8)
        let rule = """
            - id: test.scene
              title: Scene
              category: crime-scene-media
              severity: high
              pattern: 'SCENE'
              examples:
                match: ['SCENE']
            """
        let ruleSet = try #require(
            RuleSet.build(layers: [
                [
                    RuleFileSource(path: "r/a.yml", text: rule),
                    RuleFileSource(path: "r/responses.phrases", text: phrases),
                ]
            ]).ruleSet)
        let lines = [
            "01/02/2024, 10:00 - Ann: SCENE", "01/02/2024, 10:02 - Ann added Zed", "01/02/2024, 10:04 - Bob: lol",
            "01/02/2024, 10:30 - Cat: lol",
        ]
        let scanner = ExportScanner(ruleSet: ruleSet, fingerprintKey: Array(repeating: 1, count: 32))
        let result = scanner.scan(
            Array(lines.joined(separator: "\n").utf8), path: "x.txt", fileName: "x.txt", scratch: try MatchScratch(),
            detectedAt: "")
        #expect(result.alerts.first?.responses?.map(\.sender) == ["Bob"])
    }
}

/// A streamed scan keeps the replies after a hit of a rule that collects responses, and nothing
/// else: its memory does not grow with the messages before the hit.
struct StreamedFollowersTests {
    @Test func onlyTheRepliesAfterAHitAreKept() throws {
        let rule = """
            - id: test.scene
              title: Scene
              category: crime-scene-media
              severity: high
              pattern: 'SCENE'
              examples:
                match: ['SCENE']
            """
        let phrases = try String(contentsOfFile: ResponsePhrasesTests.shippedPath, encoding: .utf8)
        let ruleSet = try #require(
            RuleSet.build(layers: [
                [
                    RuleFileSource(path: "r/a.yml", text: rule),
                    RuleFileSource(path: "r/responses.phrases", text: phrases),
                ]
            ]).ruleSet)
        let phrasesValue = try #require(ruleSet.responsePhrases)
        var messages = (0..<1000).map { Message(sent: "", sender: "Ann", text: "message \($0)", kind: .text) }
        messages[900].text = "SCENE"
        var matching = ChunkMatching(
            matcher: ExportMatcher(ruleSet: ruleSet), scratch: try MatchScratch(), window: ruleSet.contextWindow)
        matching.add(Array(messages[0..<950]))
        matching.add(Array(messages[950...]))
        matching.finish()
        #expect(matching.hits.map(\.messageIndex) == [900])
        #expect(
            matching.followerMessages.keptIndices == Array(901...(900 + ResponseCollector.lookahead(phrasesValue))))
    }
}
