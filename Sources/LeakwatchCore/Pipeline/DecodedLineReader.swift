import Crypto

/// Reads a UTF-8 text from an `ExportByteSource` and hands it out as decoded, complete lines:
/// invalid sequences replaced by U+FFFD exactly as `TextDecoding.decode` does for the whole text
/// (a line break never falls inside a sequence, so decoding line-aligned pieces gives the same
/// bytes), the leading byte order mark removed. Only the bytes after the last line break read so
/// far wait undecoded, so a sequence split across two reads is decoded whole.
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
    private(set) var invalidSequences = 0
    private(set) var firstInvalidLine: Int?
    /// Whether the text started with a UTF-8 byte order mark.
    private(set) var hadBOM = false

    /// The first bytes read (up to 16), before any decoding.
    private(set) var rawHead: [UInt8] = []

    private var raw: [UInt8] = []
    private var started = false
    /// Lines fully decoded so far.
    private var linesDecoded = 0
    private var hasher: SHA256?

    init(readBytes: Int, hashing: Bool) {
        self.readBytes = max(1, readBytes)
        if hashing { hasher = SHA256() }
    }

    /// The hex SHA-256 of everything read, once `atEnd`.
    var sha256: String? { hasher.map { $0.finalize().hex } }

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
            decode(raw[...])
            raw = []
            atEnd = true
            return false
        }
        totalBytes += bytes.count
        if rawHead.count < 16 { rawHead += bytes.prefix(16 - rawHead.count) }
        hasher?.update(data: bytes)
        guard let lastBreak = bytes.lastIndex(of: UInt8(ascii: "\n")) else {
            raw += bytes
            return true
        }
        if raw.isEmpty {
            decode(bytes[...lastBreak])
        } else {
            raw += bytes[...lastBreak]
            decode(raw[...])
            raw.removeAll(keepingCapacity: true)
        }
        raw += bytes[(lastBreak + 1)...]
        return true
    }

    private mutating func decode(_ piece: ArraySlice<UInt8>) {
        var piece = piece
        if !started {
            started = true
            if piece.starts(with: TextDecoding.utf8BOM) {
                hadBOM = true
                piece = piece.dropFirst(3)
            }
        }
        guard !piece.isEmpty else { return }
        if TextDecoding.isValidUTF8(piece) {
            decoded += piece
        } else {
            let (count, firstLine) = TextDecoding.countInvalidUTF8(in: piece, startingAtLine: linesDecoded + 1)
            invalidSequences += count
            if firstInvalidLine == nil { firstInvalidLine = firstLine }
            decoded += String(decoding: piece, as: UTF8.self).utf8
        }
        linesDecoded += piece.reduce(0) { $0 + ($1 == UInt8(ascii: "\n") ? 1 : 0) }
    }

    /// The notes `TextDecoding.decode` gives for the whole text.
    var notes: [ParseNote] {
        guard invalidSequences > 0 else { return [] }
        return [TextDecoding.invalidUTF8Note(count: invalidSequences, firstLine: firstInvalidLine)]
    }
}
