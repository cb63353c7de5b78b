import Foundation

/// Renders alerts and records for people (`leakwatch scan` text output) and machines (JSON
/// lines). Pure: returns strings.
public enum AlertFormatting {
    /// One JSON object on one line, keys sorted, no trailing newline. Alerts and records are
    /// written by `JSONLineWriter` (the same bytes as `JSONEncoder`, faster); other values by
    /// `JSONEncoder`.
    public static func jsonLine(_ value: some Encodable) -> String {
        if let value = value as? any JSONLineWritable, let line = JSONLineWriter.line(value) { return line }
        return encoderLine(value)
    }

    /// `alert.jsonLine`, without a dynamic cast.
    public static func jsonLine(_ alert: Alert) -> String { alert.jsonLine }

    /// `record.jsonLine`, without a dynamic cast.
    public static func jsonLine(_ record: ScanRecord) -> String { record.jsonLine }

    /// `value` through `JSONEncoder` with `[.sortedKeys, .withoutEscapingSlashes]`: the reference
    /// `JSONLineWriter` must match; `{}` when `JSONEncoder` refuses the value.
    static func encoderLine(_ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(value) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }

    /// `path:line: severity rule-id [sender, sent] excerpt`, coloured with ANSI when asked.
    public static func textLine(_ alert: Alert, color: Bool) -> String {
        let location =
            alert.source.path + (alert.source.entry.map { "!\($0)" } ?? "")
            + (alert.message.line.map { ":\($0)" } ?? "")
            + (alert.message.id.map { "#\($0)" } ?? "")
        let severity = alert.rule.severity.uppercased()
        let sender = alert.message.sender ?? (alert.source.format == ExportFormat.media.rawValue ? "" : "(system)")
        let who = [sender, alert.message.sent].filter { !$0.isEmpty }.joined(separator: ", ")
        let excerpt = (who.isEmpty ? "" : "[\(who)] ") + mediaPrefix(alert) + alert.match.excerpt
        guard color else {
            return "\(location): \(severity) \(alert.rule.id) \(excerpt)"
        }
        let severityColor: String
        switch Severity(rawValue: alert.rule.severity) ?? .info {
        case .critical, .high: severityColor = "\u{1B}[1;31m"
        case .medium: severityColor = "\u{1B}[33m"
        case .low, .info: severityColor = "\u{1B}[36m"
        }
        let reset = "\u{1B}[0m"
        return
            "\u{1B}[35m\(location)\(reset): \(severityColor)\(severity)\(reset) \u{1B}[1m\(alert.rule.id)\(reset) \(excerpt)"
    }

    /// `(media-text of IMG-0001.jpg, OCR 93) ` for matches inside an attached file.
    static func mediaPrefix(_ alert: Alert) -> String {
        guard alert.match.field.hasPrefix("media-"), alert.match.knownMedia == nil,
            let attachment = alert.match.attachment
        else { return "" }
        var parts = ["\(alert.match.field) of \(attachment)"]
        if let page = alert.match.page { parts.append("page \(page)") }
        if let confidence = alert.match.ocrConfidence { parts.append("OCR \(confidence)") }
        return "(\(parts.joined(separator: ", "))) "
    }

    /// One line for a record.
    public static func textLine(_ record: ScanRecord) -> String {
        let location =
            record.source.path + (record.source.entry.map { "!\($0)" } ?? "") + (record.line.map { ":\($0)" } ?? "")
        return "\(location): \(record.kind.rawValue): \(record.detail)"
    }

    /// RFC 3339 UTC with seconds, for `detected_at`.
    public static func rfc3339(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: false, timeZone: .gmt))
    }
}
