// An alert in the binary format of spilled records (`BinaryRecordWriter`): every stored property,
// field by field, in declaration order. A field added to `Alert` or a nested type must be added
// here too, to both sides (`AlertSpillEntryTests.codecKnowsEveryStoredProperty` fails until it is).

extension Alert {
    /// Appends the alert to `writer`; `decode(from:source:)` reads it back equal.
    ///
    /// - Parameter includingSource: false leaves out `source`, which is the same for every alert
    ///   of an export: it is then supplied again when the alert is decoded.
    public func encode(into writer: inout BinaryRecordWriter, includingSource: Bool = true) {
        // The schema is almost always `schemaName`: nil stands for it.
        writer.writeOptionalString(schema == Alert.schemaName ? nil : schema)
        writer.writeString(id)
        writer.writeString(detectedAt)
        rule.encode(into: &writer)
        if includingSource {
            writer.writeBool(true)
            source.encode(into: &writer)
        } else {
            writer.writeBool(false)
        }
        message.encode(into: &writer)
        match.encode(into: &writer)
        writer.writeOptional(exposure) { $0.writeStrings($1) }
        writer.writeOptional(responses) { writer, responses in
            writer.writeArray(responses) { $1.encode(into: &$0) }
        }
    }

    /// Reads an alert that `encode(into:includingSource:)` wrote.
    ///
    /// - Parameter source: the source of an alert written without it (required then, else the
    ///   record is refused); an alert written with its source keeps its own.
    public static func decode(
        from reader: inout BinaryRecordReader, source: SourceInfo? = nil
    ) throws(LeakwatchError) -> Alert {
        let schema = try reader.readOptionalString() ?? Alert.schemaName
        let id = try reader.readString()
        let detectedAt = try reader.readString()
        let rule = try RuleInfo.decode(from: &reader)
        let written = try reader.readBool() ? try SourceInfo.decode(from: &reader) : nil
        guard let source = written ?? source else {
            throw reader.corrupt("the alert was written without its source, and none was supplied")
        }
        return Alert(
            schema: schema, id: id, detectedAt: detectedAt, rule: rule, source: source,
            message: try MessageInfo.decode(from: &reader),
            match: try MatchInfo.decode(from: &reader),
            exposure: try reader.readOptional { reader throws(LeakwatchError) in try reader.readStrings() },
            responses: try reader.readOptional { reader throws(LeakwatchError) in
                try reader.readArray { reader throws(LeakwatchError) in try Response.decode(from: &reader) }
            })
    }
}

extension Alert {
    /// Reads only the id of an alert that `encode(into:includingSource:)` wrote (it comes first,
    /// after the schema): what delivery bookkeeping needs, without building the alert.
    public static func decodeID(from reader: inout BinaryRecordReader) throws(LeakwatchError) -> String {
        _ = try reader.readOptionalString()
        return try reader.readString()
    }
}

extension Alert.RuleInfo {
    func encode(into writer: inout BinaryRecordWriter) {
        writer.writeString(id)
        writer.writeString(title)
        writer.writeString(category)
        writer.writeString(severity)
        writer.writeString(revision)
        writer.writeStrings(tags)
    }

    static func decode(from reader: inout BinaryRecordReader) throws(LeakwatchError) -> Self {
        Self(
            id: try reader.readString(), title: try reader.readString(), category: try reader.readString(),
            severity: try reader.readString(), revision: try reader.readString(), tags: try reader.readStrings())
    }
}

extension Alert.SourceInfo {
    func encode(into writer: inout BinaryRecordWriter) {
        writer.writeString(path)
        writer.writeString(sha256)
        writer.writeString(format)
        writer.writeOptionalString(entry)
        writer.writeOptionalString(chat)
        writer.writeStrings(participants)
    }

    static func decode(from reader: inout BinaryRecordReader) throws(LeakwatchError) -> Self {
        Self(
            path: try reader.readString(), sha256: try reader.readString(), format: try reader.readString(),
            entry: try reader.readOptionalString(), chat: try reader.readOptionalString(),
            participants: try reader.readStrings())
    }
}

extension Alert.MessageInfo {
    func encode(into writer: inout BinaryRecordWriter) {
        writer.writeOptionalInt(line)
        writer.writeOptionalString(id)
        writer.writeString(sent)
        writer.writeOptionalString(sentLocal)
        writer.writeOptionalString(sender)
        writer.writeString(kind)
        writer.writeOptionalString(key)
    }

    static func decode(from reader: inout BinaryRecordReader) throws(LeakwatchError) -> Self {
        Self(
            line: try reader.readOptionalInt(), id: try reader.readOptionalString(), sent: try reader.readString(),
            sentLocal: try reader.readOptionalString(), sender: try reader.readOptionalString(),
            kind: try reader.readString(), key: try reader.readOptionalString())
    }
}

extension Alert.Response {
    func encode(into writer: inout BinaryRecordWriter) {
        writer.writeOptionalString(sender)
        writer.writeByte(kind.spillByte)
        writer.writeOptionalInt(line)
        writer.writeOptionalString(key)
    }

    static func decode(from reader: inout BinaryRecordReader) throws(LeakwatchError) -> Self {
        let sender = try reader.readOptionalString()
        let byte = try reader.readByte()
        guard let kind = ResponseKind(spillByte: byte) else { throw reader.corrupt("\(byte) is no response kind") }
        return Self(
            sender: sender, kind: kind, line: try reader.readOptionalInt(), key: try reader.readOptionalString())
    }
}

extension ResponseKind {
    /// The kind's byte in a spilled record: fixed here, whatever the order of the cases.
    var spillByte: UInt8 {
        switch self {
        case .endorsement: 0
        case .challenge: 1
        case .neither: 2
        }
    }

    init?(spillByte: UInt8) {
        switch spillByte {
        case 0: self = .endorsement
        case 1: self = .challenge
        case 2: self = .neither
        default: return nil
        }
    }
}

extension Alert.MatchInfo {
    func encode(into writer: inout BinaryRecordWriter) {
        writer.writeString(field)
        writer.writeString(excerpt)
        writer.writeString(fingerprint)
        writer.writeBool(redacted)
        writer.writeString(confidence)
        writer.writeOptional(model) { $1.encode(into: &$0) }
        writer.writeOptionalString(attachment)
        writer.writeOptionalInt(ocrConfidence)
        writer.writeOptionalInt(page)
        writer.writeOptional(knownMedia) { $1.encode(into: &$0) }
    }

    static func decode(from reader: inout BinaryRecordReader) throws(LeakwatchError) -> Self {
        Self(
            field: try reader.readString(), excerpt: try reader.readString(), fingerprint: try reader.readString(),
            redacted: try reader.readBool(), confidence: try reader.readString(),
            model: try reader.readOptional { reader throws(LeakwatchError) in try Alert.ModelInfo.decode(from: &reader)
            },
            attachment: try reader.readOptionalString(), ocrConfidence: try reader.readOptionalInt(),
            page: try reader.readOptionalInt(),
            knownMedia: try reader.readOptional { reader throws(LeakwatchError) in
                try Alert.KnownMediaInfo.decode(from: &reader)
            })
    }
}

extension Alert.ModelInfo {
    func encode(into writer: inout BinaryRecordWriter) {
        writer.writeString(name)
        writer.writeDouble(probability)
        writer.writeStrings(features)
    }

    static func decode(from reader: inout BinaryRecordReader) throws(LeakwatchError) -> Self {
        Self(name: try reader.readString(), probability: try reader.readDouble(), features: try reader.readStrings())
    }
}

extension Alert.KnownMediaInfo {
    func encode(into writer: inout BinaryRecordWriter) {
        writer.writeString(algorithm)
        writer.writeString(label)
        writer.writeInt(distance)
        writer.writeInt(threshold)
        writer.writeString(list)
        writer.writeInt(line)
        writer.writeString(hash)
    }

    static func decode(from reader: inout BinaryRecordReader) throws(LeakwatchError) -> Self {
        Self(
            algorithm: try reader.readString(), label: try reader.readString(), distance: try reader.readInt(),
            threshold: try reader.readInt(), list: try reader.readString(), line: try reader.readInt(),
            hash: try reader.readString())
    }
}
