/// Scans a text export of any size in bounded memory: the bytes are pulled from an
/// `ExportByteSource` about `chunkBytes` at a time, never held whole.
///
/// The file is read three times:
/// 1. a sniff of its start (the first non-empty lines) decides whether it can be streamed (not a
///    zip, not UTF-16, not JSON) and in which layout (a WhatsApp one, else plain lines);
/// 2. a survey of the whole file: its SHA-256, invalid UTF-8, and for WhatsApp the header lines
///    only (the file's day/month order, the sender candidates);
/// 3. the scan: chunks cut only before a line that starts a message, parsed with the file's line
///    numbers and message indices, and matched with the worker's `MatchScratch`. Rules with a
///    `context.window` see the neighbours across chunk boundaries: each match runs over the
///    chunk's messages plus the `window` messages on either side, and only reports hits on the
///    chunk's own.
///
/// The result is the one `ExportScanner.scan` gives for the same bytes: the same alerts (ids,
/// excerpts, lines, fingerprints), records and summary. Files that cannot be streamed are read
/// whole from the source, up to `wholeFileLimit` bytes, and scanned by `ExportScanner`.
public struct StreamingExportScanner: Sendable {
    /// The default chunk size: 2 MiB. Matching costs about 40 bytes of memory per byte of a chunk
    /// with the shipped rules (their `fold` normalization keeps source offsets for every byte).
    public static let defaultChunkBytes = 2 << 20

    public let scanner: ExportScanner
    /// About how many bytes of text are parsed and matched at a time (a chunk is longer when one
    /// message is).
    public var chunkBytes: Int

    public init(scanner: ExportScanner, chunkBytes: Int = StreamingExportScanner.defaultChunkBytes) {
        self.scanner = scanner
        self.chunkBytes = max(1, chunkBytes)
    }

    /// The text layout found by the sniff, or why the file must be read whole.
    enum Sniff {
        case whatsApp(WhatsAppLayout)
        case plain
        case wholeFile
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
        let sniff = try self.sniff(&source)
        try source.rewind()
        let layout: WhatsAppLayout?
        switch sniff {
        case .wholeFile:
            let bytes = try readWhole(&source, limit: wholeFileLimit, path: path)
            return scanner.scan(
                bytes, path: path, fileName: fileName, scratch: scratch, detectedAt: detectedAt, watch: watch)
        case .plain: layout = nil
        case .whatsApp(let found): layout = found
        }

        // Survey: hash, decoding notes, header evidence.
        let maxLineBytes = scanner.maxLineBytes
        var surveyReader = DecodedLineReader(readBytes: chunkBytes, hashing: true, maxLineBytes: maxLineBytes)
        var survey = layout.map(WhatsAppSurvey.init)
        while try surveyReader.readMore(from: &source) || !surveyReader.decoded.isEmpty {
            surveyReader.decoded.withUnsafeBufferPointer { survey?.add(lines: $0) }
            surveyReader.consume(surveyReader.decoded.count)
        }
        let file = ScannedFile(path: path, sha256: surveyReader.sha256 ?? "")
        let decodingNotes = surveyReader.notes
        try source.rewind()

        // Scan, chunk by chunk.
        var state = layout.map(WhatsAppParseState.init)
        var matching = ChunkMatching(
            matcher: scanner.matcher, scratch: scratch, window: scanner.ruleSet.contextWindow,
            overlapped: scanner.overlapsMatching)
        var transcript = watch.map { TranscriptBuilder(watch: $0) }
        var reader = DecodedLineReader(readBytes: chunkBytes, hashing: false, maxLineBytes: maxLineBytes)
        var headerScanner = WhatsAppHeaderScanner()
        var cutSearch = 0
        /// Whether the chunk about to be parsed starts inside a message (the last cut was forced).
        var startsInsideMessage = false
        var pieces = MessagePieces(maxBytes: maxLineBytes)
        var lineBase = 0
        while true {
            var cut: Int?
            var forced = false
            while cut == nil {
                if reader.decoded.count >= chunkBytes {
                    cut = findCut(in: reader.decoded, from: &cutSearch, layout: layout, scanner: &headerScanner)
                }
                if cut == nil, reader.decoded.count >= chunkBytes + maxLineBytes,
                    let lastBreak = reader.decoded.lastIndex(of: UInt8(ascii: "\n"))
                {
                    // One message longer than a chunk and a line together: cut inside it, so memory
                    // stays bounded; the parser takes the next lines as a piece of it.
                    cut = lastBreak + 1
                    forced = true
                }
                if cut == nil {
                    if reader.atEnd {
                        cut = reader.decoded.count
                    } else {
                        try reader.readMore(from: &source)
                    }
                }
            }
            let end = cut ?? reader.decoded.count
            if end == 0 && reader.atEnd { break }
            let messages: [Message] = reader.decoded.withUnsafeBufferPointer { all in
                let chunk = UnsafeBufferPointer(rebasing: all[0..<end])
                if var whatsApp = state {
                    whatsApp.continuesMessage = startsInsideMessage
                    defer { state = whatsApp }
                    return WhatsAppTextParser.parseChunk(
                        chunk, firstLine: lineBase + 1, survey: survey, state: &whatsApp, scanner: &headerScanner)
                }
                return PlainTextParser.messages(in: String(decoding: chunk, as: UTF8.self), firstLine: lineBase + 1)
            }
            lineBase += reader.decoded[0..<end].reduce(0) { $0 + ($1 == UInt8(ascii: "\n") ? 1 : 0) }
            reader.consume(end)
            cutSearch = 0
            startsInsideMessage = forced
            let cutMessages = pieces.cut(messages)
            transcript?.add(cutMessages, startingAt: matching.messageCount)
            matching.add(cutMessages)
        }
        matching.finish()

        var export =
            state?.export(messages: [], fileName: fileName) ?? ParsedExport(format: .plain, messages: [])
        export.notes.insert(contentsOf: decodingNotes, at: 0)
        if let note = pieces.note { export.notes.append(note) }
        var result = ScanResult(file: file)
        result.watch = watch
        result.ruleCosts = matching.ruleCosts
        let hitMessages = matching.hitMessages
        let followerMessages = matching.followerMessages
        scanner.record(
            export: export, messageCount: matching.messageCount, exportIndex: 0, hits: matching.hits,
            message: { hitMessages[$0] ?? Message(sent: "", sender: nil, text: "", kind: .text) },
            follower: { hitMessages[$0] ?? followerMessages[$0] }, transcript: &transcript,
            ruleErrors: matching.ruleErrors, budgetExhausted: matching.budgetExhausted, file: file,
            detectedAt: detectedAt, into: &result)
        return result
    }

    /// Where the chunk at the start of `text` may end: the start of the first line at or after
    /// `chunkBytes` that starts a message; `nil` when none is read yet. `search` remembers where
    /// the last call stopped looking.
    private func findCut(
        in text: [UInt8], from search: inout Int, layout: WhatsAppLayout?, scanner: inout WhatsAppHeaderScanner
    ) -> Int? {
        if search < chunkBytes {
            guard let lineFeed = text[(chunkBytes - 1)...].firstIndex(of: UInt8(ascii: "\n")) else { return nil }
            search = lineFeed + 1
        }
        guard let layout else { return search < text.count ? search : nil }
        return text.withUnsafeBufferPointer { b -> Int? in
            while search < b.count {
                var end = search
                while end < b.count && b[end] != UInt8(ascii: "\n") { end += 1 }
                guard end < b.count else { return nil }  // the last line may still grow
                if WhatsAppTextParser.startsMessage(b, start: search, end: end, layout: layout, scanner: &scanner) {
                    return search
                }
                search = end + 1
            }
            return nil
        }
    }

    /// Reads the start of the file: enough to decide the format and the layout as the whole-file
    /// parser would (its first `WhatsAppTextParser.sampleLines` non-empty lines).
    func sniff<Source: ExportByteSource>(_ source: inout Source) throws(LeakwatchError) -> Sniff {
        var reader = DecodedLineReader(
            readBytes: min(chunkBytes, 1 << 20), hashing: false, maxLineBytes: scanner.maxLineBytes)
        // The raw start first: a zip, UTF-16 (decoded whole, then maybe JSON), or not text at all.
        var more = true
        while more && reader.rawHead.count < TextDecoding.sniffBytes {
            more = try reader.readMore(from: &source)
        }
        let head = reader.rawHead
        if ZipExportReader.isArchive(head) { return .wholeFile }
        switch TextDecoding.sniff(head) {
        case .utf16: return .wholeFile
        case .binary(let nuls, let count):
            let error = TextDecoding.binaryError(nulCount: nuls, sampled: count)
            throw LeakwatchError(code: .init(rawValue: error.code), message: error.message)
        case .utf8: break
        }
        var sample: [UInt8] = []
        var sampled = 0
        var firstContentByte: UInt8?
        while true {
            reader.decoded.withUnsafeBufferPointer { b in
                var pos = 0
                while pos < b.count && sampled < WhatsAppTextParser.sampleLines {
                    let (contentEnd, next) = WhatsAppTextParser.lineBounds(b, pos)
                    if firstContentByte == nil {
                        firstContentByte = b[pos..<min(next, b.count)].first {
                            !($0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09)
                        }
                    }
                    if !WhatsAppBytes.isBlank(b, pos, contentEnd) {
                        sample += b[pos..<min(next, b.count)]
                        sampled += 1
                    }
                    pos = next
                }
            }
            reader.consume(reader.decoded.count)
            // Enough to decide on, even when the first lines are huge (a file without line breaks).
            if !more || sampled >= WhatsAppTextParser.sampleLines || sample.count > 2 * scanner.maxLineBytes { break }
            more = try reader.readMore(from: &source)
        }
        if firstContentByte == UInt8(ascii: "{") { return .wholeFile }
        let layout = sample.withUnsafeBufferPointer { WhatsAppTextParser.detectLayout($0) }
        return layout.map(Sniff.whatsApp) ?? .plain
    }

    /// Reads everything from `source`, refusing more than `limit` bytes.
    private func readWhole<Source: ExportByteSource>(_ source: inout Source, limit: Int, path: String)
        throws(LeakwatchError) -> [UInt8]
    {
        func tooLarge(_ size: Int) -> LeakwatchError {
            LeakwatchError(
                code: .tooLarge,
                message:
                    "a zip, JSON or UTF-16 export is read whole, and this one (\(size) bytes) is over the limit of \(limit) bytes",
                path: path)
        }
        // The size first (fstat): an oversized archive is refused before any of it is read.
        let known = source.byteCount
        if let known, known > limit { throw tooLarge(known) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(min(known ?? 0, limit))
        while true {
            let more = try source.read(maxBytes: chunkBytes)
            if more.isEmpty { return bytes }
            bytes += more
            guard bytes.count <= limit else { throw tooLarge(bytes.count) }
        }
    }
}
