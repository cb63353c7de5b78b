/// What must be known about a whole WhatsApp text before any of it can be turned into messages:
/// the evidence for the file's day/month order and how often each sender candidate occurs.
/// Gathered line by line from header lines only, so a streamed file is surveyed in one bounded
/// pass and then parsed chunk by chunk (`WhatsAppTextParser.parseChunk`) exactly as it would
/// be whole.
struct WhatsAppSurvey {
    let layout: WhatsAppLayout
    private var resolver = WhatsAppDateResolver()
    /// How many header lines of those added so far each sender candidate starts.
    private(set) var candidateCounts: [String: Int] = [:]
    private var scanner = WhatsAppHeaderScanner()
    private var lineNumber = 0

    init(layout: WhatsAppLayout) {
        self.layout = layout
    }

    /// The day/month order decided from every header added so far.
    var decision: DateOrderDecision { resolver.decision }

    /// Adds the complete lines `b` (the next lines of the file, in order).
    mutating func add(lines b: UnsafeBufferPointer<UInt8>) {
        // A run of header lines with one candidate is counted once it ends (one hash of the name
        // per run, not per line).
        var run: (name: String, lines: Int)?
        defer { if let run { candidateCounts[run.name, default: 0] += run.lines } }
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
                    if let last = run { candidateCounts[last.name, default: 0] += last.lines }
                    run = (name, 1)
                }
            }
        }
    }
}
