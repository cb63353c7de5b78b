/// The literals a pattern's every match must contain one of, read from the pattern's text: ripgrep's
/// trick for finding where a regular expression can match without running it.
///
/// `\b(?:crime|custody)\s*ref\b` needs `ref`; `(?:slut|slag|whore)s?` needs one of `slut`, `slag`,
/// `whore`. A pattern with no such literals (`\d{5}`, `.*`) has none: `nil`.
///
/// The reading is conservative: anything it does not understand (back-references, conditionals,
/// Unicode properties, wide classes) counts as "could be anything", which can only make the set
/// weaker, never wrong. Under `caseless` the literals are lower-cased and must be searched for
/// caselessly.
enum RequiredLiterals {
    /// At most this many literals in a set; more and the set is dropped.
    static let maxLiterals = 256
    /// Exact sets (every string a piece can match) are kept up to this size and length.
    static let maxExact = 64
    static let maxExactLength = 40

    /// What a piece of a pattern can match.
    struct Facts {
        /// Every string the piece can match, when few and short; nil when unknown or too many.
        var exact: Set<String>?
        /// Strings one of which every match of the piece contains; nil when none is known.
        var required: Set<String>?

        static let anything = Facts(exact: nil, required: nil)
        static let empty = Facts(exact: [""], required: nil)
    }

    /// The required literals of `pattern`, or nil when it has no useful set: every literal at least
    /// `minimumLength` characters, at most `maxLiterals` of them.
    static func of(_ pattern: String, caseless: Bool, minimumLength: Int = 3) -> Set<String>? {
        var parser = Parser(characters: Array(pattern), caseless: caseless)
        guard let facts = parser.parseAlternation(), parser.index == parser.characters.count else { return nil }
        let set = facts.required ?? facts.exact
        guard let set, !set.isEmpty, set.count <= maxLiterals,
            set.allSatisfy({ $0.count >= minimumLength })
        else { return nil }
        return set
    }

    /// How good a literal set is as a filter: longer shortest literal first, then fewer literals.
    static func score(_ set: Set<String>) -> (Int, Int) {
        (set.map(\.count).min() ?? 0, -set.count)
    }

    static func better(_ a: Set<String>?, _ b: Set<String>?) -> Set<String>? {
        guard let a, !a.isEmpty, !a.contains("") else { return b.flatMap { $0.contains("") ? nil : $0 } }
        guard let b, !b.isEmpty, !b.contains("") else { return a }
        return score(a) >= score(b) ? a : b
    }

    static func concatenate(_ a: Set<String>?, _ b: Set<String>?) -> Set<String>? {
        guard let a, let b, a.count * b.count <= maxExact else { return nil }
        var out = Set<String>()
        for x in a {
            for y in b {
                let joined = x + y
                guard joined.count <= maxExactLength else { return nil }
                out.insert(joined)
            }
        }
        return out
    }

    struct Parser {
        let characters: [Character]
        var caseless: Bool
        var index = 0

        init(characters: [Character], caseless: Bool) {
            self.characters = characters
            self.caseless = caseless
        }

        var atEnd: Bool { index >= characters.count }
        var current: Character? { atEnd ? nil : characters[index] }

        /// `a|b|c` up to `)` or the end.
        mutating func parseAlternation() -> Facts? {
            var branches: [Facts] = []
            let savedCaseless = caseless
            while true {
                guard let branch = parseConcatenation() else { return nil }
                branches.append(branch)
                if current == "|" {
                    index += 1
                    continue
                }
                break
            }
            caseless = savedCaseless
            if branches.count == 1 { return branches[0] }
            var exact: Set<String>? = []
            var required: Set<String>? = []
            for branch in branches {
                if let branchExact = branch.exact, let sofar = exact, sofar.count + branchExact.count <= maxExact {
                    exact = sofar.union(branchExact)
                } else {
                    exact = nil
                }
                // Each branch must bring a literal (its required set, or its exact strings).
                let literals = RequiredLiterals.better(branch.required, branch.exact)
                if let literals, let sofar = required {
                    required = sofar.union(literals)
                } else {
                    required = nil
                }
            }
            if let set = required, set.count > maxLiterals { required = nil }
            return Facts(exact: exact, required: required)
        }

        /// A sequence of quantified atoms up to `|`, `)` or the end.
        mutating func parseConcatenation() -> Facts? {
            // `exact` is the run of exactly known pieces being built; `whole` says whether it
            // covers the concatenation from its start (only then is it the concatenation's exact set).
            var exact: Set<String>? = [""]
            var whole = true
            var best: Set<String>?
            while let character = current, character != "|", character != ")" {
                guard var atom = parseAtom() else { return nil }
                atom = applyQuantifier(to: atom)
                best = RequiredLiterals.better(best, atom.required)
                if let joined = RequiredLiterals.concatenate(exact, atom.exact) {
                    exact = joined
                } else {
                    // The run of exact pieces so far is itself required; start a new run.
                    best = RequiredLiterals.better(best, exact)
                    exact = atom.exact
                    whole = false
                }
            }
            best = RequiredLiterals.better(best, exact)
            return Facts(exact: whole ? exact : nil, required: best)
        }

        mutating func applyQuantifier(to atom: Facts) -> Facts {
            guard let character = current else { return atom }
            var minimum = 1
            var maximum: Int? = 1
            switch character {
            case "*":
                minimum = 0
                maximum = nil
                index += 1
            case "+":
                maximum = nil
                index += 1
            case "?":
                minimum = 0
                index += 1
            case "{":
                var end = index + 1
                while end < characters.count, characters[end] != "}" { end += 1 }
                let body = String(characters[(index + 1)..<min(end, characters.count)])
                let parts = body.split(separator: ",", omittingEmptySubsequences: false)
                guard end < characters.count, let low = Int(parts.first ?? ""), parts.count <= 2 else {
                    return atom  // a literal `{`
                }
                minimum = low
                maximum = parts.count == 1 ? low : Int(parts[1])
                index = end + 1
            default:
                return atom
            }
            // Lazy or possessive marker.
            if current == "?" || current == "+" { index += 1 }
            if minimum == 0 {
                if maximum == 1, let exact = atom.exact, exact.count < RequiredLiterals.maxExact {
                    return Facts(exact: exact.union([""]), required: nil)
                }
                return .empty.withExact(nil)
            }
            if maximum == 1 { return atom }
            // At least once: what it requires stays required; its exact strings do not stay exact.
            return Facts(exact: nil, required: RequiredLiterals.better(atom.required, atom.exact))
        }

        mutating func literal(_ character: Character) -> Facts {
            let text = caseless ? String(character).lowercased() : String(character)
            return Facts(exact: [text], required: [text])
        }

        /// One atom: a character, an escape, a class, a group.
        mutating func parseAtom() -> Facts? {
            guard let character = current else { return nil }
            switch character {
            case "\\":
                return parseEscape()
            case "[":
                return parseClass()
            case "(":
                return parseGroup()
            case ".":
                index += 1
                return .anything
            case "^", "$":
                index += 1
                return .empty
            default:
                index += 1
                return literal(character)
            }
        }

        mutating func parseEscape() -> Facts? {
            index += 1
            guard let next = current else { return nil }
            index += 1
            switch next {
            case "b", "B", "A", "z", "Z", "G", "K":
                return .empty
            case "d", "D", "w", "W", "s", "S", "h", "H", "v", "V", "R", "N", "X", "C":
                return .anything
            case "p", "P":
                if current == "{" {
                    while let c = current, c != "}" { index += 1 }
                    index += 1
                } else {
                    index += 1
                }
                return .anything
            case "x":
                var hex = ""
                if current == "{" {
                    index += 1
                    while let c = current, c != "}" {
                        hex.append(c)
                        index += 1
                    }
                    index += 1
                } else {
                    for _ in 0..<2 where current?.isHexDigit == true {
                        hex.append(current!)
                        index += 1
                    }
                }
                guard let value = UInt32(hex, radix: 16), let scalar = Unicode.Scalar(value) else { return .anything }
                return literal(Character(scalar))
            case "n": return literal("\n")
            case "t": return literal("\t")
            case "r": return literal("\r")
            case "Q":
                // \Q...\E: literal text.
                var text = ""
                while !atEnd {
                    if current == "\\", index + 1 < characters.count, characters[index + 1] == "E" {
                        index += 2
                        break
                    }
                    text.append(current!)
                    index += 1
                }
                let value = caseless ? text.lowercased() : text
                return Facts(exact: [value], required: value.isEmpty ? nil : [value])
            default:
                if next.isNumber || next == "k" || next == "g" { return nil }  // back-reference: give up
                return literal(next)
            }
        }

        /// `[...]`: a small class of plain characters is exact; anything wider is "anything".
        mutating func parseClass() -> Facts? {
            index += 1
            var negated = false
            if current == "^" {
                negated = true
                index += 1
            }
            var members: [Character] = []
            var wide = negated
            var first = true
            while let character = current, character != "]" || first {
                first = false
                if character == "\\" {
                    index += 1
                    guard let next = current else { return nil }
                    index += 1
                    switch next {
                    case "d", "D", "w", "W", "s", "S", "h", "H", "v", "V", "p", "P":
                        wide = true
                        if (next == "p" || next == "P") && current == "{" {
                            while let c = current, c != "}" { index += 1 }
                            index += 1
                        }
                    case "x":
                        wide = true
                        if current == "{" {
                            while let c = current, c != "}" { index += 1 }
                            index += 1
                        }
                    case "n": members.append("\n")
                    case "t": members.append("\t")
                    default: members.append(next)
                    }
                    continue
                }
                if character == "[" && index + 1 < characters.count && characters[index + 1] == ":" {
                    wide = true
                    while let c = current, c != "]" { index += 1 }
                    index += 1
                    continue
                }
                if index + 2 < characters.count, characters[index + 1] == "-", characters[index + 2] != "]" {
                    // A range: small ASCII ranges are spelled out, others are wide.
                    let low = character
                    let high = characters[index + 2]
                    index += 3
                    guard let lowValue = low.unicodeScalars.first?.value,
                        let highValue = high.unicodeScalars.first?.value, highValue >= lowValue,
                        highValue - lowValue < 10
                    else {
                        wide = true
                        continue
                    }
                    for value in lowValue...highValue {
                        if let scalar = Unicode.Scalar(value) { members.append(Character(scalar)) }
                    }
                    continue
                }
                members.append(character)
                index += 1
            }
            guard current == "]" else { return nil }
            index += 1
            if wide || members.isEmpty || members.count > 12 { return .anything }
            let strings = Set(members.map { caseless ? String($0).lowercased() : String($0) })
            return Facts(exact: strings, required: strings)
        }

        /// `(...)`, `(?:...)`, `(?i)`, `(?-i:...)`, lookaround (zero-width: no requirement).
        mutating func parseGroup() -> Facts? {
            index += 1
            var isLookaround = false
            let savedCaseless = caseless
            if current == "?" {
                index += 1
                guard let kind = current else { return nil }
                switch kind {
                case ":", ">", "|":
                    index += 1
                case "=", "!":
                    isLookaround = true
                    index += 1
                case "<":
                    index += 1
                    if current == "=" || current == "!" {
                        isLookaround = true
                        index += 1
                    } else {
                        // Named group (?<name>...).
                        while let c = current, c != ">" { index += 1 }
                        index += 1
                    }
                case "P", "'":
                    return nil
                default:
                    // Inline flags: (?i) (?-i) (?i:...) (?x) ...
                    var flags = ""
                    while let c = current, c != ")" && c != ":" {
                        flags.append(c)
                        index += 1
                    }
                    guard let terminator = current else { return nil }
                    index += 1
                    let turnsOff = flags.contains("-")
                    let parts = flags.split(separator: "-", omittingEmptySubsequences: false)
                    if flags.contains("x") { return nil }  // extended mode: too different to read
                    if parts.first?.contains("i") == true { caseless = true }
                    if turnsOff, parts.count > 1, parts[1].contains("i") { caseless = false }
                    if terminator == ")" {
                        // Applies to the rest of the enclosing group.
                        return .empty
                    }
                }
            }
            guard let inner = parseAlternation(), current == ")" else { return nil }
            index += 1
            caseless = savedCaseless
            return isLookaround ? .empty : inner
        }
    }
}

extension RequiredLiterals.Facts {
    func withExact(_ exact: Set<String>?) -> Self {
        var copy = self
        copy.exact = exact
        return copy
    }
}
