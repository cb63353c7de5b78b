import ArgumentParser
import Foundation
import LeakwatchCore

/// The regex engine an exported pattern line is written for.
enum PatternEngine: String, CaseIterable, ExpressibleByArgument {
    /// PCRE2 as `pcre2grep -f` reads it: the rule's own pattern with its options inline.
    case pcre2
    /// The Rust `regex` crate, ripgrep's default engine.
    case rust
}

/// Writes a rule's PCRE2 pattern and options as one self-contained line for a grep tool.
///
/// For PCRE2 the pattern is kept as written and its options become `(*UTF)`, `(*UCP)` and an
/// inline flag group, so each line means on its own what the rule means with its options.
///
/// For the Rust engine the pattern is rewritten where Rust has an equivalent, keeping which lines
/// match: `\K` is dropped (it only moves the reported start), ASCII `\d \w \s \b` (PCRE2 without
/// `ucp`) become ASCII classes, `\h \v \R \N \Q...\E \e \cX \o{}` and octal escapes are spelled out,
/// `(?<name>` becomes `(?P<name>`, extended-mode whitespace and comments are removed, literal
/// punctuation is escaped only where Rust allows it, and `\A \z \Z` become line anchors (grep
/// tools match a line at a time). A pattern that needs what Rust lacks (lookaround,
/// backreferences, atomic groups, possessive quantifiers, recursion, conditionals, verbs, `\G`,
/// `\X`, `\C`, PCRE2-only properties) is refused with the reason. Known, rare differences remain:
/// Rust's `(?i)` also folds `\p{Lu}` and maps `k`/`s` to the Kelvin and long-s signs inside ASCII
/// classes, and Rust's Unicode `\w` is slightly wider than PCRE2's `ucp` one.
struct PatternExporter {
    /// Why a pattern could not be written for an engine.
    struct Refusal: Error, Equatable {
        /// A short, stable reason such as "lookbehind" (used to group the report).
        var reason: String
    }

    /// The pattern for `engine`, or why it cannot be written.
    static func line(pattern: String, options: [RuleOption], engine: PatternEngine) -> Result<String, Refusal> {
        switch engine {
        case .pcre2: return pcre2Line(pattern: pattern, options: options)
        case .rust:
            do throws(Refusal) {
                var translation = RustTranslation(pattern: pattern, options: options)
                return .success(try translation.translate())
            } catch {
                return .failure(error)
            }
        }
    }

    /// `(*UTF)(*UCP)(?imsxU)pattern`, with the pattern's own leading `(*...)` settings first.
    static func pcre2Line(pattern: String, options: [RuleOption]) -> Result<String, Refusal> {
        var body = Substring(pattern)
        var verbs = "(*UTF)"
        if options.contains(.ucp) { verbs += "(*UCP)" }
        // Start-of-pattern settings such as (*LIMIT_MATCH=1000) must stay before any flag group.
        while body.hasPrefix("(*"), let close = body.firstIndex(of: ")") {
            let verb = body[body.startIndex...close]
            let name = verb.dropFirst(2).dropLast()
            guard !name.isEmpty, name.allSatisfy({ $0.isUppercase || $0.isNumber || $0 == "_" || $0 == "=" }) else {
                break
            }
            verbs += verb
            body = body[body.index(after: close)...]
        }
        if body.contains(where: { $0 == "\n" || $0 == "\r" }) {
            // A line break would split the line; outside extended mode and \Q...\E it is a literal
            // character and can be written as an escape instead.
            let extended = options.contains(.extended) || body.contains("(?x") || body.contains("(?-x")
            if extended || body.contains("\\Q") { return .failure(Refusal(reason: "line break in the pattern")) }
            body = Substring(
                body.replacingOccurrences(of: "\n", with: "\\n").replacingOccurrences(of: "\r", with: "\\r"))
        }
        var flags = ""
        for (option, letter) in [
            (RuleOption.caseless, "i"), (.multiline, "m"), (.dotall, "s"), (.extended, "x"), (.ungreedy, "U"),
        ] where options.contains(option) {
            flags += letter
        }
        return .success(verbs + (flags.isEmpty ? "" : "(?\(flags))") + body)
    }
}

/// One PCRE2 pattern rewritten for the Rust `regex` crate (see `PatternExporter`).
private struct RustTranslation {
    let scalars: [Unicode.Scalar]
    let options: [RuleOption]
    /// Whether `\d \w \s \b` are Unicode-aware (`ucp`, or `(*UCP)` at the start).
    var unicodeClasses: Bool
    var position = 0
    var output = ""
    /// Extended mode (`x`) of each open group, innermost last.
    var extendedStack: [Bool]

    init(pattern: String, options: [RuleOption]) {
        scalars = Array(pattern.unicodeScalars)
        self.options = options
        unicodeClasses = options.contains(.ucp)
        extendedStack = [options.contains(.extended)]
    }

    typealias Refusal = PatternExporter.Refusal

    mutating func translate() throws(Refusal) -> String {
        var flags = ""
        for (option, letter) in [(RuleOption.caseless, "i"), (.multiline, "m"), (.dotall, "s"), (.ungreedy, "U")]
        where options.contains(option) {
            flags += letter
        }
        // (*UTF) and (*UCP) at the very start: Rust is always Unicode-aware.
        while peek(0) == "(" && peek(1) == "*" {
            let name = scalarsUntil(")", from: position + 2)
            switch name {
            case "UTF", "UTF8", "UCP":
                if name == "UCP" { unicodeClasses = true }
                position += name.unicodeScalars.count + 3
            default:
                throw Refusal(reason: "PCRE2 verb (*\(name))")
            }
        }
        while position < scalars.count {
            try translateItem()
        }
        return (flags.isEmpty ? "" : "(?\(flags))") + output
    }

    // MARK: - Outside a class

    private mutating func translateItem() throws(Refusal) {
        let character = scalars[position]
        if extendedStack.last == true {
            if character.properties.isPatternWhitespace {
                position += 1
                return
            }
            if character == "#" {
                while position < scalars.count && scalars[position] != "\n" { position += 1 }
                return
            }
        }
        switch character {
        case "\\":
            try translateEscape()
        case "[":
            try translateClass()
        case "(":
            try translateGroupOpening()
        case ")":
            position += 1
            if extendedStack.count > 1 { extendedStack.removeLast() }
            output += ")"
        case "*", "+", "?":
            position += 1
            output.unicodeScalars.append(character)
            try translateQuantifierSuffix()
        case "{":
            if let quantifier = countedQuantifier(at: position) {
                position += quantifier.unicodeScalars.count
                output += quantifier
                try translateQuantifierSuffix()
            } else {
                position += 1
                output += "\\{"
            }
        case ".", "^", "$", "|":
            position += 1
            output.unicodeScalars.append(character)
        default:
            position += 1
            appendLiteral(character)
        }
    }

    /// After a quantifier: `?` (lazy) is kept; `+` (possessive) has no Rust equivalent.
    private mutating func translateQuantifierSuffix() throws(Refusal) {
        if peek(0) == "+" { throw Refusal(reason: "possessive quantifier") }
        if peek(0) == "?" {
            position += 1
            output += "?"
        }
    }

    /// `{n}`, `{n,}` or `{n,m}` starting at `index`, as written; nil when PCRE2 reads a literal `{`.
    private func countedQuantifier(at index: Int) -> String? {
        var text = "{"
        var cursor = index + 1
        var digitsBefore = 0
        while cursor < scalars.count, scalars[cursor].properties.numericType == .decimal, scalars[cursor].isASCII {
            text.unicodeScalars.append(scalars[cursor])
            digitsBefore += 1
            cursor += 1
        }
        guard digitsBefore > 0, cursor < scalars.count else { return nil }
        if scalars[cursor] == "," {
            text += ","
            cursor += 1
            while cursor < scalars.count, scalars[cursor].isASCII, scalars[cursor].properties.numericType == .decimal {
                text.unicodeScalars.append(scalars[cursor])
                cursor += 1
            }
        }
        guard cursor < scalars.count, scalars[cursor] == "}" else { return nil }
        return text + "}"
    }

    private mutating func translateGroupOpening() throws(Refusal) {
        position += 1
        let inherited = extendedStack.last ?? false
        guard peek(0) == "?" || peek(0) == "*" else {
            extendedStack.append(inherited)
            output += "("
            return
        }
        if peek(0) == "*" {
            let name = scalarsUntil(")", from: position + 1)
            let lower = name.lowercased()
            if ["pla:", "plb:", "nla:", "nlb:", "positive_look", "negative_look", "napla:", "naplb:"].contains(where: {
                lower.hasPrefix($0)
            }) {
                throw Refusal(reason: lower.contains("b") ? "lookbehind" : "lookahead")
            }
            if lower.hasPrefix("atomic") { throw Refusal(reason: "atomic group") }
            throw Refusal(reason: "PCRE2 verb (*\(name))")
        }
        // "(?"
        let next = peek(1)
        switch next {
        case "#":
            while position < scalars.count && scalars[position] != ")" { position += 1 }
            position += 1
            return
        case ":":
            position += 2
            extendedStack.append(inherited)
            output += "(?:"
            return
        case "=", "!":
            throw Refusal(reason: "lookahead")
        case "<":
            if peek(2) == "=" || peek(2) == "!" { throw Refusal(reason: "lookbehind") }
            try translateNamedGroup(nameStart: position + 2, terminator: ">", inherited: inherited)
            return
        case "'":
            try translateNamedGroup(nameStart: position + 2, terminator: "'", inherited: inherited)
            return
        case "P":
            if peek(2) == "<" {
                try translateNamedGroup(nameStart: position + 3, terminator: ">", inherited: inherited)
                return
            }
            throw Refusal(reason: peek(2) == "=" ? "backreference" : "recursion or subroutine call")
        case ">": throw Refusal(reason: "atomic group")
        case "|": throw Refusal(reason: "branch reset group")
        case "(": throw Refusal(reason: "conditional group")
        case "C": throw Refusal(reason: "callout")
        case "R", "&", "+": throw Refusal(reason: "recursion or subroutine call")
        case "^": throw Refusal(reason: "(?^) flag reset")
        default:
            if let next, next.properties.numericType == .decimal {
                throw Refusal(reason: "recursion or subroutine call")
            }
            if next == "-", let after = peek(2), after.properties.numericType == .decimal {
                throw Refusal(reason: "recursion or subroutine call")
            }
            try translateFlagGroup(inherited: inherited)
        }
    }

    private mutating func translateNamedGroup(nameStart: Int, terminator: Unicode.Scalar, inherited: Bool)
        throws(Refusal)
    {
        let name = scalarsUntil(terminator, from: nameStart)
        guard !name.isEmpty else { throw Refusal(reason: "unsupported group syntax") }
        position = nameStart + name.unicodeScalars.count + 1
        extendedStack.append(inherited)
        output += "(?P<\(name)>"
    }

    /// `(?flags)` or `(?flags:...)`: i, m, s and U carry over; n and J change nothing that matters
    /// to matching; x is applied here (whitespace and comments are removed).
    private mutating func translateFlagGroup(inherited: Bool) throws(Refusal) {
        var cursor = position + 1
        var on = ""
        var off = ""
        var negating = false
        var extended = inherited
        while cursor < scalars.count, scalars[cursor] != ")", scalars[cursor] != ":" {
            let flag = scalars[cursor]
            switch flag {
            case "-": negating = true
            case "i", "m", "s", "U":
                if negating { off.unicodeScalars.append(flag) } else { on.unicodeScalars.append(flag) }
            case "x": extended = !negating
            case "n", "J": break
            default: throw Refusal(reason: "unsupported group syntax")
            }
            cursor += 1
        }
        guard cursor < scalars.count else { throw Refusal(reason: "unsupported group syntax") }
        let flags = on + (off.isEmpty ? "" : "-" + off)
        if scalars[cursor] == ")" {
            // Applies to the rest of the enclosing group.
            extendedStack[extendedStack.count - 1] = extended
            if !flags.isEmpty { output += "(?\(flags))" }
        } else {
            extendedStack.append(extended)
            output += flags.isEmpty ? "(?:" : "(?\(flags):"
        }
        position = cursor + 1
    }

    private mutating func translateEscape() throws(Refusal) {
        guard let escaped = peek(1) else { throw Refusal(reason: "pattern ends with a backslash") }
        position += 2
        switch escaped {
        case "d", "D", "w", "W", "s", "S":
            output += shorthandClass(escaped, inClass: false)
        case "h", "H", "v", "V":
            output += whitespaceClass(escaped, inClass: false)
        case "b", "B":
            output += unicodeClasses ? "\\\(escaped)" : "(?-u:\\\(escaped))"
        case "A": output += "^"
        case "z", "Z": output += "$"
        case "K": break
        case "N": output += "[^\\n]"
        case "R": output += "(?:\\r\\n|[\\n\\x0B\\x0C\\r\\x{85}\\x{2028}\\x{2029}])"
        case "Q": output += quoted(inClass: false)
        case "E": break
        case "G": throw Refusal(reason: "\\G")
        case "X", "C": throw Refusal(reason: "\\\(escaped)")
        case "g", "k": throw Refusal(reason: "backreference")
        case "1", "2", "3", "4", "5", "6", "7", "8", "9": throw Refusal(reason: "backreference")
        case "p", "P": output += try property(negated: escaped == "P")
        default:
            appendLiteral(try characterEscape(escaped))
        }
    }

    /// A PCRE2 escape that stands for one character (`\n`, `\x{2010}`, `\.`), the backslash and
    /// the letter already consumed.
    private mutating func characterEscape(_ escaped: Unicode.Scalar) throws(Refusal) -> Unicode.Scalar {
        func scalar(_ value: UInt32?) throws(Refusal) -> Unicode.Scalar {
            guard let value, let scalar = Unicode.Scalar(value) else { throw Refusal(reason: "invalid escape") }
            return scalar
        }
        switch escaped {
        case "n": return "\n"
        case "r": return "\r"
        case "t": return "\t"
        case "f": return "\u{0C}"
        case "a": return "\u{07}"
        case "e": return "\u{1B}"
        case "0":
            // \0 and up to two more octal digits.
            var digits = ""
            while digits.count < 2, let next = peek(0), ("0"..."7").contains(next) {
                digits.unicodeScalars.append(next)
                position += 1
            }
            return try scalar(UInt32(digits.isEmpty ? "0" : digits, radix: 8))
        case "o":
            guard peek(0) == "{" else { throw Refusal(reason: "invalid escape") }
            let digits = scalarsUntil("}", from: position + 1)
            position += digits.unicodeScalars.count + 2
            return try scalar(UInt32(digits, radix: 8))
        case "x":
            if peek(0) == "{" {
                let digits = scalarsUntil("}", from: position + 1)
                position += digits.unicodeScalars.count + 2
                return try scalar(UInt32(digits, radix: 16))
            }
            var digits = ""
            while digits.count < 2, let next = peek(0), next.properties.isASCIIHexDigit {
                digits.unicodeScalars.append(next)
                position += 1
            }
            return try scalar(UInt32(digits.isEmpty ? "0" : digits, radix: 16))
        case "c":
            guard let control = peek(0), control.isASCII else { throw Refusal(reason: "invalid escape") }
            position += 1
            return try scalar(Unicode.Scalar(String(control).uppercased())!.value ^ 0x40)
        default:
            if escaped.properties.isAlphabetic || escaped.properties.numericType != nil {
                throw Refusal(reason: "unsupported escape \\\(escaped)")
            }
            return escaped
        }
    }

    /// `\Q...\E` (the `\Q` consumed): every character literal.
    private mutating func quoted(inClass: Bool) -> String {
        var text = ""
        while position < scalars.count {
            if scalars[position] == "\\" && peek(1) == "E" {
                position += 2
                break
            }
            text += inClass ? Self.classLiteral(scalars[position]) : Self.literal(scalars[position])
            position += 1
        }
        return text
    }

    /// `\p{...}`, `\P{...}` or `\pL`, the backslash and letter consumed.
    private mutating func property(negated: Bool) throws(Refusal) -> String {
        var name: String
        if peek(0) == "{" {
            name = scalarsUntil("}", from: position + 1)
            position += name.unicodeScalars.count + 2
        } else if let letter = peek(0) {
            name = String(Character(letter))
            position += 1
        } else {
            throw Refusal(reason: "invalid escape")
        }
        var negate = negated
        if name.hasPrefix("^") {
            negate.toggle()
            name.removeFirst()
        }
        if name == "Any" { return negate ? "[^\\x{0}-\\x{10FFFF}]" : "[\\x{0}-\\x{10FFFF}]" }
        if name == "L&" { name = "LC" }
        if name.hasPrefix("X") || name.contains("&") { throw Refusal(reason: "PCRE2-only property \\p{\(name)}") }
        return "\\\(negate ? "P" : "p"){\(name)}"
    }

    // MARK: - Character classes

    private mutating func translateClass() throws(Refusal) {
        position += 1
        var body = ""
        if peek(0) == "^" {
            body += "^"
            position += 1
        }
        var first = true
        // The previous single character, for ranges.
        var previousSingle: Unicode.Scalar?
        while true {
            guard let character = peek(0) else { throw Refusal(reason: "unterminated class") }
            if character == "]" && !first { break }
            first = false
            if character == "[" && peek(1) == ":" {
                let name = scalarsUntil("]", from: position + 2)
                guard name.hasSuffix(":") else {
                    position += 1
                    body += "\\["
                    previousSingle = "["
                    continue
                }
                if unicodeClasses { throw Refusal(reason: "POSIX class with ucp") }
                body += "[:\(name)]"
                position += name.unicodeScalars.count + 3
                previousSingle = nil
                continue
            }
            if character == "-", let single = previousSingle, let next = peek(1), next != "]" {
                // A range: the end is a character or a character escape.
                position += 1
                let end: Unicode.Scalar
                if next == "\\" {
                    guard let escaped = peek(1), !"dDwWsShHvVpPQE".unicodeScalars.contains(escaped) else {
                        // "a-\d": the dash is literal.
                        body += "\\-"
                        previousSingle = nil
                        continue
                    }
                    position += 2
                    end = try characterEscape(escaped == "b" ? "\u{08}" : escaped)
                } else {
                    position += 1
                    end = next
                }
                body.unicodeScalars.removeLast(Self.classLiteral(single).unicodeScalars.count)
                guard single.value <= end.value else { throw Refusal(reason: "invalid range") }
                body += Self.classLiteral(single) + "-" + Self.classLiteral(end)
                previousSingle = nil
                continue
            }
            if character == "\\" {
                guard let escaped = peek(1) else { throw Refusal(reason: "unterminated class") }
                position += 2
                switch escaped {
                case "d", "D", "w", "W", "s", "S":
                    body += shorthandClass(escaped, inClass: true)
                    previousSingle = nil
                case "h", "H", "v", "V":
                    body += whitespaceClass(escaped, inClass: true)
                    previousSingle = nil
                case "p", "P":
                    body += try property(negated: escaped == "P")
                    previousSingle = nil
                case "Q":
                    body += quoted(inClass: true)
                    previousSingle = nil
                case "E": break
                case "b":
                    body += Self.classLiteral("\u{08}")
                    previousSingle = "\u{08}"
                default:
                    let literal = try characterEscape(escaped)
                    body += Self.classLiteral(literal)
                    previousSingle = literal
                }
                continue
            }
            position += 1
            body += Self.classLiteral(character)
            previousSingle = character
        }
        position += 1
        output += "[\(body)]"
    }

    // MARK: - Output

    /// `\d \w \s` and their negations, as PCRE2 reads them (ASCII unless the rule has `ucp`).
    private func shorthandClass(_ letter: Unicode.Scalar, inClass: Bool) -> String {
        if unicodeClasses { return "\\\(letter)" }
        let members: String
        switch letter {
        case "d", "D": members = "0-9"
        case "w", "W": members = "0-9A-Za-z_"
        default: members = "\\t\\n\\x0B\\x0C\\r "
        }
        let negated = letter.properties.isUppercase
        if inClass && !negated { return members }
        return "[\(negated ? "^" : "")\(members)]"
    }

    /// PCRE2's `\h` (horizontal) and `\v` (vertical white space) and their negations.
    private func whitespaceClass(_ letter: Unicode.Scalar, inClass: Bool) -> String {
        let members =
            letter == "h" || letter == "H"
            ? "\\t \\x{A0}\\x{1680}\\x{180E}\\x{2000}-\\x{200A}\\x{202F}\\x{205F}\\x{3000}"
            : "\\n\\x0B\\x0C\\r\\x{85}\\x{2028}\\x{2029}"
        let negated = letter.properties.isUppercase
        if inClass && !negated { return members }
        return "[\(negated ? "^" : "")\(members)]"
    }

    private mutating func appendLiteral(_ character: Unicode.Scalar) {
        output += Self.literal(character)
    }

    /// A literal character outside a class: Rust's meta characters escaped, controls as `\x{..}`.
    static func literal(_ character: Unicode.Scalar) -> String {
        if "\\.+*?()|[]{}^$".unicodeScalars.contains(character) { return "\\\(character)" }
        if character.properties.generalCategory == .control {
            return "\\x{\(String(character.value, radix: 16, uppercase: true))}"
        }
        return String(character)
    }

    /// A literal character inside a class: `[ ] \ ^ -` and Rust's set operators `& ~` escaped.
    static func classLiteral(_ character: Unicode.Scalar) -> String {
        if "\\[]^-&~".unicodeScalars.contains(character) { return "\\\(character)" }
        if character.properties.generalCategory == .control || character.properties.isWhitespace && character != " " {
            return "\\x{\(String(character.value, radix: 16, uppercase: true))}"
        }
        return String(character)
    }

    // MARK: - Scanning

    private func peek(_ offset: Int) -> Unicode.Scalar? {
        position + offset < scalars.count ? scalars[position + offset] : nil
    }

    /// The characters from `start` up to (not including) the next `terminator`; empty when there is none.
    private func scalarsUntil(_ terminator: Unicode.Scalar, from start: Int) -> String {
        var text = ""
        var cursor = start
        while cursor < scalars.count {
            if scalars[cursor] == terminator { return text }
            text.unicodeScalars.append(scalars[cursor])
            cursor += 1
        }
        return ""
    }
}
