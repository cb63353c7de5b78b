/// One alert of a streamed export as it waits on disk for settlement: the alert, and what the
/// transcript knows of its message and of the messages that responded to it.
///
/// Written with `encode(into:includingSource:)` and read back with `decode(from:source:)`, in
/// the binary format of `BinaryRecordWriter`; a file of them frames each (`writeFramed`).
public struct AlertSpillEntry: Sendable, Hashable {
    public var alert: Alert
    /// The message the alert is on (nil when no transcript was built).
    public var alerted: AlertedMessage?
    /// The facts of each response's message, in the order of `alert.responses`.
    public var responders: [MessageFacts]

    public init(alert: Alert, alerted: AlertedMessage?, responders: [MessageFacts]) {
        self.alert = alert
        self.alerted = alerted
        self.responders = responders
    }

    /// Appends the entry to `writer`; `decode(from:source:)` reads it back equal.
    ///
    /// - Parameter includingSource: false leaves out the alert's `source`, which is the same for
    ///   every alert of an export: it is then supplied again when the entry is decoded.
    public func encode(into writer: inout BinaryRecordWriter, includingSource: Bool) {
        alert.encode(into: &writer, includingSource: includingSource)
        writer.writeOptional(alerted) { $1.encode(into: &$0) }
        writer.writeArray(responders) { $1.encode(into: &$0) }
    }

    /// Reads an entry that `encode(into:includingSource:)` wrote.
    ///
    /// - Parameter source: the alert's source when the entry was written without it (then
    ///   required: without it the entry is refused); an entry written with its source keeps its own.
    public static func decode(
        from reader: inout BinaryRecordReader, source: Alert.SourceInfo?
    ) throws(LeakwatchError) -> AlertSpillEntry {
        AlertSpillEntry(
            alert: try Alert.decode(from: &reader, source: source),
            alerted: try reader.readOptional { reader throws(LeakwatchError) in
                try AlertedMessage.decode(from: &reader)
            },
            responders: try reader.readArray { reader throws(LeakwatchError) in try MessageFacts.decode(from: &reader) }
        )
    }
}
