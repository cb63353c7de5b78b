/// WhatsApp text exports (`_chat.txt`, `WhatsApp Chat with X.txt`) in the iOS (`[date, time] Name: text`),
/// Android (`date, time - Name: text`) and old iOS (`date time: Name: text`) layouts, in any locale.
///
/// The layout is recognised from the content (the first non-empty lines), then the whole text is
/// read in one pass over its UTF-8 bytes: lines starting with a header of that layout start a
/// message, every other line continues the previous one. The day/month order of dates is decided
/// once for the file (see `WhatsAppDateResolver`).
public enum WhatsAppTextParser {
    /// Non-empty lines looked at to recognise the layout.
    static let sampleLines = 50

    /// Parses `text` when it is in a WhatsApp layout; `nil` otherwise (the caller then scans it as
    /// plain lines).
    ///
    /// - Parameters:
    ///   - text: the decoded export. `\r\n` and `\n` line breaks are both fine; `Message.line` counts
    ///     `\n`-separated lines of this text.
    ///   - fileName: the export's file name, used only for the chat's name
    ///     (`WhatsApp Chat with X.txt` → `X`), never to decide the format.
    public static func parse(_ text: String, fileName: String?) -> ParsedExport? {
        if let parsed = text.utf8.withContiguousStorageIfAvailable({ parse(bytes: $0, fileName: fileName) }) {
            return parsed
        }
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBufferPointer { parse(bytes: $0, fileName: fileName) }
    }

    /// A message whose header was found, before its body is read.
    struct Pending {
        var line: Int
        var header: WhatsAppHeader
        /// End of the header line's content (no line break).
        var headerLineEnd: Int
        /// End of the content of the message's last non-blank line.
        var bodyEnd: Int
    }

    /// Byte range and first line of text found before the first header.
    struct Unplaced {
        var start: Int
        var end: Int
        var line: Int
        var count: Int
    }

    /// End of the content of the line starting at `start` (before `\r\n`/`\n`) and start of the next line.
    @inline(__always)
    static func lineBounds(_ b: UnsafeBufferPointer<UInt8>, _ start: Int) -> (contentEnd: Int, next: Int) {
        var i = start
        let n = b.count
        while i < n && b[i] != WhatsAppBytes.lineFeed { i += 1 }
        var contentEnd = i
        if contentEnd > start && b[contentEnd - 1] == WhatsAppBytes.carriageReturn { contentEnd -= 1 }
        return (contentEnd, i + 1)
    }

    /// The layout most of the first non-empty lines are in, or `nil` when the text is not an export.
    static func detectLayout(_ b: UnsafeBufferPointer<UInt8>, scanner: inout WhatsAppHeaderScanner)
        -> WhatsAppLayout?
    {
        var counts: [WhatsAppLayout: Int] = [:]
        var seen: [WhatsAppLayout] = []
        var sampled = 0
        var firstIsHeader = false
        var pos = 0
        while pos < b.count && sampled < sampleLines {
            let (contentEnd, next) = lineBounds(b, pos)
            if !WhatsAppBytes.isBlank(b, pos, contentEnd) {
                let header = scanner.scan(b, start: pos, end: contentEnd)
                if sampled == 0 { firstIsHeader = header != nil }
                if let layout = header?.layout {
                    if counts[layout] == nil { seen.append(layout) }
                    counts[layout, default: 0] += 1
                }
                sampled += 1
            }
            pos = next
        }
        // The most frequent layout; on a tie the one seen first.
        var best: WhatsAppLayout?
        var bestCount = 0
        for layout in seen where counts[layout, default: 0] > bestCount {
            best = layout
            bestCount = counts[layout, default: 0]
        }
        guard let best else { return nil }
        // An export starts with a header; otherwise most early lines must be headers.
        if !firstIsHeader && bestCount * 2 < sampled { return nil }
        return best
    }

    static func parse(bytes b: UnsafeBufferPointer<UInt8>, fileName: String?) -> ParsedExport? {
        var scanner = WhatsAppHeaderScanner()
        guard let layout = detectLayout(b, scanner: &scanner) else { return nil }
        var state = WhatsAppParseState(layout: layout)
        let messages = parseChunk(b, firstLine: 1, survey: nil, state: &state, scanner: &scanner)
        return state.export(messages: messages, fileName: fileName)
    }

    /// The layout of a text whose start is `b`: `b` must hold the whole text, or at least its
    /// first `sampleLines` non-empty lines, complete.
    static func detectLayout(_ b: UnsafeBufferPointer<UInt8>) -> WhatsAppLayout? {
        var scanner = WhatsAppHeaderScanner()
        return detectLayout(b, scanner: &scanner)
    }

    /// Whether `b` (complete lines) holds at least `sampleLines` non-empty lines, so that
    /// `detectLayout` on it decides as it would on the whole text.
    static func holdsLayoutSample(_ b: UnsafeBufferPointer<UInt8>) -> Bool {
        var sampled = 0
        var pos = 0
        while pos < b.count && sampled < sampleLines {
            let (contentEnd, next) = lineBounds(b, pos)
            if !WhatsAppBytes.isBlank(b, pos, contentEnd) { sampled += 1 }
            pos = next
        }
        return sampled >= sampleLines
    }

    /// Whether the line `b[start..<end]` (no line break) starts a message of `layout`.
    static func startsMessage(
        _ b: UnsafeBufferPointer<UInt8>, start: Int, end: Int, layout: WhatsAppLayout,
        scanner: inout WhatsAppHeaderScanner
    ) -> Bool {
        var contentEnd = end
        if contentEnd > start && b[contentEnd - 1] == WhatsAppBytes.carriageReturn { contentEnd -= 1 }
        return scanner.scan(b, start: start, end: contentEnd)?.layout == layout
    }

    /// The sender candidate of a header line: the cleaned text before its first `": "`, found in
    /// `names` when it was met before (`id` is its id there, when it has one).
    static func senderCandidate(
        _ b: UnsafeBufferPointer<UInt8>, header: WhatsAppHeader, lineEnd: Int, names: inout WhatsAppNameTable
    ) -> (colon: Int?, name: String?, id: Int?) {
        guard let colon = WhatsAppBytes.firstColonSpace(b, header.restStart, lineEnd) else { return (nil, nil, nil) }
        let (id, name) = names.candidate(b, header.restStart, colon) {
            let name =
                asciiSender(b, header.restStart, colon)
                ?? cleanSender(WhatsAppBytes.string(b, header.restStart, colon, normalizeSpaces: true))
            return name.isEmpty ? nil : name
        }
        return (colon, name, id)
    }

    /// Parses the complete lines `b` of a text in `layout` (`state.layout`), the first of them
    /// being line `firstLine` of the file, into messages. `b` must not cut a message: it starts at
    /// the start of the file or at a header line, and ends at the end of the file or before one.
    ///
    /// - Parameter survey: the day/month order evidence and sender candidates of the whole file,
    ///   gathered beforehand (streaming); `nil` when `b` is the whole file, which then decides both.
    static func parseChunk(
        _ b: UnsafeBufferPointer<UInt8>, firstLine: Int, survey: WhatsAppSurvey?, state: inout WhatsAppParseState,
        scanner: inout WhatsAppHeaderScanner
    ) -> [Message] {
        let layout = state.layout
        // Pass 1: headers and the extent of each message.
        var pendings: [Pending] = []
        var unplaced: Unplaced?
        var resolver = WhatsAppDateResolver()
        var lineNumber = firstLine - 1
        var pos = 0
        while pos < b.count {
            lineNumber += 1
            let (contentEnd, next) = lineBounds(b, pos)
            defer { pos = next }
            let header = scanner.scan(b, start: pos, end: contentEnd)
            if let header, header.layout == layout {
                pendings.append(
                    Pending(line: lineNumber, header: header, headerLineEnd: contentEnd, bodyEnd: contentEnd))
                if survey == nil { resolver.add(header.date, line: lineNumber) }
                continue
            }
            guard !WhatsAppBytes.isBlank(b, pos, contentEnd) else { continue }
            if header != nil {
                // A header of another layout (a pasted line): kept as text of the current message.
                state.foreignHeaders += 1
                if state.firstForeignLine == nil { state.firstForeignLine = lineNumber }
            }
            if pendings.isEmpty {
                if unplaced == nil { unplaced = Unplaced(start: pos, end: contentEnd, line: lineNumber, count: 0) }
                unplaced?.end = contentEnd
                unplaced?.count += 1
            } else {
                pendings[pendings.count - 1].bodyEnd = contentEnd
            }
        }

        let decision = survey?.decision ?? resolver.decision
        state.decision = decision

        // Pass 2: sender candidates (the text before the first `": "` of the header line).
        var colons: [Int?] = []
        var candidates: [String?] = []
        var candidateIDs: [Int?] = []
        var localCounts: [String: Int] = [:]
        colons.reserveCapacity(pendings.count)
        candidates.reserveCapacity(pendings.count)
        candidateIDs.reserveCapacity(pendings.count)
        for pending in pendings {
            let (colon, candidate, id) = senderCandidate(
                b, header: pending.header, lineEnd: pending.headerLineEnd, names: &state.names)
            if survey == nil, let candidate { localCounts[candidate, default: 0] += 1 }
            colons.append(colon)
            candidates.append(candidate)
            candidateIDs.append(candidate == nil ? nil : id)
        }
        let candidateCounts = survey?.candidateCounts ?? localCounts

        // Pass 3: messages.
        var messages: [Message] = []
        messages.reserveCapacity(pendings.count + 1)
        var buffer: [UInt8] = []

        if let unplaced, state.continuesMessage, let previous = state.lastMessage {
            // A piece of a message a streamed scan had to cut: same header, the text goes on.
            buffer.removeAll(keepingCapacity: true)
            _ = appendBody(b, unplaced.start, unplaced.end, into: &buffer)
            messages.append(
                Message(
                    line: unplaced.line, sent: previous.sent, timestamp: previous.timestamp, sender: previous.sender,
                    text: String(decoding: buffer, as: UTF8.self), kind: .text))
        } else if let unplaced {
            buffer.removeAll(keepingCapacity: true)
            _ = appendBody(b, unplaced.start, unplaced.end, into: &buffer)
            messages.append(
                Message(
                    line: unplaced.line, sent: "", sender: nil, text: String(decoding: buffer, as: UTF8.self),
                    kind: .text))
            state.unplacedNote = ParseNote(
                code: "unplaced-lines", line: unplaced.line,
                message: "\(unplaced.count) line(s) before the first message header; kept as one message without sender"
            )
        }

        // What is known of each candidate (whether it is a sender, whether it is in the
        // participants yet) is kept by its id in the name table, for the whole file; by name for
        // the few without one.
        var knownByName: [String: WhatsAppKnownCandidate] = [:]
        func known(_ index: Int, _ candidate: String) -> WhatsAppKnownCandidate {
            if let id = candidateIDs[index], let found = state.knownCandidate(id) { return found }
            if candidateIDs[index] == nil, let found = knownByName[candidate] { return found }
            let found = WhatsAppKnownCandidate(
                isSender: isSender(candidate, count: candidateCounts[candidate, default: 0]))
            if let id = candidateIDs[index] {
                state.setKnownCandidate(id, found)
            } else {
                knownByName[candidate] = found
            }
            return found
        }
        for (index, pending) in pendings.enumerated() {
            let header = pending.header
            var sender: String?
            var bodyStart = header.restStart
            var senderKnown: WhatsAppKnownCandidate?
            if let candidate = candidates[index], let colon = colons[index] {
                let found = known(index, candidate)
                if found.isSender {
                    sender = candidate
                    senderKnown = found
                    bodyStart = min(colon + 2, pending.headerLineEnd)
                }
            }

            buffer.removeAll(keepingCapacity: true)
            let marks = appendBody(b, bodyStart, pending.bodyEnd, into: &buffer)
            let body = String(decoding: buffer, as: UTF8.self)
            let classified = WhatsAppBodyClassifier.classify(
                body, hasSender: sender != nil, leadingMark: marks.leading, lastMarkOffset: marks.lastInFirstLine)

            var invalidClock = false
            let timestamp = WhatsAppDateResolver.timestamp(
                header.date, header.time, order: decision.order, invalidClock: &invalidClock)
            if invalidClock {
                state.invalidClocks += 1
                if state.firstInvalidClock == nil { state.firstInvalidClock = pending.line }
            }
            if timestamp == nil {
                state.unresolved += 1
                if state.firstUnresolved == nil { state.firstUnresolved = pending.line }
            }

            let finalSender = classified.dropsSender ? nil : sender
            // Inserted once: a name already in the participants is not looked up again.
            if let finalSender, var entry = senderKnown, !entry.isInParticipants {
                state.participants.insert(finalSender)
                entry.isInParticipants = true
                if let id = candidateIDs[index] {
                    state.setKnownCandidate(id, entry)
                } else {
                    knownByName[finalSender] = entry
                }
            }
            if classified.kind == .system {
                for name in WhatsAppSystemLines.addedOrJoined(classified.text) { state.participants.insert(name) }
            }
            messages.append(
                Message(
                    line: pending.line,
                    sent: WhatsAppBytes.string(b, header.sentStart, header.sentEnd),
                    timestamp: timestamp,
                    sender: finalSender,
                    text: classified.text,
                    attachments: classified.attachments,
                    location: classified.location,
                    kind: classified.kind
                ))
        }
        if var last = messages.last {
            last.text = ""
            last.attachments = []
            if state.continuesMessage, pendings.isEmpty, let previous = state.lastMessage { last.line = previous.line }
            state.lastMessage = last
        }
        state.continuesMessage = false
        return messages
    }

    /// Whether the text before `": "` names a sender rather than being part of a system line
    /// (`You changed the subject to "a: b"`). Names seen once that read like a notice are rejected.
    private static func isSender(_ candidate: String, count: Int) -> Bool {
        guard candidate.utf8.count <= 200 else { return false }
        guard count == 1 else { return true }
        // A quote is found only where its first byte is (`"`, `“` E2 80 9C, `«` C2 AB): most names
        // have none of these bytes and skip the searches.
        if candidate.utf8.contains(where: { $0 == 0x22 || $0 == 0xE2 || $0 == 0xC2 }),
            candidate.contains("\"") || candidate.contains("“") || candidate.contains("«")
        {
            return false
        }
        return !WhatsAppSystemLines.looksLikeSystem(" " + candidate.lowercased() + " ")
    }

    /// `cleanSender` of the bytes `b[start..<end]` when they are all ASCII (no marks, no special
    /// spaces, one byte per `Character` but for `\r\n`); `nil` otherwise.
    static func asciiSender(_ b: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> String? {
        var i = start
        while i < end {
            if b[i] >= 0x80 { return nil }
            i += 1
        }
        var name = WhatsAppUTF8.asciiTrimmed(b, start, end)
        if name.start < name.end && b[name.start] == UInt8(ascii: "~") {
            name = WhatsAppUTF8.asciiTrimmed(b, name.start + 1, name.end)
        }
        return String(decoding: UnsafeBufferPointer(rebasing: b[name.start..<name.end]), as: UTF8.self)
    }

    /// `~ Name` (unsaved contact) → `Name`; surrounding spaces removed.
    private static func cleanSender(_ raw: String) -> String {
        var name = WhatsAppBodyClassifier.trimmed(raw)
        if name.hasPrefix("~") {
            name = WhatsAppBodyClassifier.trimmed(name.dropFirst())
        }
        return String(name)
    }

    /// Appends the body bytes without marks and without the `\r` of `\r\n`; reports whether the
    /// body started with a mark and where (UTF-8 offset) the last mark of its first line was.
    private static func appendBody(
        _ b: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int, into out: inout [UInt8]
    ) -> (leading: Bool, lastInFirstLine: Int?) {
        var i = start
        var leading = false
        var lastMark: Int?
        var firstLine = true
        while i < end {
            // A run of bytes that are copied as they are goes in one append.
            var run = i
            while run < end {
                let byte = b[run]
                if byte == WhatsAppBytes.carriageReturn || byte == WhatsAppBytes.lineFeed || byte >= 0xD8 { break }
                run += 1
            }
            if run > i {
                out.append(contentsOf: UnsafeBufferPointer(rebasing: b[i..<run]))
                i = run
                continue
            }
            let byte = b[i]
            if byte == WhatsAppBytes.carriageReturn, i + 1 < end, b[i + 1] == WhatsAppBytes.lineFeed {
                i += 1
                continue
            }
            if byte == WhatsAppBytes.lineFeed {
                firstLine = false
                out.append(byte)
                i += 1
                continue
            }
            if byte >= 0xD8 {
                let mark = WhatsAppBytes.markLength(b, i, end: end)
                if mark > 0 {
                    if out.isEmpty { leading = true }
                    if firstLine { lastMark = out.count }
                    i += mark
                    continue
                }
            }
            out.append(byte)
            i += 1
        }
        return (leading, lastMark)
    }
}
