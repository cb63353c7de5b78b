import Crypto

/// Reads a UTF-8 text from an `ExportByteSource` and hands it out as decoded, complete lines:
/// invalid sequences replaced by U+FFFD exactly as `TextDecoding.decode` does for the whole text
/// (pieces are decoded apart only where a new sequence starts, so decoding them gives the same
/// bytes), the leading byte order mark removed, and lines longer than `maxLineBytes` cut into
/// pieces exactly as `TextDecoding.decode(_:maxLineBytes:)` cuts them. Only the bytes after the
/// last line break wait, undecoded, and never more than about `maxLineBytes` of them: memory
/// stays bounded whatever the input (a file without a single line break, say).
struct DecodedLineReader {
    /// How many bytes to ask the source for at a time.
    let readBytes: Int
    /// Decoded complete lines (at the end of the file, also the last line without a break).
    private(set) var decoded: [UInt8] = []
    /// Whether the source is exhausted and everything read has been decoded.
    private(set) var atEnd = false
    /// Total bytes read from the source.
    private(set) var totalBytes = 0
    /// Invalid sequences replaced so far, and the line of the first.
    var invalidSequences: Int { decoder.invalidSequences }
    var firstInvalidLine: Int? { decoder.firstInvalidLine }
    /// Whether the text started with a UTF-8 byte order mark.
    var hadBOM: Bool { decoder.hadBOM }

    /// The first bytes read (up to `TextDecoding.sniffBytes`), before any decoding.
    private(set) var rawHead: [UInt8] = []

    /// Undecoded bytes of the line being read.
    private var raw: [UInt8] = []
    /// Decoded bytes of the line being read, when it is long enough to be decoded before its end.
    private var pending: [UInt8] = []
    private var decoder = PieceDecoder()
    /// Line breaks of the file decoded so far.
    private var linesDecoded: Int {
        get { decoder.linesDecoded }
        set { decoder.linesDecoded = newValue }
    }
    private var hasher: SHA256?
    private var cutter: LongLineCutter

    init(readBytes: Int, hashing: Bool, maxLineBytes: Int = .max) {
        self.readBytes = max(1, readBytes)
        cutter = LongLineCutter(maxLineBytes: maxLineBytes)
        if hashing { hasher = SHA256() }
    }

    var maxLineBytes: Int { cutter.maxLineBytes }

    /// The hex SHA-256 of everything read, once `atEnd`.
    var sha256: String? { hasher.map { IdentityHash.hex($0.finalize()) } }

    /// Hands out all the decoded bytes and takes `buffer` (emptied) to decode into next.
    mutating func swapDecoded(with buffer: inout [UInt8]) {
        buffer.removeAll(keepingCapacity: true)
        swap(&decoded, &buffer)
    }

    /// Drops the first `count` decoded bytes (they have been handed out).
    mutating func consume(_ count: Int) {
        decoded.removeFirst(count)
    }

    /// Reads once from the source and decodes what completed; returns `false` at the end.
    @discardableResult
    mutating func readMore<Source: ExportByteSource>(from source: inout Source) throws(LeakwatchError) -> Bool {
        guard !atEnd else { return false }
        let bytes = try source.read(maxBytes: readBytes)
        if bytes.isEmpty {
            // The last line, without a break.
            let last = raw
            raw = []
            decoder.append(last[...], into: &pending)
            flushPending()
            atEnd = true
            return false
        }
        totalBytes += bytes.count
        if rawHead.count < TextDecoding.sniffBytes { rawHead += bytes.prefix(TextDecoding.sniffBytes - rawHead.count) }
        hasher?.update(data: bytes)
        if let lastBreak = bytes.lastIndex(of: UInt8(ascii: "\n")) {
            if raw.isEmpty {
                completeLines(bytes[...lastBreak])
            } else {
                raw += bytes[...lastBreak]
                let lines = raw
                raw.removeAll(keepingCapacity: true)
                completeLines(lines[...])
            }
            raw += bytes[(lastBreak + 1)...]
        } else {
            raw += bytes
        }
        if raw.count > maxLineBytes { decodeStartOfLongLine() }
        return true
    }

    /// Complete lines (`piece` ends with `\n`); the first one continues `pending`.
    private mutating func completeLines(_ piece: ArraySlice<UInt8>) {
        if !mayHoldLongLine(piece) {
            if !pending.isEmpty {
                decoded += pending
                pending.removeAll(keepingCapacity: true)
            }
            decoder.append(piece, into: &decoded)
            return
        }
        // Line by line, cutting the long ones.
        var start = piece.startIndex
        while let end = piece[start...].firstIndex(of: UInt8(ascii: "\n")) {
            decoder.append(piece[start..<end], into: &pending)
            flushPending()
            decoded.append(UInt8(ascii: "\n"))
            linesDecoded += 1
            start = end + 1
        }
    }

    /// Hands out `pending`, the whole of the current line, cut if long.
    private mutating func flushPending() {
        var line: [UInt8] = []
        swap(&line, &pending)
        line.withUnsafeBufferPointer { cutter.line($0, number: linesDecoded + 1, into: &decoded) }
        line.removeAll(keepingCapacity: true)
        pending = line
    }

    /// Whether a line of `piece` (the first one after `pending`) could be longer than
    /// `maxLineBytes` once decoded (an invalid byte decodes to three).
    private func mayHoldLongLine(_ piece: ArraySlice<UInt8>) -> Bool {
        guard maxLineBytes < Int.max / 4 else { return false }
        var carried = pending.count
        return piece.withUnsafeBufferPointer { buffer in
            // A line is too long when its line feed is more than `(maxLineBytes - carried) / 3`
            // bytes after its start: look back from there for the last line feed, and go on after
            // it (lines are short, so each look is short and skips all the lines before it).
            var lineStart = 0
            while true {
                if carried > maxLineBytes { return true }
                let allowed = (maxLineBytes - carried) / 3
                let last = lineStart + allowed
                if last >= buffer.count { return carried + 3 * (buffer.count - lineStart) > maxLineBytes }
                var index = last
                while index >= lineStart && buffer[index] != 0x0A { index -= 1 }
                if index < lineStart { return true }
                carried = 0
                lineStart = index + 1
            }
        }
    }

    /// The line being read is longer than `maxLineBytes` so far: decode what can be decoded of it
    /// (up to where a new UTF-8 sequence starts) and hand out the full pieces.
    private mutating func decodeStartOfLongLine() {
        var split = raw.count - 1
        let lowest = max(0, raw.count - 4)
        while split > lowest, raw[split] & 0xC0 == 0x80 { split -= 1 }
        if raw[split] & 0xC0 == 0x80 { split = raw.count - 1 }  // A run of stray continuation bytes.
        guard split > 0 else { return }
        decoder.append(raw[..<split], into: &pending)
        raw.removeFirst(split)
        cutter.cutPending(&pending, number: linesDecoded + 1, into: &decoded)
    }

    /// The notes `TextDecoding.decode(_:maxLineBytes:)` gives for the whole text.
    var notes: [ParseNote] {
        var notes: [ParseNote] = []
        if invalidSequences > 0 {
            notes.append(TextDecoding.invalidUTF8Note(count: invalidSequences, firstLine: firstInvalidLine))
        }
        if let long = cutter.note { notes.append(long) }
        return notes
    }
}

/// Decodes a text piece by piece (each piece ending where a new UTF-8 sequence starts): drops the
/// leading byte order mark, replaces and counts invalid sequences, counts line breaks.
private struct PieceDecoder {
    var started = false
    var hadBOM = false
    var invalidSequences = 0
    var firstInvalidLine: Int?
    var linesDecoded = 0

    /// Decodes `piece` onto `out`.
    mutating func append(_ piece: ArraySlice<UInt8>, into out: inout [UInt8]) {
        var piece = piece
        if !started {
            guard !piece.isEmpty else { return }
            started = true
            if piece.starts(with: TextDecoding.utf8BOM) {
                hadBOM = true
                piece = piece.dropFirst(3)
            }
        }
        guard !piece.isEmpty else { return }
        if TextDecoding.isValidUTF8(piece) {
            out += piece
        } else {
            let (count, firstLine) = TextDecoding.countInvalidUTF8(in: piece, startingAtLine: linesDecoded + 1)
            invalidSequences += count
            if firstInvalidLine == nil { firstInvalidLine = firstLine }
            out += String(decoding: piece, as: UTF8.self).utf8
        }
        linesDecoded += TextDecoding.lineFeeds(in: piece)
    }
}
