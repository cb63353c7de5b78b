import Crypto
import Vectorscan

/// Where compiled prefilter databases are kept between runs (compiling takes far longer than
/// reading one back). Implementations do the I/O; the core only asks and offers.
public protocol PrefilterDatabaseCache: Sendable {
    /// The bytes stored under `key`, if any.
    func load(_ key: String) -> [UInt8]?
    /// Stores `bytes` under `key`; failures are the cache's own business.
    func store(_ key: String, _ bytes: [UInt8])
}

/// The multi-pattern prefilter of a rule set: one Vectorscan database per field (and rewriting of
/// it) holding an approximation of every pattern and keyword list that runs on that field
/// (contexts and `unless` patterns are looked for only around hits). One scan of a field's buffer says which messages each of them could match
/// in; PCRE2, the engine of record, then runs only there, on each such message alone.
///
/// The approximations are supersets (`HS_FLAG_PREFILTER`, `^`/`$` at every line, `\A`/`\z` as
/// `^`/`$`, `\K` dropped: the end of every match is still reported), so a message a pattern matches
/// is always a candidate. An expression Vectorscan cannot take at all is left out and marked
/// `unfiltered`: its rule then runs on every message, as without a prefilter.
public final class RulePrefilter: Sendable {
    /// What an expression of the prefilter stands for.
    public enum Role: Sendable, Hashable {
        case pattern
        case keywords
    }

    /// One expression: which rule, in which role, on which field buffer.
    struct Entry: Sendable, Hashable {
        var rule: Int
        var role: Role
        var key: FieldCorpus.Key
    }

    /// The entries, indexed by expression id.
    let entries: [Entry]
    /// Entry ids by rule, role and field buffer, for the entries Vectorscan took.
    let entryIDs: [EntryKey: Int]

    struct EntryKey: Hashable, Sendable {
        var rule: Int
        var role: Role
        var key: FieldCorpus.Key
    }
    /// One database per field buffer that has filtered expressions.
    let databases: [FieldCorpus.Key: VectorscanDatabase]
    /// Rules and roles Vectorscan could not take, with its reason.
    public let unfiltered: [(ruleID: String, role: Role, reason: String)]

    /// Builds the prefilter for `rules`; never fails (what cannot be filtered runs unfiltered).
    init(rules: [CompiledRule], cache: (any PrefilterDatabaseCache)? = nil) {
        var entries: [Entry] = []
        var expressionsByKey: [FieldCorpus.Key: [VectorscanExpression]] = [:]
        var unfiltered: [(String, Role, String)] = []
        func add(_ rule: CompiledRule, _ role: Role, key: FieldCorpus.Key, expression: VectorscanExpression) {
            var expression = expression
            expression.id = UInt32(entries.count)
            entries.append(Entry(rule: rule.index, role: role, key: key))
            expressionsByKey[key, default: []].append(expression)
        }
        for rule in rules {
            let definition = rule.definition
            // The pattern goes in as its required literals; when it has none, as an approximation,
            // unless the rule's keywords already filter it (they are exact and cheaper).
            let literal = Self.literalExpression(definition.pattern, definition.options)
            if Self.hasVerb(definition.pattern) {
                if definition.keywords.isEmpty {
                    unfiltered.append((definition.id, .pattern, Self.verbReason))
                }
            } else if literal != nil || definition.keywords.isEmpty {
                for field in definition.appliesTo {
                    let key = FieldCorpus.Key(field: field, normalization: definition.normalize)
                    add(
                        rule, .pattern, key: key,
                        expression: literal ?? Self.approximation(definition.pattern, definition.options))
                }
            }
            if !definition.keywords.isEmpty {
                for field in Set(definition.appliesTo + [.text]).sorted(by: { $0.sortKey < $1.sortKey }) {
                    let key = FieldCorpus.Key(field: field, normalization: definition.normalize)
                    add(rule, .keywords, key: key, expression: Self.keywordExpression(definition.keywords))
                }
            }
            // Contexts and `unless` patterns are not in it: they are looked for only around a
            // rule's hits (`ExportMatcher`), a few messages, where a scan of every buffer for
            // them cost more than all the rules' own patterns.
        }
        // One database per field buffer. Vectorscan names the first expression it refuses: try it
        // without anchors, else leave it out (unfiltered), and compile the rest again.
        var databases: [FieldCorpus.Key: VectorscanDatabase] = [:]
        var filteredIDs = Set<Int>()
        for (key, initial) in expressionsByKey {
            let cacheKey = Self.cacheKey(initial)
            if let bytes = cache?.load(cacheKey), let database = try? VectorscanDatabase(serialized: bytes) {
                databases[key] = database
                filteredIDs.formUnion(initial.map { Int($0.id) })
                continue
            }
            var expressions = initial
            while !expressions.isEmpty {
                do {
                    let database = try VectorscanDatabase(expressions)
                    databases[key] = database
                    filteredIDs.formUnion(expressions.map { Int($0.id) })
                    // Only a set that compiled whole is stored: its key says what is in it.
                    if expressions == initial, let bytes = database.serialized() { cache?.store(cacheKey, bytes) }
                    break
                } catch {
                    guard let index = error.expression, index < expressions.count else {
                        for expression in expressions {
                            let entry = entries[Int(expression.id)]
                            unfiltered.append((rules[entry.rule].id, entry.role, error.message))
                        }
                        break
                    }
                    let expression = expressions[index]
                    let relaxed = Self.relaxed(expression.pattern, droppingAnchors: true)
                    if relaxed != expression.pattern, expression.flags.contains(.prefilter) {
                        expressions[index].pattern = relaxed
                    } else {
                        let entry = entries[Int(expression.id)]
                        unfiltered.append((rules[entry.rule].id, entry.role, error.message))
                        expressions.remove(at: index)
                    }
                }
            }
        }
        var entryIDs: [EntryKey: Int] = [:]
        for (id, entry) in entries.enumerated() where filteredIDs.contains(id) {
            entryIDs[EntryKey(rule: entry.rule, role: entry.role, key: entry.key)] = id
        }
        self.entries = entries
        self.entryIDs = entryIDs
        self.databases = databases
        self.unfiltered = unfiltered
    }

    /// What a stored database is known by: the Vectorscan version and every expression in it.
    static func cacheKey(_ expressions: [VectorscanExpression]) -> String {
        var text = "leakwatch-prefilter-1\u{1E}" + VectorscanDatabase.version
        for expression in expressions {
            text += "\u{1E}\(expression.id)\u{1F}\(expression.flags.rawValue)\u{1F}" + expression.pattern
        }
        return IdentityHash.hex(SHA256.hash(data: Array(text.utf8)), bytes: 16)
    }

    /// The expression id of `rule` in `role` on the buffer `key`, when Vectorscan took it.
    func entryID(rule: Int, role: Role, key: FieldCorpus.Key) -> Int? {
        entryIDs[EntryKey(rule: rule, role: role, key: key)]
    }

    static let verbReason = "a (*VERB) in the pattern"

    /// Whether `pattern` holds a PCRE2 verb or start-of-pattern option (`(*UTF)`, `(*UCP)`,
    /// `(*SKIP)`, `(*LIMIT_MATCH=n)`, ...): neither the literal extraction nor the approximation
    /// reads them, and some (`(*UCP)`) widen what the pattern matches, so such a pattern is never
    /// filtered (it runs on every message).
    static func hasVerb(_ pattern: String) -> Bool {
        var escaped = false
        var previous: Character?
        for character in pattern {
            if escaped {
                escaped = false
                previous = nil
                continue
            }
            if character == "\\" {
                escaped = true
            } else if character == "*", previous == "(" {
                return true
            }
            previous = character
        }
        return false
    }

    /// A rule pattern as a Vectorscan expression for the prefilter: the literals every match must
    /// contain one of (`RequiredLiterals`), searched for as they are; else a superset of the
    /// pattern's matches (`relaxed`, compiled with `HS_FLAG_PREFILTER`).
    static func expression(_ pattern: String, _ options: [RuleOption]) -> VectorscanExpression {
        literalExpression(pattern, options) ?? approximation(pattern, options)
    }

    /// The pattern's required literals as one caseless literal alternation, when it has a good set.
    static func literalExpression(_ pattern: String, _ options: [RuleOption]) -> VectorscanExpression? {
        guard !options.contains(.extended),
            let literals = RequiredLiterals.of(pattern, caseless: options.contains(.caseless))
        else { return nil }
        return VectorscanExpression(
            pattern: literals.sorted().map(literal).joined(separator: "|"), flags: [.caseless, .utf8], id: 0)
    }

    /// How `rule`'s pattern is prefiltered, for `rules list` and `rules check`.
    public func describe(_ rule: CompiledRule) -> String {
        let definition = rule.definition
        let keywords = definition.keywords.isEmpty ? "" : ", keywords (\(definition.keywords.count))"
        let key = FieldCorpus.Key(field: definition.appliesTo.first ?? .text, normalization: definition.normalize)
        guard entryID(rule: rule.index, role: .pattern, key: key) != nil else {
            return definition.keywords.isEmpty
                ? "none: runs on every message" : "keywords (\(definition.keywords.count))"
        }
        if let literals = RequiredLiterals.of(definition.pattern, caseless: definition.options.contains(.caseless)),
            !definition.options.contains(.extended)
        {
            return "literals (\(literals.count), shortest \(literals.map(\.count).min() ?? 0))\(keywords)"
        }
        return "approximation\(keywords)"
    }

    /// A superset of the pattern's matches on one message, scanned over messages separated by `\n`.
    static func approximation(_ pattern: String, _ options: [RuleOption]) -> VectorscanExpression {
        var flags: VectorscanFlags = [.prefilter, .utf8, .multiline, .allowEmpty]
        for option in options {
            switch option {
            case .caseless: flags.insert(.caseless)
            case .dotall: flags.insert(.dotAll)
            case .ucp: flags.insert(.unicodeProperties)
            case .multiline, .ungreedy: break
            case .extended: break
            }
        }
        var text = relaxed(pattern)
        if options.contains(.extended) { text = "(?x)" + text }
        return VectorscanExpression(pattern: text, flags: flags, id: 0)
    }

    /// Keywords as one caseless literal alternation (exact, no approximation needed).
    static func keywordExpression(_ keywords: [String]) -> VectorscanExpression {
        let alternation = keywords.map(literal).joined(separator: "|")
        return VectorscanExpression(pattern: alternation, flags: [.caseless, .utf8], id: 0)
    }

    /// A superset of `pattern` that Vectorscan compiles quickly and exactly enough to filter with:
    /// - lookaround groups, `\K`, `\b`, `\B` and `\G` are dropped (zero-width: fewer constraints);
    /// - `\A` and `\z`/`\Z` become `^` and `$` (compiled with `^`/`$` at every line), or go with
    ///   `droppingAnchors`, which removes `^` and `$` too;
    /// - Unicode property escapes (`\p{L}`, `\P{N}`, `\X`) and classes holding them become
    ///   `(?s:.)`, any character: costly in UTF-8 mode, and only a filter;
    /// - bounded repeats with a wide upper bound (`.{0,60}`, `(?:\W+\w+){0,12}`) open up (`{m,}`).
    /// Every end offset the pattern can match at on a message alone is still matched.
    static func relaxed(_ pattern: String, droppingAnchors: Bool = false) -> String {
        let characters = Array(pattern)
        var index = 0
        func relax(until closing: Character?) -> String {
            var out = ""
            while index < characters.count {
                let character = characters[index]
                if let closing, character == closing { return out }
                switch character {
                case "\\":
                    guard index + 1 < characters.count else {
                        out.append(character)
                        index += 1
                        continue
                    }
                    let next = characters[index + 1]
                    index += 2
                    switch next {
                    case "K", "b", "B", "G": break
                    case "A": if !droppingAnchors { out.append("^") }
                    case "z", "Z": if !droppingAnchors { out.append("$") }
                    case "p", "P":
                        // \pL or \p{...}
                        if index < characters.count, characters[index] == "{" {
                            while index < characters.count, characters[index] != "}" { index += 1 }
                        }
                        index += 1
                        out += "(?s:.)"
                    case "X": out += "(?s:.)"
                    default:
                        out.append("\\")
                        out.append(next)
                    }
                case "[":
                    let classStart = index
                    index += 1
                    if index < characters.count, characters[index] == "^" { index += 1 }
                    if index < characters.count, characters[index] == "]" { index += 1 }
                    var hasProperty = false
                    while index < characters.count, characters[index] != "]" {
                        if characters[index] == "\\", index + 1 < characters.count {
                            if characters[index + 1] == "p" || characters[index + 1] == "P" { hasProperty = true }
                            index += 2
                        } else if characters[index] == "[", index + 1 < characters.count, characters[index + 1] == ":" {
                            // A POSIX class such as [:alpha:] inside.
                            index += 2
                            while index < characters.count, characters[index] != "]" { index += 1 }
                            index += 1
                        } else {
                            index += 1
                        }
                    }
                    index += 1
                    out += hasProperty ? "(?s:.)" : String(characters[classStart..<min(index, characters.count)])
                case "(":
                    let rest = characters[index...]
                    let isLookaround =
                        rest.starts(with: ["(", "?", "="]) || rest.starts(with: ["(", "?", "!"])
                        || rest.starts(with: ["(", "?", "<", "="]) || rest.starts(with: ["(", "?", "<", "!"])
                    index += 1
                    let inner = relax(until: ")")
                    index += 1
                    if !isLookaround { out += "(" + inner + ")" }
                case "^", "$":
                    if !droppingAnchors { out.append(character) }
                    index += 1
                case "{":
                    // `{m,n}` with n - m large becomes `{m,}`.
                    var end = index + 1
                    while end < characters.count, characters[end] != "}" { end += 1 }
                    let parts = String(characters[(index + 1)..<min(end, characters.count)]).split(
                        separator: ",", omittingEmptySubsequences: false)
                    if end < characters.count, parts.count == 2, let lower = Int(parts[0]), let upper = Int(parts[1]),
                        upper - lower > 6
                    {
                        out += "{\(lower),}"
                        index = end + 1
                    } else {
                        out.append(character)
                        index += 1
                    }
                default:
                    out.append(character)
                    index += 1
                }
            }
            return out
        }
        return relax(until: nil)
    }

    /// A literal for a Vectorscan pattern: ASCII other than letters and digits written `\xHH`,
    /// everything else as it is (UTF-8 mode).
    static func literal(_ text: String) -> String {
        let digits = Array("0123456789abcdef")
        var out = ""
        for scalar in text.unicodeScalars {
            let value = scalar.value
            let isPlain =
                (value >= 0x30 && value <= 0x39) || (value >= 0x41 && value <= 0x5A) || (value >= 0x61 && value <= 0x7A)
                || value >= 0x80
            if isPlain {
                out.unicodeScalars.append(scalar)
            } else {
                out += "\\x" + String(digits[Int(value >> 4)]) + String(digits[Int(value & 0x0F)])
            }
        }
        return out
    }
}
