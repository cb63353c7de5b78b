/// What must be known about a whole WhatsApp text before any of it can be turned into messages:
/// the evidence for the file's day/month order and how often each sender candidate occurs.
/// Gathered line by line from header lines only, so a streamed file is surveyed in one bounded
/// pass and then parsed chunk by chunk (`WhatsAppTextParser.parseChunk`) exactly as it would
/// be whole.
struct WhatsAppSurvey {
    let layout: WhatsAppLayout
    private var resolver = WhatsAppDateResolver()
    /// How often each sender candidate was counted, but for the run still going on.
    private var counted: [String: Int] = [:]
    /// The candidate of the last header line, and how many header lines in a row it was: a run
    /// is counted once it ends, without hashing the name for every line.
    private var run: (name: String, lines: Int)?
    private var scanner = WhatsAppHeaderScanner()
    private var lineNumber = 0

    init(layout: WhatsAppLayout) {
        self.layout = layout
    }

    /// The day/month order decided from every header added so far.
    var decision: DateOrderDecision { resolver.decision }

    /// How many header lines of those added so far each sender candidate starts.
    var candidateCounts: [String: Int] {
        guard let run else { return counted }
        var counts = counted
        counts[run.name, default: 0] += run.lines
        return counts
    }

    /// Adds the complete lines `b` (the next lines of the file, in order).
    mutating func add(lines b: UnsafeBufferPointer<UInt8>) {
        var pos = 0
        while pos < b.count {
            lineNumber += 1
            let (contentEnd, next) = WhatsAppTextParser.lineBounds(b, pos)
            defer { pos = next }
            guard let header = scanner.scan(b, start: pos, end: contentEnd), header.layout == layout else { continue }
            resolver.add(header.date, line: lineNumber)
            if let name = WhatsAppTextParser.senderCandidate(b, header: header, lineEnd: contentEnd).name {
                if let last = run, last.name == name {
                    run?.lines += 1
                } else {
                    if let last = run { counted[last.name, default: 0] += last.lines }
                    run = (name, 1)
                }
            }
        }
    }
}
