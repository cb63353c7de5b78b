// What the transcript knows of a message, in the binary format of spilled records
// (`BinaryRecordWriter`, `AlertSpillEntry`): every stored property, in declaration order. A field
// added to one of these types must be added here too, to both sides
// (`AlertSpillEntryTests.codecKnowsEveryStoredProperty` fails until it is).

extension AlertedMessage {
    func encode(into writer: inout BinaryRecordWriter) {
        facts.encode(into: &writer)
        writer.writeString(match)
    }

    static func decode(from reader: inout BinaryRecordReader) throws(LeakwatchError) -> Self {
        Self(facts: try MessageFacts.decode(from: &reader), match: try reader.readString())
    }
}

extension MessageFacts {
    func encode(into writer: inout BinaryRecordWriter) {
        writer.writeInt(index)
        writer.writeOptionalInt(line)
        writer.writeOptionalString(id)
        writer.writeOptionalString(sender)
        writer.writeOptionalInt(minute)
        content.encode(into: &writer)
        writer.writeInt(ordinal)
    }

    static func decode(from reader: inout BinaryRecordReader) throws(LeakwatchError) -> Self {
        Self(
            index: try reader.readInt(), line: try reader.readOptionalInt(), id: try reader.readOptionalString(),
            sender: try reader.readOptionalString(), minute: try reader.readOptionalInt(),
            content: try MessageContent.decode(from: &reader), ordinal: try reader.readInt())
    }
}

extension MessageContent {
    func encode(into writer: inout BinaryRecordWriter) {
        writer.writeUInt64(hash)
        writer.writeInt(textLength)
        writer.writeByte(token.rawValue)
    }

    static func decode(from reader: inout BinaryRecordReader) throws(LeakwatchError) -> Self {
        let hash = try reader.readUInt64()
        let textLength = try reader.readInt()
        let byte = try reader.readByte()
        guard let token = Token(rawValue: byte) else { throw reader.corrupt("\(byte) is no message content token") }
        return Self(hash: hash, textLength: textLength, token: token)
    }
}
