import LeakwatchCore

/// Alerts in order, as a batch carries them: in memory up to `memoryLimit`, the rest in a spill
/// file when the list was given a maker (a streamed export can give millions), read back one at
/// a time by `forEach`.
///
/// A list is built by its one owner with `append`. Copies share the spill file, so a copy must
/// not be appended to; each copy reads only the alerts it counted.
public struct AlertList: Sendable {
    /// How many alerts a list keeps in memory before it spills (when it can).
    public static let defaultMemoryLimit = 1024

    private var memory: [Alert]
    /// The JSON line given with each alert in memory, if any.
    private var memoryLines: [String?]
    private var spill: (any RecordSpill)?
    private var spilled = 0
    private let memoryLimit: Int
    private let makeSpill: RecordSpillMaker?

    /// A list of `alerts`; with `makeSpill`, alerts appended past `memoryLimit` go to disk.
    public init(
        _ alerts: [Alert] = [], memoryLimit: Int = AlertList.defaultMemoryLimit, makeSpill: RecordSpillMaker? = nil
    ) {
        self.memory = alerts
        self.memoryLines = Array(repeating: nil, count: alerts.count)
        self.memoryLimit = max(0, memoryLimit)
        self.makeSpill = makeSpill
    }

    /// An empty list that spills as this one does.
    public func emptyCopy() -> AlertList { AlertList(memoryLimit: memoryLimit, makeSpill: makeSpill) }

    public var count: Int { memory.count + spilled }
    public var isEmpty: Bool { count == 0 }
    /// Whether some of the alerts are on disk.
    public var isSpilled: Bool { spilled > 0 }

    /// Appends `alert` (to the spill file once the list is past its memory limit), with its JSON
    /// line (`AlertFormatting.jsonLine(alert)`) when the caller has made it already: then it is
    /// not made again for the outputs.
    public mutating func append(_ alert: Alert, jsonLine: String? = nil) throws(LeakwatchError) {
        guard let makeSpill, spill != nil || memory.count >= memoryLimit else {
            memory.append(alert)
            memoryLines.append(jsonLine)
            return
        }
        if spill == nil { spill = try makeSpill() }
        guard let spill else { return }
        // The line first: `nextJSONLine` reads it without the alert.
        var writer = BinaryRecordWriter(capacity: 4096)
        writer.writeOptional(jsonLine) { $0.writeString($1) }
        alert.encode(into: &writer, includingSource: true)
        try spill.append(writer.bytes)
        spilled += 1
    }

    /// Calls `body` with each alert, in order.
    public func forEach(_ body: (Alert) throws(LeakwatchError) -> Void) throws(LeakwatchError) {
        var alerts = try makeReader()
        while let alert = try alerts.next() { try body(alert) }
    }

    /// Calls `body` with each alert's id and JSON line, in order.
    public func forEachJSONLine(_ body: (_ id: String, _ line: String) throws(LeakwatchError) -> Void)
        throws(LeakwatchError)
    {
        var alerts = try makeReader()
        while let (id, line) = try alerts.nextJSONLine() { try body(id, line) }
    }

    /// Reads the alerts in order: those in memory, then those on disk.
    public func makeReader() throws(LeakwatchError) -> Reader {
        Reader(
            memory: memory, memoryLines: memoryLines,
            spilled: spill != nil && spilled > 0 ? try spill?.records(limit: spilled) : nil)
    }

    /// Reads a list's alerts in order, one `next()` at a time.
    public struct Reader {
        let memory: [Alert]
        let memoryLines: [String?]
        var position = 0
        var spilled: RecordSpillReader?

        /// The next alert, or nil after the last.
        public mutating func next() throws(LeakwatchError) -> Alert? {
            if position < memory.count {
                position += 1
                return memory[position - 1]
            }
            guard let record = try spilled?.next() else { return nil }
            var reader = BinaryRecordReader(record)
            try reader.skipOptionalString()
            return try Alert.decode(from: &reader)
        }

        /// The next alert's id, or nil after the last: for bookkeeping by id, without building
        /// the alerts read from disk.
        public mutating func nextID() throws(LeakwatchError) -> String? {
            if position < memory.count {
                position += 1
                return memory[position - 1].id
            }
            guard let record = try spilled?.next() else { return nil }
            var reader = BinaryRecordReader(record)
            try reader.skipOptionalString()
            return try Alert.decodeID(from: &reader)
        }

        /// The next alert's id and JSON line (`AlertFormatting.jsonLine`), or nil after the last:
        /// the line appended with it when there was one, without building the alert.
        public mutating func nextJSONLine() throws(LeakwatchError) -> (id: String, line: String)? {
            if position < memory.count {
                position += 1
                let alert = memory[position - 1]
                return (alert.id, memoryLines[position - 1] ?? AlertFormatting.jsonLine(alert))
            }
            guard let record = try spilled?.next() else { return nil }
            var reader = BinaryRecordReader(record)
            if let line = try reader.readOptionalString() { return (try Alert.decodeID(from: &reader), line) }
            let alert = try Alert.decode(from: &reader)
            return (alert.id, AlertFormatting.jsonLine(alert))
        }
    }

    /// Every alert, in an array: for lists known to be small (nothing spilled), and tests.
    public func collected() throws(LeakwatchError) -> [Alert] {
        guard isSpilled else { return memory }
        var all: [Alert] = []
        all.reserveCapacity(count)
        try forEach { all.append($0) }
        return all
    }
}
