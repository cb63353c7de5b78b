import Dispatch

/// Parses a text export of any size in bounded memory: the bytes are pulled from an
/// `ExportByteSource` about `chunkBytes` at a time, never held whole, and the messages are handed
/// out chunk by chunk. The one place that decides whether a file is streamed or read whole, used
/// by `StreamingExportScanner` (to match the chunks) and by `leakwatch parse` (to print them).
///
/// The file is read three times:
/// 1. a sniff of its start (the first non-empty lines) decides whether it can be streamed (not a
///    zip, not an image or PDF, not UTF-16, not JSON) and in which layout (a WhatsApp one, else
///    plain lines);
/// 2. a survey of the whole file: its SHA-256 (when asked for), invalid UTF-8, and for WhatsApp
///    the header lines only (the file's day/month order, the sender candidates);
/// 3. the parse: chunks cut only before a line that starts a message, parsed with the file's line
///    numbers (`WhatsAppTextParser.parseChunk`, `PlainTextParser`), each handed to the caller.
///
/// The messages are the ones `ExportParsing.parse(_:fileName:maxLineBytes:)` gives for the same
/// bytes, and so is the export (format, chat, participants, date order, notes), with one
/// exception: a single message longer than `chunkBytes` and `maxLineBytes` together is handed out
/// in pieces (the later ones continue its sender and time), so that memory stays bounded.
public struct StreamingExportParser: Sendable {
    /// The default chunk size: 512 KiB (larger chunks cost memory and gained no speed).
    public static let defaultChunkBytes = 512 << 10
    /// How much the parse reads at a time.
    static let parseReadBytes = 64 << 10

    /// About how many bytes of text are parsed at a time (a chunk is longer when one message is).
    public var chunkBytes: Int
    /// Lines longer than this are cut into pieces (with a `long-line` note), as
    /// `TextDecoding.decode(_:maxLineBytes:)` cuts them; it bounds what waits for a line break.
    public var maxLineBytes: Int
    /// Whether the survey's header work runs on another thread while the next bytes are read,
    /// decoded and hashed (for a worker with a spare core: the survey gives the same evidence,
    /// added in the same order).
    public var surveysInBackground = false

    public init(
        chunkBytes: Int = StreamingExportParser.defaultChunkBytes,
        maxLineBytes: Int = ExportScanner.defaultMaxLineBytes
    ) {
        self.chunkBytes = max(1, chunkBytes)
        self.maxLineBytes = max(1, maxLineBytes)
    }

    /// How a file was read.
    public enum Reading: Sendable {
        /// The file cannot be streamed (a zip, JSON or UTF-16 export, an image or PDF on its own):
        /// all of its bytes, for `ExportParsing.parse` or `ExportScanner.scan`. No message was
        /// handed out.
        case whole([UInt8])
        /// The file was streamed: every message was handed out; this is the rest.
        case streamed(StreamedExport)
    }

    /// What a streamed parse learned about the whole file besides its messages.
    public struct StreamedExport: Sendable {
        /// The export without its messages: format, chat, participants, date order and notes (the
        /// decoding notes first), as the whole-file parse gives them.
        public var export: ParsedExport
        /// How many messages were handed out.
        public var messageCount: Int
        /// The hex SHA-256 of the file's bytes, when the parse was asked to hash.
        public var sha256: String?
    }

    /// The text layout found by the sniff, or why the file must be read whole.
    enum Sniff {
        case whatsApp(WhatsAppLayout)
        case plain
        case wholeFile
    }

    /// Parses the file `source` reads (`fileName` is its last component, used only for the chat's
    /// name), handing out its messages in file order.
    ///
    /// - Parameters:
    ///   - path: the path errors name.
    ///   - wholeFileLimit: the largest file read whole when it cannot be streamed (a zip or JSON
    ///     export, an image or PDF); a larger one fails with `too-large`.
    ///   - hashing: whether the survey computes the file's SHA-256.
    ///   - begin: called once, before the first message, with what is known of the export after the
    ///     survey: its format, chat, date order and SHA-256 (no messages, participants or notes yet).
    ///   - messages: called with the messages of each chunk, in order.
    /// - Throws: `binary` for a file that is not text, `too-large`, `unreadable` for a failed read,
    ///   or what `begin` or `messages` throw (the parse stops there).
    public func parse<Source: ExportByteSource>(
        _ source: inout Source, fileName: String, path: String, wholeFileLimit: Int = .max, hashing: Bool = false,
        begin: (StreamedExport) throws(LeakwatchError) -> Void = { _ in },
        messages handOut: ([Message]) throws(LeakwatchError) -> Void
    ) throws(LeakwatchError) -> Reading {
        let sniff = try self.sniff(&source)
        try source.rewind()
        let layout: WhatsAppLayout?
        switch sniff {
        case .wholeFile: return .whole(try readWhole(&source, limit: wholeFileLimit, path: path))
        case .plain: layout = nil
        case .whatsApp(let found): layout = found
        }

        // Survey: hash, decoding notes, header evidence.
        var surveyReader = DecodedLineReader(readBytes: chunkBytes, hashing: hashing, maxLineBytes: maxLineBytes)
        var survey = layout.map(WhatsAppSurvey.init)
        if surveysInBackground, let started = survey {
            let background = BackgroundSurvey(started)
            while try surveyReader.readMore(from: &source) || !surveyReader.decoded.isEmpty {
                background.wait()
                var lines = background.takeSpareBuffer()
                surveyReader.swapDecoded(with: &lines)
                background.add(lines)
            }
            background.wait()
            survey = background.survey
        } else {
            while try surveyReader.readMore(from: &source) || !surveyReader.decoded.isEmpty {
                surveyReader.decoded.withUnsafeBufferPointer { survey?.add(lines: $0) }
                surveyReader.consume(surveyReader.decoded.count)
            }
        }
        survey?.finish()
        let sha256 = surveyReader.sha256
        let decodingNotes = surveyReader.notes
        try source.rewind()

        var state = layout.map(WhatsAppParseState.init)
        if let survey { state?.decision = survey.decision }
        try begin(
            StreamedExport(
                export: state?.export(messages: [], fileName: fileName) ?? ParsedExport(format: .plain, messages: []),
                messageCount: 0, sha256: sha256))

        // Parse, chunk by chunk.
        // Read in smaller pieces than a chunk: what follows a chunk's cut moves to the front of
        // the buffer, and it is never more than about one piece.
        var reader = DecodedLineReader(
            readBytes: min(chunkBytes, Self.parseReadBytes), hashing: false, maxLineBytes: maxLineBytes)
        var headerScanner = WhatsAppHeaderScanner()
        var cutSearch = 0
        /// Whether the chunk about to be parsed starts inside a message (the last cut was forced).
        var startsInsideMessage = false
        var lineBase = 0
        var messageCount = 0
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
            lineBase += TextDecoding.lineFeeds(in: reader.decoded[0..<end])
            reader.consume(end)
            cutSearch = 0
            startsInsideMessage = forced
            messageCount += messages.count
            if !messages.isEmpty { try handOut(messages) }
        }

        var export =
            state?.export(messages: [], fileName: fileName) ?? ParsedExport(format: .plain, messages: [])
        export.notes.insert(contentsOf: decodingNotes, at: 0)
        return .streamed(StreamedExport(export: export, messageCount: messageCount, sha256: sha256))
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
        var reader = DecodedLineReader(readBytes: min(chunkBytes, 1 << 20), hashing: false, maxLineBytes: maxLineBytes)
        // The raw start first: a zip, an image or PDF on its own (`StandaloneMedia`, as
        // `ExportParsing` takes it), UTF-16 (decoded whole, then maybe JSON), or not text at all.
        var more = true
        while more && reader.rawHead.count < TextDecoding.sniffBytes {
            more = try reader.readMore(from: &source)
        }
        let head = reader.rawHead
        if ZipExportReader.isArchive(head) || MediaFormat.sniff(head) != nil { return .wholeFile }
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
            if !more || sampled >= WhatsAppTextParser.sampleLines || sample.count > 2 * maxLineBytes { break }
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
                    "a zip, JSON or UTF-16 export, image or PDF is read whole, and this one (\(size) bytes) is over the limit of \(limit) bytes",
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

/// A `WhatsAppSurvey` fed on another thread, one piece of lines at a time, in order.
///
/// `@unchecked Sendable`: `survey` and `spare` are used by one block at a time: `add` is called
/// only after `wait()` has returned (a `DispatchGroup` wait, which orders the block's writes
/// before the caller's reads), and the caller reads them only after `wait()`.
private final class BackgroundSurvey: @unchecked Sendable {
    private(set) var survey: WhatsAppSurvey
    /// The buffer of the last lines surveyed, emptied, for the reader to fill again.
    private var spare: [UInt8] = []
    private var group: DispatchGroup?

    init(_ survey: WhatsAppSurvey) { self.survey = survey }

    /// Surveys `lines` on another thread. Call `wait()` first.
    func add(_ lines: [UInt8]) {
        let group = DispatchGroup()
        DispatchQueue.global(qos: .userInitiated).async(group: group) {
            var lines = lines
            lines.withUnsafeBufferPointer { self.survey.add(lines: $0) }
            lines.removeAll(keepingCapacity: true)
            self.spare = lines
        }
        self.group = group
    }

    /// Waits for the lines handed to `add` to be surveyed.
    func wait() {
        group?.wait()
        group = nil
    }

    /// The emptied buffer of the lines last surveyed (call after `wait()`).
    func takeSpareBuffer() -> [UInt8] {
        var buffer: [UInt8] = []
        swap(&buffer, &spare)
        return buffer
    }
}
