import PCRE2
import Vectorscan

/// One worker's matching state: PCRE2 match data and JIT stack, and reusable buffers. Create
/// one per worker thread or task and reuse it for every export; never share it.
public final class MatchScratch {
    let pcre: PCRE2Scratch
    var corpora: [FieldCorpus.Key: FieldCorpus] = [:]
    /// Send times of the messages being matched, in seconds (`LocalTimestamp.secondsSinceEpoch`).
    var times: [Int64?] = []
    var model = LinearTextModelScratch()
    /// Each rule's category, by rule index (for contexts that are another category's alerts).
    var ruleCategories: [RuleCategory] = []
    /// The revision of the rule set `ruleCategories` was taken from.
    var ruleCategoriesOf: String?
    /// Per prefilter expression id, the messages it matched in, ascending.
    var candidates: [[Int32]] = []
    private var vectorscan: VectorscanScratch?
    private var vectorscanFor: ObjectIdentifier?
    private let hits = VectorscanSegmentHits()
    private var segmentEnds: [Int] = []

    /// - Throws: `LeakwatchError` when PCRE2 cannot allocate its match data.
    public init(budget: ScanBudget = ScanBudget()) throws(LeakwatchError) {
        guard
            let pcre = PCRE2Scratch(
                limits: PCRE2MatchLimits(matchLimit: budget.matchLimit, heapLimitKiB: budget.heapLimitKiB))
        else {
            throw LeakwatchError(code: .io, message: "PCRE2 could not allocate match data")
        }
        self.pcre = pcre
    }

    /// Scans every field buffer `prefilter` has a database for and fills `candidates`.
    func runPrefilter(_ prefilter: RulePrefilter) {
        if candidates.count < prefilter.entries.count {
            candidates = [[Int32]](repeating: [], count: prefilter.entries.count)
        }
        for index in 0..<prefilter.entries.count { candidates[index].removeAll(keepingCapacity: true) }
        if vectorscanFor != ObjectIdentifier(prefilter) {
            // Scratch space that serves every database of this prefilter.
            vectorscan = nil
            for database in prefilter.databases.values {
                if let vectorscan {
                    _ = vectorscan.accommodate(database)
                } else {
                    vectorscan = VectorscanScratch(for: database)
                }
            }
            vectorscanFor = ObjectIdentifier(prefilter)
        }
        guard let vectorscan else { return }
        for (key, database) in prefilter.databases {
            guard let corpus = corpora[key], !corpus.segments.isEmpty else { continue }
            segmentEnds.removeAll(keepingCapacity: true)
            for segment in corpus.segments { segmentEnds.append(segment.end + 1) }
            hits.reset(segmentEnds: segmentEnds, idCount: prefilter.entries.count)
            let scanned = corpus.bytes.withUnsafeBufferPointer { buffer in
                database.scan(buffer, scratch: vectorscan, into: hits)
            }
            if !scanned {
                // Vectorscan failed on this buffer: every message is a candidate for its entries.
                for (id, entry) in prefilter.entries.enumerated() where entry.key == key {
                    candidates[id] = corpus.segments.map { Int32($0.message) }
                }
                continue
            }
            for hit in hits.hits {
                let message = Int32(corpus.segments[Int(hit.segment)].message)
                if candidates[Int(hit.id)].last != message { candidates[Int(hit.id)].append(message) }
            }
        }
    }
}
