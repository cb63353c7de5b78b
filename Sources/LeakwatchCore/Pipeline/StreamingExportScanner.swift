import Synchronization

/// Scans a text export of any size in bounded memory: `StreamingExportParser` reads it chunk by
/// chunk (a sniff, a survey of the whole file, then chunks cut only before a line that starts a
/// message), and each chunk's messages are matched with the worker's `MatchScratch`. Rules with a
/// `context.window` see the neighbours across chunk boundaries: each match runs over the chunk's
/// messages plus the `window` messages on either side, and only reports hits on the chunk's own.
///
/// The result is the one `ExportScanner.scan` gives for the same bytes: the same alerts (ids,
/// excerpts, lines, fingerprints), records and summary. Files that cannot be streamed are read
/// whole from the source, up to `wholeFileLimit` bytes, and scanned by `ExportScanner`.
public struct StreamingExportScanner: Sendable {
    /// The default chunk size: 512 KiB. Matching costs about 40 bytes of memory per byte of a
    /// chunk with the shipped rules (their `fold` normalization keeps source offsets for every
    /// byte).
    public static let defaultChunkBytes = StreamingExportParser.defaultChunkBytes

    public let scanner: ExportScanner
    /// About how many bytes of text are parsed and matched at a time (a chunk is longer when one
    /// message is).
    public var chunkBytes: Int

    public init(scanner: ExportScanner, chunkBytes: Int = StreamingExportScanner.defaultChunkBytes) {
        self.scanner = scanner
        self.chunkBytes = max(1, chunkBytes)
    }

    /// Scans the file `source` reads, reported as `path` (`fileName` is its last component).
    ///
    /// - Parameter wholeFileLimit: the largest file read whole when it cannot be streamed (a zip or
    ///   JSON export); a larger one fails with `too-large`.
    public func scan<Source: ExportByteSource>(
        _ source: inout Source, path: String, fileName: String, scratch: MatchScratch, detectedAt: String,
        wholeFileLimit: Int = .max, watch: ContentWatch? = nil
    ) -> ScanResult {
        do {
            return try scanThrowing(
                &source, path: path, fileName: fileName, scratch: scratch, detectedAt: detectedAt,
                wholeFileLimit: wholeFileLimit, watch: watch)
        } catch {
            var result = ScanResult(file: ScannedFile(path: path, sha256: ""))
            result.failure = LeakwatchError(code: error.code, message: error.message, path: path, cause: error)
            return result
        }
    }

    private func scanThrowing<Source: ExportByteSource>(
        _ source: inout Source, path: String, fileName: String, scratch: MatchScratch, detectedAt: String,
        wholeFileLimit: Int, watch: ContentWatch?
    ) throws(LeakwatchError) -> ScanResult {
        // Set up once the file is known to stream (not for a zip or JSON export read whole).
        var matching: ChunkMatching?
        var head: StreamingExportParser.StreamedExport?
        var alerts: [Alert] = []
        var spill: (any RecordSpill)?
        let transcript = TranscriptBox(watch.map { TranscriptBuilder(watch: $0) })
        var pieces = MessagePieces(maxBytes: scanner.maxLineBytes)
        // Alerts are built as their hits become ready, chunk by chunk, so the messages they are on
        // are not kept to the end; with a spill, the alerts go to disk as they are built. Only
        // `source.participants` is not known until the end.
        func buildAlerts(_ ready: ChunkMatching.ReadyHits) throws(LeakwatchError) {
            guard let head, !ready.hits.isEmpty else { return }
            let file = ScannedFile(path: path, sha256: head.sha256 ?? "")
            let spills = scanner.makeSpill != nil
            let (built, entries) = transcript.builder.withLock { builder in
                let built = scanner.alerts(
                    for: ready.hits,
                    message: { ready.message($0) ?? Message(sent: "", sender: nil, text: "", kind: .text) },
                    follower: ready.follower, in: head.export, exportIndex: 0, file: file, detectedAt: detectedAt,
                    transcript: &builder)
                let entries =
                    spills && !built.isEmpty
                    ? builder?.takeNotes(of: built)
                        ?? built.map { AlertSpillEntry(alert: $0, alerted: nil, responders: []) } : []
                return (built, entries)
            }
            guard !built.isEmpty else { return }
            guard let makeSpill = scanner.makeSpill else {
                alerts += built
                return
            }
            if spill == nil { spill = try makeSpill() }
            guard let spill else { return }
            try SpilledAlerts.append(entries, to: spill)
        }
        var parser = StreamingExportParser(chunkBytes: chunkBytes, maxLineBytes: scanner.maxLineBytes)
        parser.surveysInBackground = scanner.overlapsMatching
        let reading = try parser.parse(
            &source, fileName: fileName, path: path, wholeFileLimit: wholeFileLimit, hashing: true,
            begin: { begun in
                head = begun
                matching = ChunkMatching(
                    matcher: scanner.matcher, scratch: scratch, window: scanner.ruleSet.contextWindow,
                    overlapped: scanner.overlapsMatching)
            },
            messages: { (messages) throws(LeakwatchError) in
                let cutMessages = pieces.cut(messages)
                guard var current = matching.take() else { return }  // `begin` comes first
                // The transcript learns the chunk here, on this thread, and its match is queued on
                // the matching thread (the busier one). `add` returns once the match before it is
                // taken in: its ready hits become alerts while this chunk is matched.
                transcript.builder.withLock { $0?.add(cutMessages, startingAt: current.messageCount) }
                current.add(cutMessages)
                let ready = current.takeReadyHits()
                matching = current
                try buildAlerts(ready)
            })
        let streamed: StreamingExportParser.StreamedExport
        switch reading {
        case .whole(let bytes):
            return scanner.scan(
                bytes, path: path, fileName: fileName, scratch: scratch, detectedAt: detectedAt, watch: watch)
        case .streamed(let parsed): streamed = parsed
        }
        guard var matched = matching.take() else {
            throw LeakwatchError(code: .unparseable, message: "the streamed parse never began", path: path)
        }
        matched.finish()
        try buildAlerts(matched.takeReadyHits())

        let file = ScannedFile(path: path, sha256: streamed.sha256 ?? "")
        var export = streamed.export
        if let note = pieces.note { export.notes.append(note) }
        // Who took part is known only now.
        for index in alerts.indices { alerts[index].source.participants = export.participants }
        var result = ScanResult(file: file)
        if let spill {
            result.spilledAlerts = SpilledAlerts(spill: spill, source: Alert.SourceInfo(file: file, export: export))
        }
        result.watch = watch
        result.ruleCosts = matched.ruleCosts
        scanner.record(
            export: export, messageCount: matched.messageCount, exportIndex: 0, alerts: alerts,
            transcript: transcript.builder.withLock { $0 }, ruleErrors: matched.ruleErrors,
            budgetExhausted: matched.budgetExhausted,
            file: file, detectedAt: detectedAt, into: &result)
        return result
    }
}

/// The transcript of a streamed export while its chunks are matched: the parsing thread adds each
/// chunk before its match is queued, and builds the alerts of chunks before it.
///
/// An alert notes only messages at or before the last one whose match was taken in, which the
/// transcript has learned by then, and learning later messages does not change what is noted of
/// earlier ones.
private final class TranscriptBox: Sendable {
    let builder: Mutex<TranscriptBuilder?>
    init(_ builder: TranscriptBuilder?) { self.builder = Mutex(builder) }
}
