// `leakwatch.record.v1` written without `JSONEncoder`: the same bytes, faster (see
// `JSONLineWriter`). Each `writeJSON(to:)` below is the one place that lists its type's keys.
//
// KEEP EACH LIST SORTED as `JSONEncoder` sorts keys: by code unit, so `_` sorts before letters
// (`detail` < `detected_at`, `message_id` < `message_key`). Use the coding key's raw value. The
// record's `Encodable` conformance is synthesized: an absent optional is left out (not `null`,
// unlike the alert's). A field added to a type must be added here too: `JSONLineWriterTests`
// compares every line with `JSONEncoder`'s.

extension ScanRecord: JSONLineWritable {
    /// This record as one JSON line, keys sorted: what `AlertFormatting.jsonLine` gives.
    public var jsonLine: String {
        JSONLineWriter.line(self) ?? AlertFormatting.encoderLine(self)
    }

    func writeJSON(to writer: inout JSONLineWriter) {
        writer.beginObject()
        if let alert {
            writer.key("alert")
            writer.string(alert)
        }
        if let code {
            writer.key("code")
            writer.string(code)
        }
        writer.key("detail")
        writer.string(detail)
        writer.key("detected_at")
        writer.string(detectedAt)
        writer.key("id")
        writer.string(id)
        writer.key("kind")
        writer.string(kind.rawValue)
        if let line {
            writer.key("line")
            writer.int(line)
        }
        if let messageID {
            writer.key("message_id")
            writer.string(messageID)
        }
        if let messageKey {
            writer.key("message_key")
            writer.string(messageKey)
        }
        if let rule {
            writer.key("rule")
            writer.string(rule)
        }
        writer.key("schema")
        writer.string(schema)
        if let sender {
            writer.key("sender")
            writer.string(sender)
        }
        writer.key("source")
        source.writeJSON(to: &writer)
        writer.endObject()
    }
}

extension ScanRecord.Source: JSONLineWritable {
    func writeJSON(to writer: inout JSONLineWriter) {
        writer.beginObject()
        if let chat {
            writer.key("chat")
            writer.string(chat)
        }
        if let entry {
            writer.key("entry")
            writer.string(entry)
        }
        writer.key("format")
        writer.string(format)
        writer.key("path")
        writer.string(path)
        writer.key("sha256")
        writer.string(sha256)
        writer.endObject()
    }
}
