import Foundation

extension MatchValidator {
    /// The validators a rule file can name, by name.
    public static let builtins: [String: MatchValidator] = {
        var all: [String: MatchValidator] = [:]
        for validator in [
            ukPostcodeArea, pncID, latLon, luhn, nhsNumber, ukPhone, nino, paymentCard, dateOfBirth,
            ukVehicleRegistration,
        ] {
            all[validator.name] = validator
        }
        return all
    }()

    /// The outward code's area letters are a real postcode area (plus `GIR 0AA`), and the inward
    /// code is a digit and two letters Royal Mail uses there (never C, I, K, M, O or V).
    public static let ukPostcodeArea = MatchValidator(
        name: "uk-postcode-area",
        summary:
            "UK postcode whose area letters are a real postcode area (AB ... ZE) and whose inward code is well formed",
        isValid: { BuiltinChecks.isUKPostcode($0) }
    )

    /// Police National Computer ID `YY/NNNNNNNC` (or `YYYY/...`): the check letter is
    /// `ZABCDEFGHJKLMNPQRTUVWXY[(YY * 10^7 + serial) mod 23]`.
    public static let pncID = MatchValidator(
        name: "pnc-id",
        summary: "PNC ID (YY/NNNNNNNC) whose check letter matches the year and serial (mod 23)",
        isValid: { BuiltinChecks.isPNCID($0) }
    )

    /// A "lat, lon" pair within ±90 / ±180 that is not 0, 0 (N/S/E/W letters and ° allowed).
    public static let latLon = MatchValidator(
        name: "lat-lon",
        summary: "latitude/longitude pair within ±90/±180 and not both zero",
        isValid: { BuiltinChecks.isLatLon($0) }
    )

    /// Digits (spaces and hyphens allowed between them) passing the Luhn mod-10 check.
    public static let luhn = MatchValidator(
        name: "luhn",
        summary: "digits passing the Luhn (mod 10) check, e.g. payment card numbers",
        isValid: { BuiltinChecks.isLuhn($0) }
    )

    /// A 10-digit NHS number whose last digit is its mod-11 check digit.
    public static let nhsNumber = MatchValidator(
        name: "nhs-number",
        summary: "10-digit NHS number with a valid mod-11 check digit",
        isValid: { BuiltinChecks.isNHSNumber($0) }
    )

    /// A UK number a person answers: geographic (01, 02) or mobile/personal (07, not 076 pagers),
    /// with the right number of digits once `+44`, `0044`, `(0)` and separators are removed.
    /// Freephone, business-rate, premium and short codes are not.
    public static let ukPhone = MatchValidator(
        name: "uk-phone",
        summary: "UK geographic (01/02) or mobile (07, not 076) number with the right length",
        isValid: { BuiltinChecks.isUKPersonalPhone($0) }
    )

    /// A National Insurance number: two prefix letters HMRC issues (neither D F I Q U V, second
    /// not O; not BG GB KN NK NT TN ZZ, nor the administrative OO CR FY MW NC PP PY PZ), six
    /// digits, a suffix A to D (or none).
    public static let nino = MatchValidator(
        name: "nino",
        summary: "National Insurance number with an issued prefix (HMRC NIM39110) and suffix A-D",
        isValid: { BuiltinChecks.isNINO($0) }
    )

    /// A payment card number: 13 to 19 digits passing Luhn, starting as a card scheme does (Visa 4,
    /// Mastercard 51-55 and 2221-2720, Amex 34/37, Discover 6011/644-649/65, JCB 35, UnionPay 62,
    /// Diners 30/36/38).
    public static let paymentCard = MatchValidator(
        name: "payment-card",
        summary: "13-19 digit card number passing Luhn with a card scheme's prefix",
        isValid: { BuiltinChecks.isPaymentCard($0) }
    )

    /// A date of birth: the last date in the match (`12/03/1987`, `12.3.87`, `12 March 1987`,
    /// `12th Mar 87`) is a real calendar date in day-month-year order within the last 110 years.
    public static let dateOfBirth = MatchValidator(
        name: "date-of-birth",
        summary: "a real day-month-year date within the last 110 years",
        isValid: { BuiltinChecks.isDateOfBirth($0) }
    )

    /// A current-format registration (two letters, age identifier, three letters) whose age
    /// identifier has been issued (02-26 or 51-75 by 2026, not 00/01/50), or a prefix/suffix one.
    public static let ukVehicleRegistration = MatchValidator(
        name: "uk-vrm",
        summary: "UK registration mark: current format with an issued age identifier, or prefix/suffix format",
        isValid: { BuiltinChecks.isUKVehicleRegistration($0) }
    )
}

/// The checks behind the built-in validators: pure functions over the matched text.
enum BuiltinChecks {
    /// The postcode areas of the UK (121) and the Crown dependencies (GY, JE, IM).
    static let postcodeAreas: Set<String> = [
        "AB", "AL", "B", "BA", "BB", "BD", "BH", "BL", "BN", "BR", "BS", "BT",
        "CA", "CB", "CF", "CH", "CM", "CO", "CR", "CT", "CV", "CW",
        "DA", "DD", "DE", "DG", "DH", "DL", "DN", "DT", "DY",
        "E", "EC", "EH", "EN", "EX", "FK", "FY", "G", "GL", "GU", "GY",
        "HA", "HD", "HG", "HP", "HR", "HS", "HU", "HX", "IG", "IM", "IP", "IV",
        "JE", "KA", "KT", "KW", "KY", "L", "LA", "LD", "LE", "LL", "LN", "LS", "LU",
        "M", "ME", "MK", "ML", "N", "NE", "NG", "NN", "NP", "NR", "NW",
        "OL", "OX", "PA", "PE", "PH", "PL", "PO", "PR", "RG", "RH", "RM",
        "S", "SA", "SE", "SG", "SK", "SL", "SM", "SN", "SO", "SP", "SR", "SS", "ST", "SW", "SY",
        "TA", "TD", "TF", "TN", "TQ", "TR", "TS", "TW", "UB",
        "W", "WA", "WC", "WD", "WF", "WN", "WR", "WS", "WV", "YO", "ZE",
    ]

    /// Removes spaces (any Unicode white space) and hyphens/dashes.
    static func compact(_ text: Substring) -> [Character] {
        text.filter {
            !($0.isWhitespace || $0 == "-" || $0 == "\u{2010}" || $0 == "\u{2011}" || $0 == "\u{2013}"
                || $0 == "\u{2014}")
        }
        .map { $0 }
    }

    static func isASCIIDigit(_ c: Character) -> Bool { c >= "0" && c <= "9" }
    static func isASCIILetter(_ c: Character) -> Bool { (c >= "A" && c <= "Z") || (c >= "a" && c <= "z") }
    static func upper(_ c: Character) -> Character {
        guard c >= "a" && c <= "z", let v = c.asciiValue else { return c }
        return Character(Unicode.Scalar(v - 32))
    }
    static func digitValue(_ c: Character) -> Int? {
        guard isASCIIDigit(c), let v = c.asciiValue else { return nil }
        return Int(v - 48)
    }

    // MARK: UK postcode

    static func isUKPostcode(_ text: Substring) -> Bool {
        let chars = compact(text).map(upper)
        if String(chars) == "GIR0AA" { return true }
        // Outward 2-4 characters, inward exactly 3.
        guard chars.count >= 5, chars.count <= 7 else { return false }
        let inward = chars.suffix(3)
        let outward = Array(chars.dropLast(3))
        let inwardLetters: Set<Character> = Set("ABDEFGHJLNPQRSTUWXYZ")
        let i = Array(inward)
        guard isASCIIDigit(i[0]), inwardLetters.contains(i[1]), inwardLetters.contains(i[2]) else { return false }
        // Outward: area letters (1-2), district digit, then optional digit or letter.
        var area = ""
        var index = 0
        while index < outward.count, isASCIILetter(outward[index]) {
            area.append(outward[index])
            index += 1
        }
        guard (1...2).contains(area.count), postcodeAreas.contains(area) else { return false }
        let district = outward[index...]
        guard let first = district.first, isASCIIDigit(first), district.count <= 2 else { return false }
        if district.count == 2 {
            let last = district.last!
            guard isASCIIDigit(last) || isASCIILetter(last) else { return false }
        }
        return true
    }

    // MARK: PNC ID

    static let pncCheckLetters: [Character] = Array("ZABCDEFGHJKLMNPQRTUVWXY")

    static func isPNCID(_ text: Substring) -> Bool {
        var chars = compact(text).map(upper)
        // Tolerate a "PNC"/"PNC ID" prefix or surrounding punctuation by taking the ID's own shape:
        // digits, "/", digits, letter.
        while let first = chars.first, !isASCIIDigit(first) { chars.removeFirst() }
        guard let check = chars.last, isASCIILetter(check) else { return false }
        chars.removeLast()
        let parts = chars.split(separator: "/", omittingEmptySubsequences: false)
        let year: [Character]
        let serial: [Character]
        if parts.count == 2 {
            year = Array(parts[0])
            serial = Array(parts[1])
        } else if parts.count == 1 {
            // No slash: two-digit year then serial, or four-digit year then a 7-digit serial.
            let all = Array(parts[0])
            if all.count == 11 {
                year = Array(all[0..<4]); serial = Array(all[4...])
            } else {
                guard all.count >= 3 else { return false }
                year = Array(all[0..<2]); serial = Array(all[2...])
            }
        } else {
            return false
        }
        guard year.count == 2 || year.count == 4, (1...7).contains(serial.count),
            year.allSatisfy(isASCIIDigit), serial.allSatisfy(isASCIIDigit)
        else { return false }
        let yy = year.suffix(2).reduce(0) { $0 * 10 + digitValue($1)! }
        let number = serial.reduce(0) { $0 * 10 + digitValue($1)! }
        guard number > 0 else { return false }
        let value = yy * 10_000_000 + number
        return pncCheckLetters[value % 23] == check
    }

    // MARK: Latitude / longitude

    /// One signed decimal number read from `chars` starting at `index`.
    private static func readNumber(_ chars: [Character], _ index: inout Int) -> Double? {
        var negative = false
        if index < chars.count, chars[index] == "-" || chars[index] == "+" || chars[index] == "\u{2212}" {
            negative = chars[index] != "+"
            index += 1
        }
        var whole: Double = 0
        var digits = 0
        while index < chars.count, let d = digitValue(chars[index]) {
            whole = whole * 10 + Double(d)
            digits += 1
            index += 1
        }
        guard digits > 0, digits <= 3 else { return nil }
        if index < chars.count, chars[index] == "." {
            index += 1
            var scale = 0.1
            var fraction = 0
            while index < chars.count, let d = digitValue(chars[index]) {
                whole += Double(d) * scale
                scale /= 10
                fraction += 1
                index += 1
            }
            guard fraction > 0 else { return nil }
        }
        return negative ? -whole : whole
    }

    static func isLatLon(_ text: Substring) -> Bool {
        // Keep hyphens here: they are minus signs.
        let chars = text.filter { !$0.isWhitespace }.map(upper)
        var index = 0
        // Optional hemisphere letter before each number (N51.5, W0.12) or after it.
        func hemisphere(_ index: inout Int) -> Character? {
            guard index < chars.count else { return nil }
            let c = chars[index]
            if c == "N" || c == "S" || c == "E" || c == "W" { index += 1; return c }
            return nil
        }
        func skipDegree(_ index: inout Int) {
            while index < chars.count, chars[index] == "°" || chars[index] == "º" { index += 1 }
        }
        let preLat = hemisphere(&index)
        guard var lat = readNumber(chars, &index) else { return false }
        skipDegree(&index)
        let postLat = hemisphere(&index)
        // Separator: a comma or semicolon (optional when hemisphere letters split the pair).
        var separated = false
        while index < chars.count, chars[index] == "," || chars[index] == ";" || chars[index] == "/" {
            index += 1
            separated = true
        }
        let preLon = hemisphere(&index)
        guard separated || postLat != nil || preLon != nil else { return false }
        guard var lon = readNumber(chars, &index) else { return false }
        skipDegree(&index)
        let postLon = hemisphere(&index)
        guard index == chars.count else { return false }
        let latHem = preLat ?? postLat
        let lonHem = preLon ?? postLon
        if let h = latHem {
            guard h == "N" || h == "S", lat >= 0 else { return false }
            if h == "S" { lat = -lat }
        }
        if let h = lonHem {
            guard h == "E" || h == "W", lon >= 0 else { return false }
            if h == "W" { lon = -lon }
        }
        guard lat >= -90, lat <= 90, lon >= -180, lon <= 180 else { return false }
        return !(lat == 0 && lon == 0)
    }

    // MARK: Luhn

    static func isLuhn(_ text: Substring) -> Bool {
        let chars = compact(text)
        guard chars.count >= 2, chars.allSatisfy(isASCIIDigit) else { return false }
        var sum = 0
        for (offset, c) in chars.reversed().enumerated() {
            var d = digitValue(c)!
            if offset % 2 == 1 {
                d *= 2
                if d > 9 { d -= 9 }
            }
            sum += d
        }
        guard chars.contains(where: { $0 != "0" }) else { return false }
        return sum % 10 == 0
    }

    // MARK: NHS number

    static func isNHSNumber(_ text: Substring) -> Bool {
        let chars = compact(text)
        guard chars.count == 10, chars.allSatisfy(isASCIIDigit) else { return false }
        let digits = chars.map { digitValue($0)! }
        // A run of one digit (0000000000, 1111111111) is a placeholder, never issued.
        guard Set(digits).count > 1 else { return false }
        var sum = 0
        for i in 0..<9 { sum += digits[i] * (10 - i) }
        var check = 11 - sum % 11
        if check == 11 { check = 0 }
        guard check != 10 else { return false }
        return check == digits[9]
    }

    // MARK: UK phone

    static func isUKPersonalPhone(_ text: Substring) -> Bool {
        var digits = text.filter(isASCIIDigit).map { $0 }
        let written = text.filter { !$0.isWhitespace }
        if written.hasPrefix("+44") || written.hasPrefix("0044") {
            digits.removeFirst(written.hasPrefix("+44") ? 2 : 4)
            // "+44 (0)7700 ..." writes the trunk zero too.
            if written.contains("(0)"), digits.first == "0" { digits.removeFirst() }
            digits.insert("0", at: 0)
        }
        guard digits.first == "0", digits.count >= 2 else { return false }
        switch digits[1] {
        case "1": return digits.count == 10 || digits.count == 11
        case "2": return digits.count == 11
        case "7": return digits.count == 11 && !(digits.count > 2 && digits[2] == "6")
        default: return false
        }
    }

    // MARK: National Insurance number

    static let ninoNeverPrefixes: Set<String> = [
        "BG", "GB", "KN", "NK", "NT", "TN", "ZZ", "OO", "CR", "FY", "MW", "NC", "PP", "PY", "PZ",
    ]

    static func isNINO(_ text: Substring) -> Bool {
        let chars = compact(text).map(upper)
        guard chars.count == 8 || chars.count == 9 else { return false }
        let first = chars[0]
        let second = chars[1]
        guard isASCIILetter(first), isASCIILetter(second), chars[2..<8].allSatisfy(isASCIIDigit) else { return false }
        let never: Set<Character> = ["D", "F", "I", "Q", "U", "V"]
        guard !never.contains(first), !never.contains(second), second != "O" else { return false }
        guard !ninoNeverPrefixes.contains(String([first, second])) else { return false }
        if chars.count == 9 { return "ABCD".contains(chars[8]) }
        return true
    }

    // MARK: Payment card

    static func isPaymentCard(_ text: Substring) -> Bool {
        let digits = compact(text)
        guard digits.count >= 13, digits.count <= 19, isLuhn(text) else { return false }
        let prefix = String(digits.prefix(6))
        func starts(_ value: String) -> Bool { prefix.hasPrefix(value) }
        let two = Int(prefix.prefix(2)) ?? 0
        let three = Int(prefix.prefix(3)) ?? 0
        let four = Int(prefix.prefix(4)) ?? 0
        return starts("4") || (51...55).contains(two) || (2221...2720).contains(four) || two == 34 || two == 37
            || starts("6011") || (644...649).contains(three) || two == 65 || two == 35 || two == 62
            || two == 30 || two == 36 || two == 38
    }

    // MARK: Date of birth

    static let monthNames = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ]

    /// The last date written in `text`, as (day, month, year with century).
    static func lastDate(in text: Substring) -> (day: Int, month: Int, year: Int)? {
        // Tokens of digits and letters, in order.
        var tokens: [String] = []
        var current = ""
        for character in text.lowercased() {
            if character.isASCII && (character.isLetter || character.isNumber) {
                if let last = current.last, last.isNumber != character.isNumber {
                    tokens.append(current)
                    current = ""
                }
                current.append(character)
            } else if !current.isEmpty {
                tokens.append(current)
                current = ""
            }
        }
        if !current.isEmpty { tokens.append(current) }
        tokens.removeAll { ["st", "nd", "rd", "th", "of"].contains($0) }
        guard tokens.count >= 3 else { return nil }
        for end in stride(from: tokens.count - 1, through: 2, by: -1) {
            let dayText = tokens[end - 2]
            let monthText = tokens[end - 1]
            let yearText = tokens[end]
            guard let day = Int(dayText), let yearNumber = Int(yearText), yearText.count == 2 || yearText.count == 4
            else { continue }
            let month: Int
            if let number = Int(monthText) {
                month = number
            } else if let index = monthNames.firstIndex(where: { monthText.hasPrefix($0) }) {
                month = index + 1
            } else {
                continue
            }
            var year = yearNumber
            if yearText.count == 2 { year += yearNumber <= currentYear % 100 ? 2000 : 1900 }
            return (day, month, year)
        }
        return nil
    }

    static let currentYear: Int = {
        let seconds = Int64(Date().timeIntervalSince1970)
        return LocalTimestamp(secondsSinceEpoch: seconds).year
    }()

    static func isDateOfBirth(_ text: Substring) -> Bool {
        guard let date = lastDate(in: text) else { return false }
        guard (1...12).contains(date.month), date.day >= 1 else { return false }
        let daysInMonth = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        guard date.day <= daysInMonth[date.month - 1] else { return false }
        if date.month == 2, date.day == 29, !(date.year % 4 == 0 && (date.year % 100 != 0 || date.year % 400 == 0)) {
            return false
        }
        return date.year <= currentYear && date.year >= currentYear - 110
    }

    // MARK: Vehicle registration

    static func isUKVehicleRegistration(_ text: Substring) -> Bool {
        let chars = compact(text).map(upper)
        // Current format: LLNNLLL.
        if chars.count == 7, chars[0...1].allSatisfy(isASCIILetter), chars[2...3].allSatisfy(isASCIIDigit),
            chars[4...6].allSatisfy(isASCIILetter)
        {
            let age = digitValue(chars[2])! * 10 + digitValue(chars[3])!
            let year = currentYear % 100
            let issued = (2...min(50, year)).contains(age) || (51...min(99, year + 50)).contains(age)
            let letters = chars[0...1] + chars[4...6]
            return issued && !letters.contains("I") && !letters.contains("Q") && !chars[0...1].contains("Z")
        }
        // Prefix (A123 BCD) and suffix (ABC 123D) formats: one to three digits.
        let digits = chars.filter(isASCIIDigit).count
        guard (1...3).contains(digits), chars.count >= 5, chars.count <= 7 else { return false }
        if isASCIILetter(chars[0]), isASCIIDigit(chars[1]) {
            return chars.dropFirst(1 + digits).count == 3 && chars.dropFirst(1 + digits).allSatisfy(isASCIILetter)
        }
        if chars.prefix(3).allSatisfy(isASCIILetter), let last = chars.last, isASCIILetter(last) {
            return chars.dropFirst(3).dropLast().allSatisfy(isASCIIDigit)
        }
        return false
    }
}
