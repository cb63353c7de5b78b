// `leakwatch.alert.v1` written without `JSONEncoder`: the same bytes, faster (see
// `JSONLineWriter`). Each `writeJSON(to:)` below is the one place that lists its type's keys.
//
// KEEP EACH LIST SORTED as `JSONEncoder` sorts keys: by code unit, so `_` sorts before letters
// (`detail` < `detected_at`, `sender` < `sent` < `sent_local`). Use the coding key's raw value
// (`detected_at`, not `detectedAt`). A field added to a type must be added here too, with
// `null` when it is absent, as the explicit `encode(to:)` methods write it:
// `JSONLineWriterTests` compares every line with `JSONEncoder`'s.

extension Alert: JSONLineWritable {
    /// This alert as one JSON line, keys sorted: what `AlertFormatting.jsonLine` gives.
    public var jsonLine: String {
        JSONLineWriter.line(self) ?? AlertFormatting.encoderLine(self)
    }

    func writeJSON(to writer: inout JSONLineWriter) {
        writer.beginObject()
        writer.key("detected_at")
        writer.string(detectedAt)
        writer.key("exposure")
        if let exposure { writer.strings(exposure) } else { writer.null() }
        writer.key("id")
        writer.string(id)
        writer.key("match")
        match.writeJSON(to: &writer)
        writer.key("message")
        message.writeJSON(to: &writer)
        writer.key("responses")
        if let responses { writer.values(responses) } else { writer.null() }
        writer.key("rule")
        rule.writeJSON(to: &writer)
        writer.key("schema")
        writer.string(schema)
        writer.key("source")
        source.writeJSON(to: &writer)
        writer.endObject()
    }
}

extension Alert.RuleInfo: JSONLineWritable {
    func writeJSON(to writer: inout JSONLineWriter) {
        writer.beginObject()
        writer.key("category")
        writer.string(category)
        writer.key("id")
        writer.string(id)
        writer.key("revision")
        writer.string(revision)
        writer.key("severity")
        writer.string(severity)
        writer.key("tags")
        writer.strings(tags)
        writer.key("title")
        writer.string(title)
        writer.endObject()
    }
}

extension Alert.SourceInfo: JSONLineWritable {
    func writeJSON(to writer: inout JSONLineWriter) {
        writer.beginObject()
        writer.key("chat")
        writer.string(chat)
        writer.key("entry")
        writer.string(entry)
        writer.key("format")
        writer.string(format)
        writer.key("participants")
        writer.strings(participants)
        writer.key("path")
        writer.string(path)
        writer.key("sha256")
        writer.string(sha256)
        writer.endObject()
    }
}

extension Alert.MessageInfo: JSONLineWritable {
    func writeJSON(to writer: inout JSONLineWriter) {
        writer.beginObject()
        writer.key("id")
        writer.string(id)
        writer.key("key")
        writer.string(key)
        writer.key("kind")
        writer.string(kind)
        writer.key("line")
        writer.int(line)
        writer.key("sender")
        writer.string(sender)
        writer.key("sent")
        writer.string(sent)
        writer.key("sent_local")
        writer.string(sentLocal)
        writer.endObject()
    }
}

extension Alert.Response: JSONLineWritable {
    func writeJSON(to writer: inout JSONLineWriter) {
        writer.beginObject()
        writer.key("key")
        writer.string(key)
        writer.key("kind")
        writer.string(kind.rawValue)
        writer.key("line")
        writer.int(line)
        writer.key("sender")
        writer.string(sender)
        writer.endObject()
    }
}

extension Alert.MatchInfo: JSONLineWritable {
    func writeJSON(to writer: inout JSONLineWriter) {
        writer.beginObject()
        writer.key("attachment")
        writer.string(attachment)
        writer.key("confidence")
        writer.string(confidence)
        writer.key("excerpt")
        writer.string(excerpt)
        writer.key("field")
        writer.string(field)
        writer.key("fingerprint")
        writer.string(fingerprint)
        writer.key("known_media")
        writer.value(knownMedia)
        writer.key("model")
        writer.value(model)
        writer.key("ocr_confidence")
        writer.int(ocrConfidence)
        writer.key("page")
        writer.int(page)
        writer.key("redacted")
        writer.bool(redacted)
        writer.endObject()
    }
}

extension Alert.KnownMediaInfo: JSONLineWritable {
    func writeJSON(to writer: inout JSONLineWriter) {
        writer.beginObject()
        writer.key("algorithm")
        writer.string(algorithm)
        writer.key("distance")
        writer.int(distance)
        writer.key("hash")
        writer.string(hash)
        writer.key("label")
        writer.string(label)
        writer.key("line")
        writer.int(line)
        writer.key("list")
        writer.string(list)
        writer.key("threshold")
        writer.int(threshold)
        writer.endObject()
    }
}

extension Alert.ModelInfo: JSONLineWritable {
    func writeJSON(to writer: inout JSONLineWriter) {
        writer.beginObject()
        writer.key("features")
        writer.strings(features)
        writer.key("name")
        writer.string(name)
        writer.key("probability")
        writer.double(probability)
        writer.endObject()
    }
}
