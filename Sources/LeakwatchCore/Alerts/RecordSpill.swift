/// Records waiting on disk: appended, then read back in order. Where what would otherwise grow
/// in memory with the input waits (a streamed export's alerts, a settled batch of them).
///
/// The core does no I/O of its own: the file behind it is the caller's (`AlertSpillFile` in
/// LeakwatchOutputs, over `Posix.SpillFile`), handed in as a `RecordSpillMaker`.
public protocol RecordSpill: AnyObject, Sendable {
    /// Records appended so far.
    var count: Int { get }
    /// Appends one record.
    func append(_ record: [UInt8]) throws(LeakwatchError)
    /// Reads back the first `limit` records, in order.
    func records(limit: Int) throws(LeakwatchError) -> RecordSpillReader
}

/// Makes a new, empty spill.
public typealias RecordSpillMaker = @Sendable () throws(LeakwatchError) -> any RecordSpill

/// Reads a spill's records in order, one `next()` at a time.
public struct RecordSpillReader {
    private let nextRecord: () throws(LeakwatchError) -> [UInt8]?

    /// A reader whose records `next` gives, then nil.
    public init(_ next: @escaping () throws(LeakwatchError) -> [UInt8]?) { self.nextRecord = next }

    /// The next record, or nil after the last.
    public mutating func next() throws(LeakwatchError) -> [UInt8]? { try nextRecord() }
}
