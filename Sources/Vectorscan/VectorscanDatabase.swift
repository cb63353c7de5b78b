import CVectorscan

#if canImport(Glibc)
    import Glibc
#endif

/// One expression of a Vectorscan database: the pattern, its flags and the id reported for it.
public struct VectorscanExpression: Sendable, Hashable {
    public var pattern: String
    public var flags: VectorscanFlags
    public var id: UInt32

    public init(pattern: String, flags: VectorscanFlags, id: UInt32) {
        self.pattern = pattern
        self.flags = flags
        self.id = id
    }
}

/// Compile flags (`HS_FLAG_*`).
public struct VectorscanFlags: OptionSet, Sendable, Hashable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let caseless = VectorscanFlags(rawValue: UInt32(HS_FLAG_CASELESS))
    public static let dotAll = VectorscanFlags(rawValue: UInt32(HS_FLAG_DOTALL))
    public static let multiline = VectorscanFlags(rawValue: UInt32(HS_FLAG_MULTILINE))
    public static let singleMatch = VectorscanFlags(rawValue: UInt32(HS_FLAG_SINGLEMATCH))
    public static let allowEmpty = VectorscanFlags(rawValue: UInt32(HS_FLAG_ALLOWEMPTY))
    public static let utf8 = VectorscanFlags(rawValue: UInt32(HS_FLAG_UTF8))
    public static let unicodeProperties = VectorscanFlags(rawValue: UInt32(HS_FLAG_UCP))
    /// Compile an approximation whose matches are a superset of the pattern's: constructs
    /// Vectorscan cannot match exactly (lookaround, back-references) are relaxed.
    public static let prefilter = VectorscanFlags(rawValue: UInt32(HS_FLAG_PREFILTER))
}

/// A compile failure: Vectorscan's message and the index of the expression it names.
public struct VectorscanError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String
    /// Index into the expressions given, when the error is about one of them.
    public var expression: Int?

    public var description: String {
        expression.map { "expression \($0): \(message)" } ?? message
    }
}

/// A compiled block-mode database: the single owner of an `hs_database_t`.
///
/// `@unchecked Sendable`: Vectorscan documents a compiled database as immutable and safe to
/// share between threads (each thread scans with its own `VectorscanScratch`); this class never
/// changes it after `init` and frees it in `deinit`.
public final class VectorscanDatabase: @unchecked Sendable {
    let database: OpaquePointer
    /// Bytes the database takes (`hs_database_size`).
    public let size: Int

    /// Compiles `expressions` together (`hs_compile_multi`, `HS_MODE_BLOCK`).
    /// - Throws: `VectorscanError` naming the first expression Vectorscan refused.
    public init(_ expressions: [VectorscanExpression]) throws(VectorscanError) {
        guard !expressions.isEmpty else { throw VectorscanError(message: "no expressions") }
        let strings = expressions.map { strdup($0.pattern) }
        defer { strings.forEach { free($0) } }
        let pointers: [UnsafePointer<CChar>?] = strings.map { UnsafePointer($0) }
        let flags = expressions.map(\.flags.rawValue)
        let ids = expressions.map(\.id)
        var compiled: OpaquePointer?
        var error: UnsafeMutablePointer<hs_compile_error_t>?
        let rc = hs_compile_multi(
            pointers, flags, ids, UInt32(expressions.count), UInt32(HS_MODE_BLOCK), nil, &compiled, &error)
        guard rc == HS_SUCCESS, let compiled else {
            var failure = VectorscanError(message: "hs_compile_multi failed (\(rc))")
            if let error {
                failure.message = String(cString: error.pointee.message)
                failure.expression = error.pointee.expression >= 0 ? Int(error.pointee.expression) : nil
                hs_free_compile_error(error)
            }
            throw failure
        }
        database = compiled
        var bytes = 0
        hs_database_size(compiled, &bytes)
        size = bytes
    }

    /// A database read back from `serialized()` bytes (`hs_deserialize_database`), which checks
    /// that they were made by this Vectorscan build for this platform.
    /// - Throws: `VectorscanError` when the bytes are not such a database.
    public init(serialized bytes: [UInt8]) throws(VectorscanError) {
        var restored: OpaquePointer?
        let rc = bytes.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { hs_deserialize_database($0.baseAddress, $0.count, &restored) }
        }
        guard rc == HS_SUCCESS, let restored else {
            throw VectorscanError(message: "not a database this Vectorscan can read (\(rc))")
        }
        database = restored
        var size = 0
        hs_database_size(restored, &size)
        self.size = size
    }

    deinit {
        hs_free_database(database)
    }

    /// The database as bytes (`hs_serialize_database`), to store and read back with
    /// `init(serialized:)`; nil when Vectorscan cannot serialise it.
    public func serialized() -> [UInt8]? {
        var bytes: UnsafeMutablePointer<CChar>?
        var length = 0
        guard hs_serialize_database(database, &bytes, &length) == HS_SUCCESS, let bytes else { return nil }
        defer { free(bytes) }
        return bytes.withMemoryRebound(to: UInt8.self, capacity: length) {
            Array(UnsafeBufferPointer(start: $0, count: length))
        }
    }

    /// The Vectorscan version string (`hs_version`): part of any cache key for stored databases.
    public static var version: String { String(cString: hs_version()) }

    /// Whether `expression` compiles on its own (used to sort out what a set can take).
    public static func compiles(_ expression: VectorscanExpression) -> Result<Void, VectorscanError> {
        do {
            _ = try VectorscanDatabase([expression])
            return .success(())
        } catch {
            return .failure(error)
        }
    }
}

/// Per-thread scanning space for a database: the single owner of an `hs_scratch_t`. Not
/// `Sendable`: one thread scans with it at a time.
public final class VectorscanScratch {
    private(set) var scratch: OpaquePointer

    /// Allocates scratch space big enough for `database` (`hs_alloc_scratch`); nil on failure.
    public init?(for database: VectorscanDatabase) {
        var allocated: OpaquePointer?
        guard hs_alloc_scratch(database.database, &allocated) == HS_SUCCESS, let allocated else { return nil }
        scratch = allocated
    }

    deinit {
        hs_free_scratch(scratch)
    }

    /// Grows the scratch space so that it also serves `database` (`hs_alloc_scratch` on the
    /// existing space: it may free it and hand back a new one).
    public func accommodate(_ database: VectorscanDatabase) -> Bool {
        var current: OpaquePointer? = scratch
        guard hs_alloc_scratch(database.database, &current) == HS_SUCCESS, let current else { return false }
        scratch = current
        return true
    }
}

/// Collects the matches of one scan of a buffer made of segments (messages laid end to end):
/// which expression ids matched in which segment, each pair once.
///
/// Vectorscan reports matches in order of their end offset, so the segment of each end is found
/// by walking `segmentEnds` forwards, never by searching.
public final class VectorscanSegmentHits {
    /// `segmentEnds[s]` is the offset just past segment `s` (its separator included); ascending.
    public private(set) var segmentEnds: [Int] = []
    /// `(id, segment)` pairs, in the order found.
    public private(set) var hits: [(id: UInt32, segment: Int32)] = []
    private var lastSegment: [Int32] = []

    public init() {}

    /// Prepares for a scan of a buffer whose segments end at `segmentEnds`, with ids below `idCount`.
    public func reset(segmentEnds: [Int], idCount: Int) {
        self.segmentEnds = segmentEnds
        hits.removeAll(keepingCapacity: true)
        if lastSegment.count < idCount {
            lastSegment = [Int32](repeating: -1, count: idCount)
        } else {
            for index in 0..<idCount { lastSegment[index] = -1 }
        }
    }

    /// What the match callback works on, reached through a raw pointer: no reference counting
    /// and no exclusivity checks for each match.
    fileprivate struct Recorder {
        let segmentEnds: UnsafeBufferPointer<Int>
        let lastSegment: UnsafeMutableBufferPointer<Int32>
        var hits: [(id: UInt32, segment: Int32)]
        var cursor = 0

        @inline(__always)
        mutating func record(id: UInt32, end: Int) {
            // The match ends inside the first segment whose end is past `end - 1`.
            let position = max(0, end - 1)
            while cursor < segmentEnds.count && segmentEnds[cursor] <= position { cursor += 1 }
            guard cursor < segmentEnds.count, Int(id) < lastSegment.count else { return }
            let segment = Int32(cursor)
            if lastSegment[Int(id)] != segment {
                lastSegment[Int(id)] = segment
                hits.append((id, segment))
            }
        }
    }

    /// Runs `body` with a pointer to a `Recorder` over this object's storage; what it recorded is
    /// in `hits` afterwards.
    fileprivate func recording<Result>(_ body: (UnsafeMutableRawPointer) -> Result) -> Result {
        var found: [(id: UInt32, segment: Int32)] = []
        swap(&found, &hits)
        defer { swap(&found, &hits) }
        return segmentEnds.withUnsafeBufferPointer { ends in
            lastSegment.withUnsafeMutableBufferPointer { last in
                var recorder = Recorder(segmentEnds: ends, lastSegment: last, hits: found)
                found = []
                defer { found = recorder.hits }
                return withUnsafeMutablePointer(to: &recorder) { body(UnsafeMutableRawPointer($0)) }
            }
        }
    }
}

extension VectorscanDatabase {
    /// Scans `buffer` (`hs_scan`) and records in `hits` which ids matched in which segment.
    /// - Returns: false when Vectorscan reported an error.
    @discardableResult
    public func scan(_ buffer: UnsafeBufferPointer<UInt8>, scratch: VectorscanScratch, into hits: VectorscanSegmentHits)
        -> Bool
    {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return true }
        let rc = hits.recording { context in
            base.withMemoryRebound(to: CChar.self, capacity: buffer.count) { pointer in
                hs_scan(
                    database, pointer, UInt32(buffer.count), 0, scratch.scratch,
                    { id, _, to, _, context in
                        context?.assumingMemoryBound(to: VectorscanSegmentHits.Recorder.self).pointee.record(
                            id: id, end: Int(to))
                        return 0
                    }, context)
            }
        }
        return rc == HS_SUCCESS
    }
}
