/// Decides the day/month order of a whole file (never per line) and turns raw header fields
/// into `LocalTimestamp`s.
///
/// Evidence is gathered header by header in file order with `add(_:line:)`; `decision` then
/// applies, in order: a four-digit year first or a month name (certain); a field over 12
/// (certain); which field changes on its own between consecutive dates (inferred); else d/m/y
/// (assumed).
struct WhatsAppDateResolver {
    private var total = 0
    private var yearFirst = 0
    private var monthNamed = 0
    private var firstOver12 = 0
    private var secondOver12 = 0
    private var firstOver12Line: Int?
    private var secondOver12Line: Int?
    private var firstOver12Example = 0
    private var secondOver12Example = 0
    /// Consecutive distinct dates (same year) where only the first / only the second field changed.
    private var firstChangedAlone = 0
    private var secondChangedAlone = 0
    private var previous: WhatsAppRawDate?

    /// Records the date of the header on `line`.
    mutating func add(_ date: WhatsAppRawDate, line: Int) {
        total += 1
        if date.monthNamed {
            monthNamed += 1
            return
        }
        if date.yearFirst {
            yearFirst += 1
            return
        }
        if date.first > 12 {
            firstOver12 += 1
            if firstOver12Line == nil {
                firstOver12Line = line
                firstOver12Example = date.first
            }
        }
        if date.second > 12 {
            secondOver12 += 1
            if secondOver12Line == nil {
                secondOver12Line = line
                secondOver12Example = date.second
            }
        }
        if let previous, previous.third == date.third {
            let firstChanged = previous.first != date.first
            let secondChanged = previous.second != date.second
            if firstChanged && !secondChanged { firstChangedAlone += 1 }
            if secondChanged && !firstChanged { secondChangedAlone += 1 }
        }
        previous = date
    }

    /// The order for the file, with how sure it is and why.
    var decision: DateOrderDecision {
        if total == 0 {
            return DateOrderDecision(
                order: .dayMonthYear, certainty: .assumed, reason: "no dates in the file; assumed d/m/y")
        }
        if monthNamed > 0 {
            return DateOrderDecision(
                order: .dayMonthYear, certainty: .certain, reason: "the month is written as a name")
        }
        if yearFirst > 0 {
            return DateOrderDecision(
                order: .yearMonthDay, certainty: .certain, reason: "the date starts with a four-digit year")
        }
        switch (firstOver12 > 0, secondOver12 > 0) {
        case (true, false):
            return DateOrderDecision(
                order: .dayMonthYear, certainty: .certain,
                reason:
                    "the first date field is \(firstOver12Example) (over 12) on line \(firstOver12Line ?? 0), so it is the day"
            )
        case (false, true):
            return DateOrderDecision(
                order: .monthDayYear, certainty: .certain,
                reason:
                    "the second date field is \(secondOver12Example) (over 12) on line \(secondOver12Line ?? 0), so it is the day"
            )
        case (true, true):
            let order: DateFieldOrder = firstOver12 >= secondOver12 ? .dayMonthYear : .monthDayYear
            return DateOrderDecision(
                order: order, certainty: .inferred,
                reason:
                    "conflicting dates: the first field exceeds 12 in \(firstOver12) header(s) (first on line \(firstOver12Line ?? 0)), the second in \(secondOver12) (first on line \(secondOver12Line ?? 0)); took the majority"
            )
        case (false, false):
            break
        }
        if firstChangedAlone > secondChangedAlone {
            return DateOrderDecision(
                order: .dayMonthYear, certainty: .inferred,
                reason:
                    "no field exceeds 12; between consecutive dates the first field changed alone \(firstChangedAlone) time(s), the second \(secondChangedAlone), so the first is the day"
            )
        }
        if secondChangedAlone > firstChangedAlone {
            return DateOrderDecision(
                order: .monthDayYear, certainty: .inferred,
                reason:
                    "no field exceeds 12; between consecutive dates the second field changed alone \(secondChangedAlone) time(s), the first \(firstChangedAlone), so the second is the day"
            )
        }
        return DateOrderDecision(
            order: .dayMonthYear, certainty: .assumed,
            reason: "no field exceeds 12 and the way dates change does not tell day from month; assumed d/m/y")
    }

    /// The calendar year a raw year field stands for.
    static func year(_ date: WhatsAppRawDate, value: Int, digits: Int) -> Int {
        switch date.yearStyle {
        case .buddhist: return value - 543
        case .japaneseEra(let base): return base + value
        case .gregorian: return digits <= 2 ? 2000 + value : value
        }
    }

    /// The wall-clock time of a header under `order`; `nil` when the fields make no date.
    ///
    /// A 12-hour time that is not one (`23:59 PM`, `00:04 AM`) is taken as the 24-hour value it
    /// shows; `invalidClock` is set so the caller can note it.
    static func timestamp(
        _ date: WhatsAppRawDate, _ time: WhatsAppRawTime, order: DateFieldOrder, invalidClock: inout Bool
    ) -> LocalTimestamp? {
        let day: Int
        let month: Int
        let year: Int
        if date.monthNamed {
            (day, month, year) = (date.first, date.second, Self.year(date, value: date.third, digits: date.thirdDigits))
        } else if date.yearFirst {
            (year, month, day) = (date.first, date.second, date.third)
        } else if order == .monthDayYear {
            (month, day, year) = (date.first, date.second, Self.year(date, value: date.third, digits: date.thirdDigits))
        } else {
            (day, month, year) = (date.first, date.second, Self.year(date, value: date.third, digits: date.thirdDigits))
        }
        guard (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year) else { return nil }

        var hour = time.hour
        switch time.meridiem {
        case .none:
            break
        case .am:
            if hour == 12 {
                hour = 0
            } else if hour == 0 || hour > 12 {
                invalidClock = true
            }
        case .pm:
            if hour >= 1 && hour < 12 {
                hour += 12
            } else if hour == 0 || hour > 12 {
                invalidClock = true
            }
        }
        if hour == 24 { hour = 0 }
        guard hour < 24, time.minute < 60 else { return nil }
        return LocalTimestamp(
            year: year, month: month, day: day, hour: hour, minute: time.minute, second: min(time.second, 59))
    }

    private static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }
}
