/// The alerts of a streamed export, waiting on disk for settlement with what the transcript
/// knows of their messages (`AlertSpillEntry`), in the order they were found. Memory stays flat
/// however many there are; settlement reads them back one at a time.
public struct SpilledAlerts: Sendable {
    /// Where the entries are, written without their `source` (the same for every alert).
    public let spill: any RecordSpill
    /// The alerts' source: known in full only once the export has been read to its end (its
    /// participants), so it is kept once, here, not with every entry.
    public var source: Alert.SourceInfo
    /// How many alerts.
    public let count: Int

    public init(spill: any RecordSpill, source: Alert.SourceInfo) {
        self.spill = spill
        self.source = source
        self.count = spill.count
    }

    /// Writes `entries` to `spill`, each without its source.
    static func append(_ entries: [AlertSpillEntry], to spill: any RecordSpill) throws(LeakwatchError) {
        var writer = BinaryRecordWriter(capacity: 2048)
        for entry in entries {
            writer.bytes.removeAll(keepingCapacity: true)
            entry.encode(into: &writer, includingSource: false)
            try spill.append(writer.bytes)
        }
    }

    /// Reads the entries back, in order, their alerts' source filled in.
    public func entries() throws(LeakwatchError) -> Reader {
        Reader(records: try spill.records(limit: count), source: source)
    }

    /// Reads spilled entries in order.
    public struct Reader {
        var records: RecordSpillReader
        let source: Alert.SourceInfo

        /// The next entry, or nil after the last.
        public mutating func next() throws(LeakwatchError) -> AlertSpillEntry? {
            guard let record = try records.next() else { return nil }
            var reader = BinaryRecordReader(record)
            return try AlertSpillEntry.decode(from: &reader, source: source)
        }
    }
}
