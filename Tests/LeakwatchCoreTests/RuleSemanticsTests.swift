import Foundation
import Testing

@testable import LeakwatchCore

/// What the rule fields added for the full pack do: fold normalization, time-bounded context,
/// `unless`, confidence, and model-gated rules.
@Suite struct RuleSemanticsTests {
    private func folded(_ text: String) -> (String, [Int32], [Int32]) {
        var folding = TextFolding()
        var bytes: [UInt8] = []
        var starts: [Int32] = []
        var ends: [Int32] = []
        folding.fold(text, into: &bytes, originStarts: &starts, originEnds: &ends)
        return (String(decoding: bytes, as: UTF8.self), starts, ends)
    }

    @Test(arguments: [
        ("N1GG3R", "nigger"), ("b!tch", "bitch"), ("f a g g o t", "faggot"), ("n.i.g.g.e.r", "nigger"),
        ("c-u-n-t", "cunt"), ("sluuuuut", "slut"), ("spaaaaz", "spaz"), ("faggot", "faggot"), ("p*ki", "p*ki"),
        ("sl\u{200B}ut", "slut"),
        ("wh0re", "whore"), ("@ss", "ass"), ("call 07700 900123", "call 07700 900123"),
        ("I am a b c", "i am abc"), ("a f a g", "a fag"), ("x y z", "xyz"), ("A1 intel", "ai intel"), ("cooool", "col"),
    ])
    func foldUndoesTheUsualDisguises(input: String, expected: String) {
        #expect(folded(input).0 == expected)
    }

    /// The fast ASCII path gives exactly what the general one does, or declines; where it takes a
    /// text, the general path's offsets are the identity at every character's first byte.
    @Test func theASCIIFastPathFoldsAsTheGeneralPathDoes() {
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("aAbBfFgGnNiIsStTe0134579@$!* .-_,?:/'\"#😂👍🏽£☕\u{FE0F}é\u{200B}")
        var declined = 0
        for _ in 0..<20_000 {
            let length = Int.random(in: 0...24, using: &generator)
            let text = String((0..<length).map { _ in alphabet.randomElement(using: &generator)! })
            var fast: [UInt8] = []
            let simple = Array(text.utf8).withUnsafeBufferPointer { TextFolding.foldASCII($0, into: &fast) }
            guard simple else {
                declined += 1
                #expect(fast.isEmpty)
                continue
            }
            let (general, starts, _) = folded(text)
            #expect(String(decoding: fast, as: UTF8.self) == general, "\(text)")
            let utf8 = Array(text.utf8)
            for index in utf8.indices where utf8[index] & 0xC0 != 0x80 && index < starts.count {
                #expect(starts[index] == Int32(index), "\(text)")
            }
        }
        #expect(declined < 15_000, "the fast path takes most texts")
    }

    /// What the fast path relies on for each scalar it takes as it is.
    @Test func inertScalarsFoldAsSymbols() {
        let inert = (0...0x10FFFF).compactMap { Unicode.Scalar(UInt32($0)) }.filter { TextFolding.isInert($0.value) }
        #expect(inert.count > 1_000)
        for scalar in inert {
            #expect(!scalar.isASCII && !TextFolding.isInvisible(scalar) && TextFolding.leet(scalar) == nil)
            #expect(!TextFolding.isAlphabetic(scalar) && TextFolding.lowercase(scalar) == scalar)
            #expect(scalar != "*" && !" .-_".unicodeScalars.contains(scalar))
        }
    }

    /// Folding's ASCII shortcut for the letter property agrees with Unicode on every ASCII scalar.
    @Test func asciiLettersAreTheAlphabeticASCIIScalars() {
        for value in UInt32(0)..<0x80 {
            let scalar = Unicode.Scalar(value)!
            #expect(TextFolding.isAlphabetic(scalar) == scalar.properties.isAlphabetic, "U+\(value)")
        }
    }

    @Test func foldedOffsetsPointIntoTheOriginal() {
        let (text, starts, ends) = folded("xx f a g yy")
        #expect(text == "xx fag yy")
        // "fag" is bytes 3..<6 of the folded text; in the original it spans "f a g", 3..<8.
        #expect(starts[3] == 3)
        #expect(ends[5] == 8)
    }

    @Test func aFoldRuleMatchesDisguisedSpellingsAndReportsTheOriginalSpan() throws {
        let set = try ruleSet(rule(pattern: #"\bf[a*]gg?[o*]ts?\b"#, extra: "  normalize: fold"))
        let report = ExportMatcher(ruleSet: set).match(
            messages(["what a F A G G O T lol", "f4gg0t", "fag break"]), scratch: try MatchScratch())
        #expect(report.hits.map(\.messageIndex) == [0, 1])
        #expect(report.hits.first?.range == 7..<18)
    }

    private func timed(_ texts: [String], minutesApart: [Int]) -> [Message] {
        var result = messages(texts)
        var minute = 0
        for index in result.indices {
            if index > 0 { minute += minutesApart[index - 1] }
            result[index].timestamp = LocalTimestamp(
                secondsSinceEpoch: LocalTimestamp(year: 2021, month: 11, day: 7, hour: 9, minute: 0).secondsSinceEpoch
                    + Int64(minute * 60))
        }
        return result
    }

    @Test(arguments: [
        // (minutes between photo and "the DB", within 10m window 3) -> alert?
        (2, true), (9, true), (11, false), (120, false),
    ])
    func contextCountsOnlyWithinItsTimeBound(minutes: Int, alerts: Bool) throws {
        let set = try ruleSet(
            rule(
                pattern: "PHOTO",
                extra: """
                      context:
                        pattern: '(?-i:DB)'
                        window: 3
                        within: 10m
                    """))
        let report = ExportMatcher(ruleSet: set).match(
            timed(["PHOTO", "that's the DB"], minutesApart: [minutes]), scratch: try MatchScratch())
        #expect(report.hits.isEmpty == !alerts)
    }

    @Test func aLongSilenceEndsTheConversationFlow() throws {
        // No `within`: neighbours by count, but never across more than an hour of silence.
        let set = try ruleSet(
            rule(
                pattern: "PHOTO",
                extra: """
                      context:
                        pattern: 'scene'
                        window: 2
                    """))
        let matcher = ExportMatcher(ruleSet: set)
        let close = matcher.match(
            timed(["at the scene", "ok", "PHOTO"], minutesApart: [5, 5]), scratch: try MatchScratch())
        let apart = matcher.match(
            timed(["at the scene", "ok", "PHOTO"], minutesApart: [5, 90]), scratch: try MatchScratch())
        #expect(close.hits.count == 1)
        #expect(apart.hits.isEmpty)
    }

    @Test func unlessCancelsAMatchAndContextRaiseOnlyRaisesConfidence() throws {
        let set = try ruleSet(
            rule(
                pattern: #"\bslur\b"#,
                extra: """
                      confidence: low
                      context:
                        pattern: 'lol'
                        effect: raise
                      unless:
                        pattern: 'report it'
                    """))
        let report = ExportMatcher(ruleSet: set).match(
            messages(["slur", "slur lol", "calling someone a slur is wrong, report it"]), scratch: try MatchScratch())
        #expect(report.hits.map(\.messageIndex) == [0, 1])
        #expect(report.hits.map(\.confidence) == [.low, .medium])
    }

    @Test func aValidatorRaisesConfidence() throws {
        let set = try ruleSet(
            rule(pattern: #"\d{3} ?\d{3} ?\d{4}"#, extra: "  validate: [nhs-number]", match: "943 476 5919"))
        let report = ExportMatcher(ruleSet: set).match(
            messages(["943 476 5919", "943 476 5918"]), scratch: try MatchScratch())
        #expect(report.hits.map(\.messageIndex) == [0])
        #expect(report.hits.first?.confidence == .high)
    }

    @Test func timeBoundsInRuleFilesAreReadAndChecked() {
        let good = RuleFileParser.parse(
            rule(pattern: "x", extra: "  context: {pattern: 'y', within: 1h30m}"), path: "t.yml")
        #expect(good.problems.isEmpty)
        #expect(good.rules.first?.context?.within == .seconds(5400))
        #expect(good.rules.first?.context?.window == RuleContext.defaultTimedWindow)
        let bad = RuleFileParser.parse(
            rule(pattern: "x", extra: "  context: {pattern: 'y', within: soon}"), path: "t.yml")
        #expect(bad.problems.map(\.message).contains { $0.contains("'context.within' must be a time") })
    }

    /// The Swift features must be exactly the training script's: the shipped model scores these
    /// texts as `bench/train_conduct_model.py --score` does (its stdlib-only reference code).
    @Test func theShippedModelScoresAsTheTrainingScriptDoes() throws {
        let texts = [
            "women are too emotional to lead", "she's on nights this week", "Ünïcödé and emoji 😂 women's", "", "A",
            "It's 5AM, don't", "n1gg3r   spaced    out\ttabs\nnew line",
        ]
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let modelPath = repository.appendingPathComponent("rules/conduct-misogyny.model").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments =
            [
                "python3", repository.appendingPathComponent("bench/train_conduct_model.py").path, "-", modelPath,
                "--score",
            ]
            + texts
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let printed = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        let expected = printed.split(separator: "\n").compactMap { Double($0) }
        try #require(expected.count == texts.count, "\(printed)")
        let model = try LinearTextModel.parse(String(contentsOfFile: modelPath, encoding: .utf8), path: modelPath)
        var scratch = LinearTextModelScratch()
        for (text, probability) in zip(texts, expected) {
            #expect(abs(model.score(text, scratch: &scratch).probability - probability) < 1e-5, "\(text)")
        }
    }

    @Test func modelExplanationsAreMasked() {
        #expect(LinearTextModel.mask("w:whore") == "w:w****")
        #expect(LinearTextModel.mask("b:dumb bitch") == "b:d*** b****")
        #expect(LinearTextModel.mask("c: sl") == "c: s*")
    }
}
