/// The `fold` normalization (`TextNormalization.fold`): rewrites a text so that one pattern finds
/// the ways people write round a word filter, and remembers where every output byte came from so
/// matches are reported at their place in the original text.
///
/// Steps, in one pass over the scalars plus two small fix-ups:
/// 1. invisible marks (zero-width space and joiners, direction marks, soft hyphen, BOM) are dropped;
/// 2. letters are lower-cased;
/// 3. inside a word (next to a letter), `0 1 3 4 5 7 @ $ !` become `o i e a s t a s i`;
///    `*` stays `*`;
/// 4. three or more one-character "words" separated by one space, `.`, `-` or `_` are joined
///    (`f a g`, `n.i.g.g.a`, `c-u-n-t`);
/// 5. a run of three or more of the same letter becomes one (`spaaaaz`, `sluuuut`); two stay two.
struct TextFolding {
    /// One output scalar and the source bytes it stands for.
    private struct Unit {
        var scalar: Unicode.Scalar
        var start: Int
        var end: Int
        var isLetter: Bool
    }

    private var units: [Unit] = []
    private var joined: [Unit] = []

    /// The common case, fast: `value` is ASCII (but for inert scalars, `isInert`) and folding it
    /// only lower-cases letters and turns leet digits and symbols into letters, byte for byte (no
    /// spaced letters to join, no runs of three to cut). Then the folded bytes are appended to
    /// `output` (same length, same offsets) and the result is true; otherwise nothing is appended
    /// and the caller folds with `fold`.
    static func foldASCII(_ value: UnsafeBufferPointer<UInt8>, into output: inout [UInt8]) -> Bool {
        let count = value.count
        @inline(__always) func isLetter(_ byte: UInt8) -> Bool { (byte | 0x20) >= 0x61 && (byte | 0x20) <= 0x7A }
        guard hasOnlyInertNonASCII(value) else { return false }
        let start = output.count
        output.append(contentsOf: value)
        let plain = output.withUnsafeMutableBufferPointer { out -> Bool in
            // Lower-case, and leet bytes next to a letter (the one before as already folded, the
            // one after as written) become letters: exactly what `fold` does to ASCII.
            for index in 0..<count {
                let byte = out[start + index]
                if byte >= 0x41 && byte <= 0x5A {
                    out[start + index] = byte | 0x20
                } else {
                    let letter = leetByte(byte)
                    if letter != 0,
                        (index > 0 && isLetter(out[start + index - 1]))
                            || (index + 1 < count && isLetter(value[index + 1]))
                    {
                        out[start + index] = letter
                    }
                }
            }
            // Would `fold` join spaced letters or cut a run? Then it is not the simple case.
            var run = 0
            var previous: UInt8 = 0
            var lastSingleEnd = -3
            for index in 0..<count {
                let byte = out[start + index]
                if isLetter(byte) {
                    run = byte == previous ? run + 1 : 1
                    if run >= 3 { return false }
                } else {
                    run = 0
                }
                previous = byte
                let isWord = isLetter(byte) || byte == 0x2A
                guard isWord else { continue }
                let before = index > 0 && (isLetter(out[start + index - 1]) || out[start + index - 1] == 0x2A)
                let after = index + 1 < count && (isLetter(out[start + index + 1]) || out[start + index + 1] == 0x2A)
                if !before && !after {
                    // A one-character word right after another one and a separator.
                    if lastSingleEnd == index - 2, isSeparator(out[start + index - 1]) { return false }
                    lastSingleEnd = index
                }
            }
            return true
        }
        if !plain { output.removeLast(count) }
        return plain
    }

    /// Whether every non-ASCII scalar of the UTF-8 `value` is inert.
    private static func hasOnlyInertNonASCII(_ value: UnsafeBufferPointer<UInt8>) -> Bool {
        var index = 0
        while index < value.count {
            let lead = value[index]
            if lead < 0x80 {
                index += 1
                continue
            }
            let (scalar, length) = TextDecoding.scalar(in: value, at: index)
            guard index + length <= value.count, isInert(scalar) else { return false }
            index += length
        }
        return true
    }

    /// Whether `fold` treats the scalar as an ASCII symbol such as `#`: kept as it is (not
    /// invisible, no lower-case form), not a letter, no leet. The caseless symbols of chats
    /// (`TextDecoding.isCaselessSymbol`) and the emoji variation selector; `RuleSemanticsTests`
    /// checks every one.
    static func isInert(_ scalar: UInt32) -> Bool {
        TextDecoding.isCaselessSymbol(scalar) || scalar == 0xFE0F
    }

    @inline(__always)
    static func isSeparator(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x2E || byte == 0x2D || byte == 0x5F
    }

    /// The letter a leet byte stands for, or 0.
    @inline(__always)
    static func leetByte(_ byte: UInt8) -> UInt8 {
        switch byte {
        case 0x30: 0x6F  // 0 o
        case 0x31, 0x21: 0x69  // 1 ! i
        case 0x33: 0x65  // 3 e
        case 0x34, 0x40: 0x61  // 4 @ a
        case 0x35, 0x24: 0x73  // 5 $ s
        case 0x37: 0x74  // 7 t
        default: 0
        }
    }

    /// Folds `value` (UTF-8) and appends the result to `output`; `origins` gets, for every
    /// appended byte, the source range in `value` (`start` and `end` offsets).
    mutating func fold(
        _ value: String, into output: inout [UInt8], originStarts: inout [Int32], originEnds: inout [Int32]
    ) {
        units.removeAll(keepingCapacity: true)
        var offset = 0
        let scalars = value.unicodeScalars
        var index = scalars.startIndex
        while index != scalars.endIndex {
            let scalar = scalars[index]
            let width = UTF8.width(scalar)
            defer {
                offset += width
                index = scalars.index(after: index)
            }
            if Self.isInvisible(scalar) { continue }
            let lowered = Self.lowercase(scalar)
            var unit = Unit(
                scalar: lowered, start: offset, end: offset + width, isLetter: Self.isAlphabetic(lowered))
            if !unit.isLetter, let letter = Self.leet(scalar) {
                let next = scalars.index(after: index)
                let nextIsLetter = next != scalars.endIndex && Self.isAlphabetic(scalars[next])
                let previousIsLetter = units.last?.isLetter ?? false
                if previousIsLetter || nextIsLetter {
                    unit.scalar = letter
                    unit.isLetter = true
                }
            }
            units.append(unit)
        }
        joinSpacedLetters()
        // Runs of 3+ equal letters become one; write UTF-8.
        var position = 0
        while position < joined.count {
            let unit = joined[position]
            var end = position + 1
            while unit.isLetter, end < joined.count, joined[end].scalar == unit.scalar { end += 1 }
            let copies = end - position >= 3 ? 1 : end - position
            for copy in 0..<copies {
                let source = joined[position + copy]
                let before = output.count
                UTF8.encode(source.scalar) { output.append($0) }
                // A squeezed run's one letter stands for the whole run.
                let sourceEnd = copies == 1 ? joined[end - 1].end : source.end
                for _ in before..<output.count {
                    originStarts.append(Int32(source.start))
                    originEnds.append(Int32(sourceEnd))
                }
            }
            position = end
        }
    }

    /// Copies `units` to `joined`, dropping the single separators inside runs of three or more
    /// one-character words.
    private mutating func joinSpacedLetters() {
        joined.removeAll(keepingCapacity: true)
        var index = 0
        let count = units.count
        while index < count {
            // A run starts at a one-character word: a letter (or `*`) not preceded by a letter.
            if isWordCharacter(index), index == 0 || !isWordCharacter(index - 1) {
                var end = index  // index of the last letter in the run
                var letters = 1
                var separator: Unicode.Scalar?
                while end + 2 < count, isSeparator(end + 1), isWordCharacter(end + 2),
                    end + 3 >= count || !isWordCharacter(end + 3),
                    separator == nil || units[end + 1].scalar == separator
                {
                    separator = units[end + 1].scalar
                    end += 2
                    letters += 1
                }
                // "a" and "i" are words of their own: "a f a g" is "a" then "fag".
                var first = index
                if letters >= 4, units[index].scalar == "a" || units[index].scalar == "i" {
                    joined.append(units[index])
                    joined.append(units[index + 1])
                    first = index + 2
                    letters -= 1
                }
                if letters >= 3, index + 1 >= count || !isWordCharacter(index + 1) {
                    var position = first
                    while position <= end {
                        joined.append(units[position])
                        position += 2
                    }
                    index = end + 1
                    continue
                }
                if first != index {
                    index = first
                    continue
                }
            }
            joined.append(units[index])
            index += 1
        }
    }

    private func isWordCharacter(_ index: Int) -> Bool {
        units[index].isLetter || units[index].scalar == "*"
    }

    private func isSeparator(_ index: Int) -> Bool {
        switch units[index].scalar {
        case " ", ".", "-", "_": true
        default: false
        }
    }

    static func isInvisible(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00AD, 0x200B...0x200F, 0x202A...0x202E, 0x2060...0x2064, 0xFEFF: true
        default: false
        }
    }

    /// `properties.isAlphabetic`, without the property lookup for ASCII (only its letters are).
    @inline(__always)
    static func isAlphabetic(_ scalar: Unicode.Scalar) -> Bool {
        guard scalar.isASCII else { return scalar.properties.isAlphabetic }
        let lower = scalar.value | 0x20
        return lower >= 0x61 && lower <= 0x7A
    }

    static func lowercase(_ scalar: Unicode.Scalar) -> Unicode.Scalar {
        if scalar.isASCII {
            return scalar.value >= 0x41 && scalar.value <= 0x5A ? Unicode.Scalar(scalar.value + 0x20)! : scalar
        }
        guard scalar.properties.isUppercase else { return scalar }
        let mapped = scalar.properties.lowercaseMapping.unicodeScalars
        return mapped.count == 1 ? mapped.first! : scalar
    }

    static func leet(_ scalar: Unicode.Scalar) -> Unicode.Scalar? {
        switch scalar {
        case "0": "o"
        case "1", "!": "i"
        case "3": "e"
        case "4", "@": "a"
        case "5", "$": "s"
        case "7": "t"
        default: nil
        }
    }
}
