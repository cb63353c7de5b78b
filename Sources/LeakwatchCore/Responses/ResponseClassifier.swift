import PCRE2

/// Classifies replies with a `ResponsePhrases`. One per worker (it owns PCRE2 match data).
public final class ResponseClassifier {
    public let phrases: ResponsePhrases
    private let scratch: PCRE2Scratch

    /// - Returns: nil only when PCRE2 cannot allocate match data.
    public init?(_ phrases: ResponsePhrases) {
        guard let scratch = PCRE2Scratch() else { return nil }
        self.phrases = phrases
        self.scratch = scratch
    }

    /// The kind of a reply: a challenge wins over an endorsement.
    public func classify(_ text: String) -> ResponseKind {
        if matches(phrases.challenge, text) { return .challenge }
        if matches(phrases.endorsement, text) { return .endorsement }
        return .neither
    }

    private func matches(_ set: ResponsePhrases.PhraseSet, _ text: String) -> Bool {
        if !set.emoji.isEmpty, Self.isOnly(set.emoji, text) { return true }
        guard let pattern = set.pattern else { return false }
        if case .match = scratch.firstMatch(of: pattern, in: text) { return true }
        return false
    }

    /// Whether `text` is made only of `emoji` (at least one), white space, skin tones, variation
    /// selectors and joiners.
    static func isOnly(_ emoji: Set<Character>, _ text: String) -> Bool {
        var sawOne = false
        for character in text {
            if character.isWhitespace { continue }
            if emoji.contains(character) || emoji.contains(Self.bare(character)) {
                sawOne = true
                continue
            }
            return false
        }
        return sawOne
    }

    /// The character without skin-tone modifiers and variation selectors (`👏🏽` → `👏`).
    static func bare(_ character: Character) -> Character {
        var scalars = String.UnicodeScalarView()
        for scalar in character.unicodeScalars {
            switch scalar.value {
            case 0x1F3FB...0x1F3FF, 0xFE0E, 0xFE0F: continue
            default: scalars.append(scalar)
            }
        }
        return scalars.isEmpty ? character : Character(String(scalars))
    }

    /// Runs the phrases file's own examples.
    public func testExamples() -> [RuleExampleResult] {
        var results: [ResponseKind: RuleExampleResult] = [:]
        for example in phrases.examples {
            let id = ResponsePhrases.resultPrefix + example.kind.rawValue
            var result = results[example.kind] ?? RuleExampleResult(ruleID: id, passed: 0, failures: [])
            let found = classify(example.text)
            if found == example.kind {
                result.passed += 1
            } else {
                result.failures.append(
                    ExampleFailure(
                        ruleID: id, example: RuleExample(text: example.text, sourceLocation: example.location),
                        expectedMatch: true, error: "classified as \(found.rawValue)"))
            }
            results[example.kind] = result
        }
        return ResponseKind.allCases.compactMap { results[$0] }
    }
}
