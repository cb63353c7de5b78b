/// Durations as rule files write them: `90s`, `10m`, `2h`, `1h30m`.
public enum DurationText {
    /// Parses `text`, or returns nil when it is not a sequence of whole numbers with units
    /// `s`, `m` or `h`.
    public static func parse(_ text: String) -> Duration? {
        var total: Int64 = 0
        var number: Int64?
        var sawUnit = false
        for character in text where character != " " {
            if let digit = character.wholeNumberValue, character.isASCII {
                number = (number ?? 0) * 10 + Int64(digit)
                guard number! < 1_000_000 else { return nil }
                continue
            }
            guard let value = number else { return nil }
            switch character {
            case "s": total += value
            case "m": total += value * 60
            case "h": total += value * 3600
            default: return nil
            }
            number = nil
            sawUnit = true
        }
        guard sawUnit, number == nil else { return nil }
        return .seconds(total)
    }

    /// `10m`, `2h`, `1h30m`, `45s`: the shortest form that `parse` reads back.
    public static func format(_ duration: Duration) -> String {
        let seconds = duration.components.seconds
        if seconds == 0 { return "0s" }
        var out = ""
        if seconds >= 3600 { out += "\(seconds / 3600)h" }
        if seconds % 3600 >= 60 { out += "\(seconds % 3600 / 60)m" }
        if seconds % 60 != 0 { out += "\(seconds % 60)s" }
        return out
    }
}
