/// Recognises the date/time header at the start of a line with a hand-written scanner (no regex).
///
/// The start of the line is first copied into a small reusable buffer with marks removed,
/// space-like characters turned into ASCII spaces, non-ASCII digits into ASCII digits and the
/// Arabic comma into `,`; the grammar below then only deals with ASCII (plus AM/PM words).
///
///     header   = [ "[" ] datetime ( "]" | " - " | ": " ) rest
///     datetime = date sep [ "klo" | "kl." | "um" | "à" ] time  |  time sep date
///     date     = field ( "/" | "." | "-" ) field same-separator field [ "BE" ] [ "." ]  |  day month-name year
///     time     = [ prefix-meridiem ] h ( ":" | "." ) mm [ same-separator ss ] [ meridiem ]
struct WhatsAppHeaderScanner {
    /// Longest header prefix looked at, in cleaned bytes.
    private static let window = 128

    /// The cleaned bytes; only the first `count` are in use (the buffers keep `window` slots so
    /// that filling them needs no appends).
    private var clean = [UInt8](repeating: 0, count: Self.window)
    /// Absolute offset of the character that produced `clean[k]`, and the offset just after it.
    private var origin = [Int](repeating: 0, count: Self.window)
    private var originEnd = [Int](repeating: 0, count: Self.window)
    /// How many cleaned bytes the current line gave.
    private var count = 0
    /// Whether the current line's cleaned bytes are its own bytes from `originBase` on (an ASCII
    /// start without tabs, the common case): `origin` and `originEnd` are then not filled.
    private var identity = false
    private var originBase = 0

    init() {}

    /// The header starting the line `b[start..<end]` (end excludes the line break), if any.
    mutating func scan(_ b: UnsafeBufferPointer<UInt8>, start: Int, end: Int) -> WhatsAppHeader? {
        // Cheap rejection first: most continuation lines start with a letter.
        var first = start
        while first < end {
            let mark = WhatsAppBytes.markLength(b, first, end: end)
            if mark == 0 { break }
            first += mark
        }
        guard first < end else { return nil }
        let lead = b[first]
        guard lead == UInt8(ascii: "[") || (lead >= 0x30 && lead <= 0x39) || lead >= 0x80 else { return nil }

        normalize(b, start: first, end: end)
        return parse(lineEnd: end)
    }

    private mutating func normalize(_ b: UnsafeBufferPointer<UInt8>, start: Int, end: Int) {
        // Most lines start with ASCII and no tab: their bytes are their cleaned bytes.
        let length = min(end - start, Self.window)
        if Self.isPlainASCII(b, start: start, count: length) {
            clean.withUnsafeMutableBufferPointer { clean in
                if let target = clean.baseAddress, let source = b.baseAddress {
                    target.update(from: source + start, count: length)
                }
            }
            count = length
            identity = true
            originBase = start
            return
        }
        identity = false
        var n = 0
        clean.withUnsafeMutableBufferPointer { clean in
            origin.withUnsafeMutableBufferPointer { origin in
                originEnd.withUnsafeMutableBufferPointer { originEnd in
                    var i = start
                    while i < end && n < Self.window {
                        let ascii = b[i]
                        if ascii < 0x80 {
                            // ASCII is no mark, no foreign digit; a tab is a space.
                            clean[n] = ascii == 0x09 ? WhatsAppBytes.space : ascii
                            origin[n] = i
                            originEnd[n] = i + 1
                            n += 1
                            i += 1
                            continue
                        }
                        let mark = WhatsAppBytes.markLength(b, i, end: end)
                        if mark > 0 {
                            i += mark
                            continue
                        }
                        var byte = b[i]
                        var length = 1
                        let space = WhatsAppBytes.spaceLength(b, i, end: end)
                        if space > 0 {
                            byte = WhatsAppBytes.space
                            length = space
                        } else if let (digit, digitLength) = WhatsAppBytes.foreignDigit(b, i, end: end) {
                            byte = digit
                            length = digitLength
                        } else if b[i] == 0xD8, i + 1 < end, b[i + 1] == 0x8C {  // U+060C ARABIC COMMA
                            byte = UInt8(ascii: ",")
                            length = 2
                        }
                        clean[n] = byte
                        origin[n] = i
                        originEnd[n] = i + length
                        n += 1
                        i += length
                    }
                }
            }
        }
        count = n
    }

    /// Whether `b[start..<start + count]` is all ASCII with no tab, eight bytes at a time.
    @inline(__always) private static func isPlainASCII(_ b: UnsafeBufferPointer<UInt8>, start: Int, count: Int) -> Bool
    {
        guard let base = b.baseAddress.map(UnsafeRawPointer.init) else { return count == 0 }
        let high: UInt64 = 0x8080_8080_8080_8080
        let ones: UInt64 = 0x0101_0101_0101_0101
        let tabs: UInt64 = 0x0909_0909_0909_0909
        var i = start
        let end = start + count
        while i + 8 <= end {
            let word = base.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            let tabless = word ^ tabs
            // A byte of 0x80 or more, or a byte equal to a tab (a zero byte in `tabless`).
            if (word & high) != 0 || ((tabless &- ones) & ~tabless & high) != 0 { return false }
            i += 8
        }
        while i < end {
            let byte = b[i]
            if byte >= 0x80 || byte == 0x09 { return false }
            i += 1
        }
        return true
    }

    /// The offset of the character that gave cleaned byte `k`, and the offset just after it.
    @inline(__always) private func originStart(_ k: Int) -> Int { identity ? originBase + k : origin[k] }
    @inline(__always) private func originStop(_ k: Int) -> Int { identity ? originBase + k + 1 : originEnd[k] }

    // MARK: - Grammar

    @inline(__always) private func at(_ p: Int) -> UInt8 { p < count ? clean[p] : 0 }
    @inline(__always) private func isDigit(_ p: Int) -> Bool { let c = at(p); return c >= 0x30 && c <= 0x39 }
    @inline(__always) private func isASCIILetter(_ p: Int) -> Bool {
        let c = at(p) | 0x20
        return c >= 0x61 && c <= 0x7A
    }

    private func skipSpaces(_ p: Int) -> Int {
        var p = p
        while at(p) == WhatsAppBytes.space { p += 1 }
        return p
    }

    private func parse(lineEnd: Int) -> WhatsAppHeader? {
        var p = 0
        let bracketed = at(p) == UInt8(ascii: "[")
        if bracketed { p = skipSpaces(p + 1) }
        let dateTimeStart = p

        var parsed = dateThenTime(p)
        var timeFirst = false
        if parsed == nil {
            parsed = timeThenDate(p)
            timeFirst = true
        }
        guard let (date, time, separator, dateTimeEnd) = parsed else { return nil }

        p = skipSpaces(dateTimeEnd)
        let frame: WhatsAppLayout.Frame
        if bracketed {
            guard at(p) == UInt8(ascii: "]") else { return nil }
            p += 1
            frame = .bracketed
        } else if at(p) == UInt8(ascii: "-") || isEnDash(p) {
            guard p > dateTimeEnd else { return nil }  // a space before the dash
            p += at(p) == UInt8(ascii: "-") ? 1 : 3
            guard p >= count || at(p) == WhatsAppBytes.space else { return nil }
            frame = .dashed
        } else if at(p) == WhatsAppBytes.colon, p == dateTimeEnd {
            p += 1
            guard p >= count || at(p) == WhatsAppBytes.space else { return nil }
            frame = .colon
        } else {
            return nil
        }
        if at(p) == WhatsAppBytes.space { p += 1 }

        let restStart = p < count ? originStart(p) : (count == Self.window ? originStop(p - 1) : lineEnd)
        return WhatsAppHeader(
            layout: WhatsAppLayout(frame: frame, timeFirst: timeFirst, dateSeparator: separator),
            date: date,
            time: time,
            sentStart: originStart(dateTimeStart),
            sentEnd: originStop(dateTimeEnd - 1),
            restStart: restStart
        )
    }

    private func isEnDash(_ p: Int) -> Bool {
        at(p) == 0xE2 && at(p + 1) == 0x80 && at(p + 2) == 0x93
    }

    private func dateThenTime(_ p: Int) -> (WhatsAppRawDate, WhatsAppRawTime, UInt8, Int)? {
        guard let (date, separator, afterDate) = parseDate(p) else { return nil }
        guard let timeStart = betweenDateAndTime(afterDate) else { return nil }
        guard let (time, afterTime) = parseTime(timeStart) else { return nil }
        return (date, time, separator, afterTime)
    }

    private func timeThenDate(_ p: Int) -> (WhatsAppRawDate, WhatsAppRawTime, UInt8, Int)? {
        guard let (time, afterTime) = parseTime(p) else { return nil }
        var q = afterTime
        if at(q) == UInt8(ascii: ",") { q += 1 }
        let dateStart = skipSpaces(q)
        guard dateStart > afterTime else { return nil }
        guard let (date, separator, afterDate) = parseDate(dateStart) else { return nil }
        return (date, time, separator, afterDate)
    }

    /// Skips `, `, spaces and a connecting word (`klo`, `kl.`, `um`, `à`) between date and time.
    private func betweenDateAndTime(_ p: Int) -> Int? {
        var q = p
        if at(q) == UInt8(ascii: ",") { q += 1 }
        q = skipSpaces(q)
        guard q > p else { return nil }
        // Every connector starts with a letter: a digit (the time) needs none of them looked for.
        if isDigit(q) { return q }
        for word in Self.connectors where matches(word, at: q, caseInsensitive: false) {
            let after = q + word.count
            if at(after) == WhatsAppBytes.space { return skipSpaces(after) }
        }
        return q
    }

    private static let connectors: [[UInt8]] = [
        Array("klo".utf8), Array("kl.".utf8), Array("kl".utf8), Array("um".utf8), Array("à".utf8), Array("alle".utf8),
        Array("o".utf8),
    ]

    private func parseNumber(_ p: Int, maxDigits: Int) -> (value: Int, digits: Int, end: Int)? {
        var q = p
        var value = 0
        while isDigit(q) && q - p < maxDigits {
            value = value * 10 + Int(at(q) - 0x30)
            q += 1
        }
        guard q > p, !isDigit(q) else { return nil }
        return (value, q - p, q)
    }

    /// A Japanese era letter (`R4` = Reiwa 4) before a year.
    private func eraBase(_ p: Int) -> Int? {
        guard isDigit(p + 1) else { return nil }
        switch at(p) {
        case UInt8(ascii: "R"): return 2018
        case UInt8(ascii: "H"): return 1988
        case UInt8(ascii: "S"): return 1925
        case UInt8(ascii: "T"): return 1911
        default: return nil
        }
    }

    private func parseDate(_ p: Int) -> (WhatsAppRawDate, UInt8, Int)? {
        guard let n1 = parseNumber(p, maxDigits: 4) else { return nil }
        var q = n1.end

        // `28 Aug 2013`
        if at(q) == WhatsAppBytes.space, n1.digits <= 2, isASCIILetter(q + 1) {
            var r = q + 1
            while isASCIILetter(r) { r += 1 }
            guard let month = WhatsAppPhrases.month(named: clean[(q + 1)..<r]) else { return nil }
            if at(r) == UInt8(ascii: ".") { r += 1 }
            guard at(r) == WhatsAppBytes.space, let year = parseNumber(r + 1, maxDigits: 4),
                year.digits == 4 || year.digits == 2
            else {
                return nil
            }
            guard (1...31).contains(n1.value) else { return nil }
            let date = WhatsAppRawDate(
                first: n1.value, second: month, third: year.value, firstDigits: n1.digits, thirdDigits: year.digits,
                monthNamed: true)
            return (date, WhatsAppBytes.space, year.end)
        }

        let separator = at(q)
        guard separator == UInt8(ascii: "/") || separator == UInt8(ascii: ".") || separator == UInt8(ascii: "-") else {
            return nil
        }
        q = skipSpaces(q + 1)
        guard let n2 = parseNumber(q, maxDigits: 2) else { return nil }
        q = n2.end
        guard at(q) == separator else { return nil }
        q = skipSpaces(q + 1)

        var yearStyle = WhatsAppRawDate.YearStyle.gregorian
        if let base = eraBase(q) {
            yearStyle = .japaneseEra(base: base)
            q += 1
        }
        guard let n3 = parseNumber(q, maxDigits: 4) else { return nil }
        q = n3.end

        // Buddhist era suffix: `2565 BE`.
        if at(q) == WhatsAppBytes.space, at(q + 1) == UInt8(ascii: "B"), at(q + 2) == UInt8(ascii: "E"),
            !isASCIILetter(q + 3)
        {
            yearStyle = .buddhist
            q += 3
        }
        // `13. 6. 2018.`
        if separator == UInt8(ascii: "."), at(q) == UInt8(ascii: ".") { q += 1 }

        let yearFirst = n1.digits == 4
        if yearFirst {
            guard n3.digits <= 2, (1...12).contains(n2.value), (1...31).contains(n3.value) else { return nil }
        } else {
            guard n1.digits <= 2, (1...31).contains(n1.value), (1...31).contains(n2.value) else { return nil }
            if case .japaneseEra = yearStyle {
                guard n3.digits <= 2 else { return nil }
            } else {
                guard n3.digits == 2 || n3.digits == 4 else { return nil }
            }
        }
        let date = WhatsAppRawDate(
            first: n1.value, second: n2.value, third: n3.value, firstDigits: n1.digits, thirdDigits: n3.digits,
            yearStyle: yearStyle)
        return (date, separator, q)
    }

    private func parseTime(_ p: Int) -> (WhatsAppRawTime, Int)? {
        var q = p
        var meridiem = WhatsAppMeridiem.none
        if let (found, length) = matchMeridiem(
            q, table: WhatsAppPhrases.meridiemPrefixes, firstBytes: WhatsAppPhrases.meridiemPrefixFirstBytes)
        {
            meridiem = found
            q = skipSpaces(q + length)
        }
        guard let hour = parseNumber(q, maxDigits: 2) else { return nil }
        q = hour.end
        let separator = at(q)
        guard separator == WhatsAppBytes.colon || separator == UInt8(ascii: ".") else { return nil }
        guard let minute = parseNumber(q + 1, maxDigits: 2), minute.digits == 2 else { return nil }
        q = minute.end
        var second = 0
        if at(q) == separator, let s = parseNumber(q + 1, maxDigits: 2), s.digits == 2 {
            second = s.value
            q = s.end
        }
        guard hour.value <= 24, minute.value <= 59, second <= 60 else { return nil }

        if meridiem == .none {
            let r = skipSpaces(q)
            if let (found, length) = matchMeridiem(
                r, table: WhatsAppPhrases.meridiemSuffixes, firstBytes: WhatsAppPhrases.meridiemSuffixFirstBytes)
            {
                meridiem = found
                q = r + length
            }
        }
        return (WhatsAppRawTime(hour: hour.value, minute: minute.value, second: second, meridiem: meridiem), q)
    }

    private func matches(_ word: [UInt8], at p: Int, caseInsensitive: Bool) -> Bool {
        guard p + word.count <= count else { return false }
        for k in 0..<word.count {
            var c = clean[p + k]
            if caseInsensitive, c >= 0x41, c <= 0x5A { c |= 0x20 }
            if c != word[k] { return false }
        }
        return true
    }

    /// The longest AM/PM word of `table` at `p` that is not followed by a letter. `firstBytes`
    /// (`WhatsAppPhrases.firstBytes(of: table)`) turns most positions away at once.
    private func matchMeridiem(
        _ p: Int, table: [(bytes: [UInt8], meridiem: WhatsAppMeridiem)], firstBytes: [Bool]
    ) -> (WhatsAppMeridiem, Int)? {
        guard p < count, firstBytes[Int(clean[p])] else { return nil }
        for entry in table where matches(entry.bytes, at: p, caseInsensitive: true) {
            let after = p + entry.bytes.count
            if let last = entry.bytes.last, last < 0x80, (last | 0x20) >= 0x61, (last | 0x20) <= 0x7A,
                isASCIILetter(after)
            {
                continue
            }
            return (entry.meridiem, entry.bytes.count)
        }
        return nil
    }
}
