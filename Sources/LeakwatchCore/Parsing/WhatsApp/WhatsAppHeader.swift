/// How a file writes the date/time prefix of its message lines. Decided once per file from the
/// first header lines; afterwards only header lines in this same layout start a message.
struct WhatsAppLayout: Hashable, Sendable, CustomStringConvertible {
    /// What frames the date/time.
    enum Frame: UInt8, Sendable {
        /// `[date, time] rest` (iOS).
        case bracketed
        /// `date, time - rest` (Android).
        case dashed
        /// `date time: rest` (old iOS).
        case colon
    }

    var frame: Frame
    /// `[14:56:01, 3/18/22]`, `19:23, 28 Aug 2013 - `.
    var timeFirst: Bool
    /// `/`, `.` or `-` between numeric date fields; a space when the month is a name.
    var dateSeparator: UInt8

    var format: ExportFormat {
        switch frame {
        case .bracketed: return .whatsAppIOS
        case .dashed: return .whatsAppAndroid
        case .colon: return .whatsAppIOSLegacy
        }
    }

    var description: String {
        let frameText: String
        switch frame {
        case .bracketed: frameText = "[…]"
        case .dashed: frameText = "… -"
        case .colon: frameText = "…:"
        }
        let separator = dateSeparator == WhatsAppBytes.space ? "month-name" : String(UnicodeScalar(dateSeparator))
        return "\(frameText) \(timeFirst ? "time,date" : "date,time") \(separator)"
    }
}

/// The date of a header as written: three fields whose day/month order is decided per file.
struct WhatsAppRawDate: Hashable, Sendable {
    /// How the year field is counted.
    enum YearStyle: Hashable, Sendable {
        case gregorian
        /// Thai Buddhist era (`2565 BE`): Gregorian + 543.
        case buddhist
        /// Japanese era (`R4`): the Gregorian year before the era's first year.
        case japaneseEra(base: Int)
    }

    var first: Int
    var second: Int
    var third: Int
    var firstDigits: Int
    var thirdDigits: Int
    /// The month was a name (`28 Aug 2013`): `first` is the day, `second` the month.
    var monthNamed: Bool = false
    var yearStyle: YearStyle = .gregorian

    /// The year comes first (`2022-03-18`, `2022/3/18`).
    var yearFirst: Bool { firstDigits == 4 && !monthNamed }
}

/// Before or after noon, when the clock is a 12-hour one.
enum WhatsAppMeridiem: Sendable {
    case none, am, pm
}

/// The time of a header as written.
struct WhatsAppRawTime: Hashable, Sendable {
    var hour: Int
    var minute: Int
    var second: Int
    var meridiem: WhatsAppMeridiem
}

/// One recognised header line. Offsets are absolute byte offsets into the export's UTF-8.
struct WhatsAppHeader: Sendable {
    var layout: WhatsAppLayout
    var date: WhatsAppRawDate
    var time: WhatsAppRawTime
    /// Where the date/time text starts and ends (for `Message.sent`).
    var sentStart: Int
    var sentEnd: Int
    /// Where the text after the header (sender and body, or a system line) starts.
    var restStart: Int
}
