/// Cuts message texts longer than a maximum into pieces, each a message of its own with the same
/// sender and time (attachments and location stay with the first), so that matching never holds
/// more than `maxBytes` of one message: what the rules' normalizations and models cost grows with
/// the longest text they see. A piece ends at a line break in its last quarter when there is one,
/// else at `maxBytes` (never inside a UTF-8 sequence). Read whole or streamed alike.
struct MessagePieces {
    let maxBytes: Int
    /// Messages cut so far, and the line of the first.
    private(set) var cutMessages = 0
    private(set) var firstLine: Int?

    init(maxBytes: Int) {
        self.maxBytes = max(4, maxBytes)
    }

    /// `messages`, the long ones cut into pieces (the same array when none is long).
    mutating func cut(_ messages: [Message]) -> [Message] {
        // By index: `contains(where:)` would copy (retain and release) every message.
        guard messages.indices.contains(where: { messages[$0].text.utf8.count > maxBytes }) else { return messages }
        var out: [Message] = []
        out.reserveCapacity(messages.count + 8)
        for message in messages {
            guard message.text.utf8.count > maxBytes else {
                out.append(message)
                continue
            }
            cutMessages += 1
            if firstLine == nil { firstLine = message.line ?? 0 }
            let bytes = Array(message.text.utf8)
            var start = 0
            var line = message.line
            while start < bytes.count {
                var end = bytes.count
                if end - start > maxBytes {
                    let searchFrom = start + maxBytes - maxBytes / 4
                    if let lineFeed = bytes[searchFrom..<(start + maxBytes)].lastIndex(of: UInt8(ascii: "\n")) {
                        end = lineFeed + 1
                    } else {
                        end = TextDecoding.cutPoint(bytes, from: start, maxLineBytes: maxBytes)
                    }
                }
                var piece = message
                piece.text = String(decoding: bytes[start..<end], as: UTF8.self)
                piece.line = line
                if start > 0 {
                    piece.attachments = []
                    piece.location = nil
                }
                out.append(piece)
                if let current = line {
                    line = current + TextDecoding.lineFeeds(in: bytes[start..<end])
                }
                start = end
            }
        }
        return out
    }

    /// The `long-message` note, once a message was cut.
    var note: ParseNote? {
        guard cutMessages > 0 else { return nil }
        return ParseNote(
            code: "long-message", line: firstLine == 0 ? nil : firstLine,
            message:
                "\(cutMessages) message(s) longer than \(maxBytes) bytes were matched in pieces of at most \(maxBytes) bytes (first on line \(firstLine ?? 0)); a match across a cut is missed"
        )
    }
}
