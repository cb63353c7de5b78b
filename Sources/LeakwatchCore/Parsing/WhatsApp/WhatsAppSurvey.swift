/// What must be known about a whole WhatsApp text before any of it can be turned into messages:
/// the evidence for the file's day/month order and how often each sender candidate occurs.
/// Gathered line by line from header lines only, so a streamed file is surveyed in one bounded
/// pass and then parsed chunk by chunk (`WhatsAppTextParser.parseChunk`) exactly as it would
/// be whole.
struct WhatsAppSurvey {
    let layout: WhatsAppLayout
    private var resolver = WhatsAppDateResolver()
    /// How many header lines each sender candidate starts: complete once `finish()` is called.
    private(set) var candidateCounts: [String: Int] = [:]
    private var scanner = WhatsAppHeaderScanner()
    private var lineNumber = 0
    /// The candidates met, and header lines counted by their id there (by name in
    /// `candidateCounts` for those without one).
    private var names = WhatsAppNameTable()
    private var countsByID: [Int] = []

    init(layout: WhatsAppLayout) {
        self.layout = layout
    }

    /// The day/month order decided from every header added so far.
    var decision: DateOrderDecision { resolver.decision }

    /// Adds the complete lines `b` (the next lines of the file, in order).
    mutating func add(lines b: UnsafeBufferPointer<UInt8>) {
        var pos = 0
        while pos < b.count {
            lineNumber += 1
            let (contentEnd, next) = WhatsAppTextParser.lineBounds(b, pos)
            defer { pos = next }
            guard let header = scanner.scan(b, start: pos, end: contentEnd), header.layout == layout else { continue }
            resolver.add(header.date, line: lineNumber)
            let found = WhatsAppTextParser.senderCandidate(b, header: header, lineEnd: contentEnd, names: &names)
            guard let name = found.name else { continue }
            if let id = found.id {
                if id >= countsByID.count { countsByID += [Int](repeating: 0, count: id + 1 - countsByID.count) }
                countsByID[id] += 1
            } else {
                candidateCounts[name, default: 0] += 1
            }
        }
    }

    /// Completes `candidateCounts` once every line is added.
    mutating func finish() {
        for (id, count) in countsByID.enumerated() where count > 0 {
            guard let name = names.names[id] else { continue }
            candidateCounts[name, default: 0] += count
        }
        countsByID.removeAll()
    }
}
