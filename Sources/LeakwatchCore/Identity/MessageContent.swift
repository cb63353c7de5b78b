/// What a message says, normalised so that every export of the same chat writes it the same way,
/// reduced to a 64-bit hash (`FNV1a`, the same in every process, unlike `Hasher`) and the length of the normalised text.
///
/// Normalisation:
/// - the kind first: a message with files is `<media>` whatever the export calls them
///   (`<Media omitted>`, `IMG-… (file attached)`, `<attached: …>`, `image omitted`), followed by
///   its caption; deleted messages, locations and contact cards are one token each (`You deleted
///   this message` and `This message was deleted` are the same message);
/// - in the text, direction and invisible marks are dropped (U+200E, U+200F, U+202A–U+202E,
///   U+2066–U+2069, U+200B, U+2060, U+FEFF, U+00AD), every run of white space (also no-break
///   spaces and line breaks) becomes one space, the ends are trimmed, ASCII letters are lowercased.
///
/// Computed straight over the UTF-8 bytes, with no allocation.
public struct MessageContent: Sendable, Hashable {
    /// FNV-1a 64 of the kind token and the normalised text.
    public var hash: UInt64
    /// Letters and digits in the normalised text: ASCII ones, and characters of two- and three-byte
    /// UTF-8 sequences (other scripts); emoji, punctuation and spaces do not count.
    public var textLength: Int
    /// The kind token: `text`, `media`, `deleted`, `location`, `contact`, `poll`, `system`.
    public var token: Token

    public enum Token: UInt8, Sendable, Hashable {
        case text = 1, media, deleted, location, contact, poll, system
    }

    /// Messages with at least this many letters and digits (and that are plain text or a caption)
    /// are distinctive enough to anchor an alignment: `ok` and `👍👍👍` never are.
    public static let distinctiveLength = 10

    public init(hash: UInt64, textLength: Int, token: Token) {
        self.hash = hash
        self.textLength = textLength
        self.token = token
    }

    /// The content of `message`.
    public init(of message: borrowing Message) {
        let token: Token
        switch message.kind {
        case .text: token = .text
        case .attachment: token = .media
        case .deleted: token = .deleted
        case .location: token = .location
        case .contact: token = .contact
        case .poll: token = .poll
        case .system: token = .system
        }
        var hasher = FNV1a()
        hasher.add(token.rawValue)
        hasher.add(0x1F)
        var length = 0
        switch token {
        case .deleted, .location, .contact:
            break  // the token says it all; the wording differs between exports
        case .text, .media, .poll, .system:
            length = Self.normalise(message.text, into: &hasher)
        }
        self.init(hash: hasher.value, textLength: length, token: token)
    }

    /// Whether the message can anchor an alignment between exports.
    public var isDistinctive: Bool {
        (token == .text || token == .media || token == .poll) && textLength >= Self.distinctiveLength
    }

    /// Feeds the normalised bytes of `text` to `hasher`; returns how many there were.
    static func normalise(_ text: String, into hasher: inout FNV1a) -> Int {
        var text = text
        return text.withUTF8 { bytes in
            var length = 0
            var started = false
            var pendingSpace = false
            var index = 0
            let count = bytes.count
            while index < count {
                let byte = bytes[index]
                if byte < 0x80 {
                    if byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D || byte == 0x0B || byte == 0x0C {
                        pendingSpace = started
                        index += 1
                        continue
                    }
                    if pendingSpace {
                        hasher.add(0x20)
                        pendingSpace = false
                    }
                    hasher.add(byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte)
                    started = true
                    if (byte | 0x20 >= 0x61 && byte | 0x20 <= 0x7A) || (byte >= 0x30 && byte <= 0x39) { length += 1 }
                    index += 1
                    continue
                }
                // Marks and spaces outside ASCII.
                if byte == 0xC2, index + 1 < count {
                    let next = bytes[index + 1]
                    if next == 0xAD {  // soft hyphen
                        index += 2
                        continue
                    }
                    if next == 0xA0 {  // no-break space
                        pendingSpace = started
                        index += 2
                        continue
                    }
                }
                if byte == 0xE2, index + 2 < count {
                    let second = bytes[index + 1]
                    let third = bytes[index + 2]
                    if second == 0x80 {
                        switch third {
                        case 0x8B, 0x8E, 0x8F, 0xAA...0xAE:  // ZWSP, LRM, RLM, embeddings and overrides
                            index += 3
                            continue
                        case 0x80...0x8A, 0xA8, 0xA9, 0xAF:  // en/em spaces, line/paragraph separators, NNBSP
                            pendingSpace = started
                            index += 3
                            continue
                        default: break
                        }
                    } else if second == 0x81, third == 0xA0 || (third >= 0xA6 && third <= 0xA9) {
                        index += 3  // word joiner, isolates
                        continue
                    }
                }
                if byte == 0xEF, index + 2 < count, bytes[index + 1] == 0xBB, bytes[index + 2] == 0xBF {
                    index += 3  // BOM / zero-width no-break space
                    continue
                }
                if pendingSpace {
                    hasher.add(0x20)
                    pendingSpace = false
                }
                hasher.add(byte)
                started = true
                if byte >= 0xC2 && byte < 0xF0 { length += 1 }  // a letter of another script, most likely
                index += 1
            }
            return length
        }
    }
}
