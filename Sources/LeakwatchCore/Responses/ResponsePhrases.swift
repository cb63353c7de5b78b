import Foundation
import PCRE2
import Yams

/// The phrases that classify replies to an alert, from the `responses.phrases` file among the
/// rule directories (shipped in `rules/`, replaced by a file of the same name in
/// `/etc/leakwatch/rules.d`), with the window in which replies count and the file's own examples.
///
/// ```yaml
/// categories: [conduct, crime-scene-media]   # alerts of these categories get responses
/// window: {messages: 5, within: 10m}         # the next 5 messages, sent within 10 minutes
/// endorsement:
///   emoji: ["😂", "🤣", "👏"]                 # a reply made only of these
///   phrases: [lol, "haha*", send more]       # whole words, any case; `*` ends a word freely
///   patterns: ['\bl+o+l+\b']                 # PCRE2, caseless
/// challenge:
///   phrases: [not on, delete that]
/// examples:
///   endorsement: ['😂😂', 'lol class']
///   challenge: ['mate that''s not on']
///   neither: ['ok', 'on my way']
/// ```
///
/// A reply that reads as a challenge is a challenge even if it also laughs ("lol delete that").
public struct ResponsePhrases: Sendable {
    /// Categories whose alerts get responses (rules with `responses: true` get them too).
    public var categories: Set<RuleCategory>
    /// At most this many messages after the alerted one are looked at.
    public var windowMessages: Int
    /// And only those sent at most this long after it.
    public var windowTime: Duration
    public var endorsement: PhraseSet
    public var challenge: PhraseSet
    public var examples: [ResponseExample]
    /// The file the phrases came from.
    public var path: String

    /// One kind's phrases, compiled.
    public struct PhraseSet: Sendable {
        /// Emoji that, making up a whole reply (with spaces, skin tones, variation selectors),
        /// classify it.
        public var emoji: Set<Character>
        /// Phrases and patterns together, as one caseless PCRE2 pattern; nil when there are none.
        public var pattern: PCRE2Pattern?
        public var phraseCount: Int
    }

    /// A reply and the kind it must be classified as.
    public struct ResponseExample: Sendable, Hashable {
        public var text: String
        public var kind: ResponseKind
        public var location: SourceLocation
    }

    /// The file name looked for in the rule directories.
    public static let fileName = "responses.phrases"
    /// Example results of the phrases file carry rule ids `responses.endorsement`, ... .
    public static let resultPrefix = "responses."

    static let fields: Set<String> = ["categories", "window", "endorsement", "challenge", "examples"]

    /// Parses the phrases file `text` read from `path`.
    /// - Throws: every problem, as `file:line:column` rule problems.
    public static func parse(_ text: String, path: String, jit: Bool = true) throws(RuleProblemList) -> ResponsePhrases
    {
        var context = RuleFileParser.Context(path: path)
        context.currentRule = "responses"
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch {
            throw RuleProblemList(problems: [context.problem(for: error)])
        }
        guard case .mapping(let mapping)? = root else {
            throw RuleProblemList(problems: [
                RuleProblem(
                    location: SourceLocation(path: path, line: 1, column: 1), ruleID: "responses",
                    message:
                        "the phrases file must be a mapping with categories, window, endorsement, challenge, examples")
            ])
        }
        var categories: Set<RuleCategory> = [.conduct, .crimeSceneMedia]
        var windowMessages = 5
        var windowTime: Duration = .seconds(600)
        var kinds: [ResponseKind: PhraseSet] = [:]
        var examples: [ResponseExample] = []
        for (key, value) in mapping {
            switch key.string ?? "" {
            case "categories":
                categories = Set(context.enumList(value, field: "categories", as: RuleCategory.self))
            case "window":
                guard case .mapping(let window) = value else {
                    context.report(at: value, "'window' must be a mapping with messages and within")
                    continue
                }
                for (windowKey, windowValue) in window {
                    switch windowKey.string ?? "" {
                    case "messages":
                        if let number = windowValue.int, number >= 1, number <= 50 {
                            windowMessages = number
                        } else {
                            context.report(at: windowValue, "'messages' must be a whole number from 1 to 50")
                        }
                    case "within":
                        if let duration = windowValue.string.flatMap(DurationText.parse), duration > .zero {
                            windowTime = duration
                        } else {
                            context.report(at: windowValue, "'within' must be a duration such as 10m or 90s")
                        }
                    default:
                        context.report(at: windowKey, "unknown field '\(windowKey.string ?? "?")' (messages, within)")
                    }
                }
            case "endorsement", "challenge":
                let kind: ResponseKind = key.string == "endorsement" ? .endorsement : .challenge
                kinds[kind] = phraseSet(value, kind: kind, context: &context, jit: jit)
            case "examples":
                guard case .mapping(let byKind) = value else {
                    context.report(at: value, "'examples' must map endorsement, challenge and neither to replies")
                    continue
                }
                for (kindKey, list) in byKind {
                    guard let kind = kindKey.string.flatMap(ResponseKind.init(rawValue:)) else {
                        context.report(
                            at: kindKey,
                            "unknown example kind '\(kindKey.string ?? "?")' (endorsement, challenge, neither)")
                        continue
                    }
                    for item in context.stringList(list, field: "examples") {
                        examples.append(ResponseExample(text: item.value, kind: kind, location: item.location))
                    }
                }
            default:
                context.report(
                    at: key,
                    "unknown field '\(key.string ?? "?")' (one of: \(fields.sorted().joined(separator: ", ")))")
            }
        }
        guard context.problems.isEmpty else { throw RuleProblemList(problems: context.problems) }
        let empty = PhraseSet(emoji: [], pattern: nil, phraseCount: 0)
        return ResponsePhrases(
            categories: categories, windowMessages: windowMessages, windowTime: windowTime,
            endorsement: kinds[.endorsement] ?? empty, challenge: kinds[.challenge] ?? empty, examples: examples,
            path: path)
    }

    private static func phraseSet(
        _ node: Node, kind: ResponseKind, context: inout RuleFileParser.Context, jit: Bool
    ) -> PhraseSet {
        var emoji = Set<Character>()
        // Phrases share their start (not inside a word), looked at once per position; patterns
        // are taken as written.
        var phrases: [String] = []
        var patterns: [String] = []
        guard case .mapping(let mapping) = node else {
            context.report(at: node, "'\(kind.rawValue)' must be a mapping with emoji, phrases and patterns")
            return PhraseSet(emoji: [], pattern: nil, phraseCount: 0)
        }
        for (key, value) in mapping {
            switch key.string ?? "" {
            case "emoji":
                for item in context.stringList(value, field: "emoji") {
                    let characters = item.value.filter { !$0.isWhitespace }
                    guard characters.count == 1, let character = characters.first else {
                        context.report(at: item.location, "each emoji entry must be one emoji, got '\(item.value)'")
                        continue
                    }
                    emoji.insert(character)
                }
            case "phrases":
                for item in context.stringList(value, field: "phrases") {
                    let phrase = item.value.trimmingCharacters(in: .whitespaces)
                    guard !phrase.isEmpty, phrase != "*" else {
                        context.report(at: item.location, "empty phrase")
                        continue
                    }
                    phrases.append(phrasePattern(phrase))
                }
            case "patterns":
                for item in context.stringList(value, field: "patterns") {
                    do {
                        _ = try PCRE2Pattern(item.value, options: [.caseless, .unicodeProperties], jit: false)
                        patterns.append("(?:\(item.value))")
                    } catch {
                        context.report(at: item.location, "pattern does not compile: \(error)")
                    }
                }
            default:
                context.report(at: key, "unknown field '\(key.string ?? "?")' (emoji, phrases, patterns)")
            }
        }
        var alternatives = patterns
        if !phrases.isEmpty { alternatives.insert(phraseStart + "(?:" + phrases.joined(separator: "|") + ")", at: 0) }
        var pattern: PCRE2Pattern?
        if !alternatives.isEmpty {
            do {
                pattern = try PCRE2Pattern(
                    alternatives.joined(separator: "|"), options: [.caseless, .unicodeProperties], jit: jit)
            } catch {
                context.report(at: node, "the \(kind.rawValue) phrases do not compile together: \(error)")
            }
        }
        return PhraseSet(emoji: emoji, pattern: pattern, phraseCount: phrases.count + patterns.count)
    }

    /// Where a phrase may start: not inside a word.
    static let phraseStart = "(?<![\\w'\u{2019}])"

    /// A phrase as a pattern, after `phraseStart`: its words in order, any run of spaces between
    /// them, apostrophes straight or curly, not running into a longer word; a final `*` lets the
    /// last word run on.
    static func phrasePattern(_ phrase: String) -> String {
        var text = phrase
        var open = false
        if text.hasSuffix("*") {
            open = true
            text.removeLast()
        }
        let words = text.split(whereSeparator: { $0 == " " }).map { word in
            word.split(separator: "'", omittingEmptySubsequences: false).map { PCRE2Pattern.escape(String($0)) }
                .joined(separator: "['\u{2019}]?")
        }
        return words.joined(separator: "\\s+") + (open ? "\\w*" : "(?![\\w'\u{2019}])")
    }
}

/// Several rule problems, thrown together.
public struct RuleProblemList: Error, Sendable {
    public var problems: [RuleProblem]
}
