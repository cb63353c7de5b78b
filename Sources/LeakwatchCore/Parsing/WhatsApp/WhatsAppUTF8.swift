/// Fast paths over the UTF-8 of decoded `String`s for the per-message work of the parser.
///
/// Each helper gives exactly the answer of the `Character`-based code it replaces, or `nil` when
/// it cannot tell cheaply (the caller then runs that code). The reasoning it relies on:
/// - `"\n"` is a `Character` of its own except in `"\r\n"` (grapheme rules GB3–GB5), so the first
///   `"\n"` `Character` is the first `\n` byte not preceded by `\r`;
/// - in ASCII text every `Character` is one byte except `"\r\n"`, whose two bytes are both
///   whitespace, and ASCII whitespace (`Character.isWhitespace`) is `\t`...`\r` and space.
enum WhatsAppUTF8 {
    /// The index of the first `"\n"` `Character` of `text`.
    static func firstNewline(in text: String) -> String.Index? {
        let offset = text.utf8.withContiguousStorageIfAvailable { b -> Int? in
            var i = 0
            while i < b.count {
                if b[i] == WhatsAppBytes.lineFeed && (i == 0 || b[i - 1] != WhatsAppBytes.carriageReturn) {
                    return i
                }
                i += 1
            }
            return nil
        }
        guard let offset else { return text.firstIndex(of: "\n") }
        return offset.map { text.utf8.index(text.utf8.startIndex, offsetBy: $0) }
    }

    /// The index of the last `"\n"` `Character` of `text`.
    static func lastNewline(in text: String) -> String.Index? {
        let offset = text.utf8.withContiguousStorageIfAvailable { b -> Int? in
            var i = b.count - 1
            while i >= 0 {
                if b[i] == WhatsAppBytes.lineFeed && (i == 0 || b[i - 1] != WhatsAppBytes.carriageReturn) {
                    return i
                }
                i -= 1
            }
            return nil
        }
        guard let offset else { return text.lastIndex(of: "\n") }
        return offset.map { text.utf8.index(text.utf8.startIndex, offsetBy: $0) }
    }

    /// Whether the bytes `": "` occur in `line`: without them no `":"` `Character` is followed by
    /// a `" "` one.
    static func containsColonSpace(_ line: Substring) -> Bool {
        let found = line.utf8.withContiguousStorageIfAvailable { b -> Bool in
            guard b.count >= 2 else { return false }
            for i in 0..<(b.count - 1) where b[i] == WhatsAppBytes.colon && b[i + 1] == WhatsAppBytes.space {
                return true
            }
            return false
        }
        return found ?? true
    }

    /// Whether every byte of `b` is ASCII, eight at a time.
    static func isASCII(_ b: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = b.baseAddress.map(UnsafeRawPointer.init) else { return true }
        var i = 0
        var high: UInt64 = 0
        while i + 8 <= b.count {
            high |= base.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            i += 8
        }
        while i < b.count {
            high |= UInt64(b[i])
            i += 1
        }
        return high & 0x8080_8080_8080_8080 == 0
    }

    /// Whether `line` starts with the bytes `prefix`.
    static func startsWith(_ line: Substring, _ prefix: [UInt8]) -> Bool {
        let found = line.utf8.withContiguousStorageIfAvailable { b -> Bool in
            guard b.count >= prefix.count else { return false }
            for k in prefix.indices where b[k] != prefix[k] { return false }
            return true
        }
        return found ?? line.utf8.starts(with: prefix)
    }

    /// Whether the phrase key of `line` (`WhatsAppBodyClassifier.phraseKey`) is certainly no body
    /// phrase, starts with neither `<` nor `messages`, without making it: `false` when that cannot
    /// be told cheaply.
    ///
    /// The key holds every scalar of `line` that trimming and lowercasing keep: one that is not
    /// whitespace, not a mark or modifier (which could join a trimmed `Character`) and has no
    /// lowercase form of its own (`isKeptInKey`, the emoji, dingbats and the pound sign). A key
    /// holding such a scalar that no phrase has is no phrase. Its first character is the first
    /// after ASCII whitespace when that is ASCII, or such a scalar.
    static func isNoPhraseKey(_ line: Substring) -> Bool {
        let found = line.utf8.withContiguousStorageIfAvailable { b -> Bool in
            var i = 0
            while i < b.count && isASCIIWhitespace(b[i]) { i += 1 }
            guard i < b.count else { return false }
            let lead = b[i]
            if lead < 0x80 {
                if lead == UInt8(ascii: "<") || lead | 0x20 == UInt8(ascii: "m") { return false }
            } else if !isKeptInKey(TextDecoding.scalar(in: b, at: i).value) {
                return false
            }
            while i < b.count {
                let byte = b[i]
                if byte >= 0xC0, isKeptInKey(TextDecoding.scalar(in: b, at: i).value) { return true }
                i += 1
            }
            return false
        }
        return found ?? false
    }

    /// Whether `scalar` is one a phrase key keeps as it is and no body phrase has: a caseless
    /// symbol (`TextDecoding.isCaselessSymbol`) but for the skin-tone modifiers (which join the
    /// character before them). `WhatsAppParserTests` checks the properties this relies on for
    /// every one of them.
    static func isKeptInKey(_ scalar: UInt32) -> Bool {
        TextDecoding.isCaselessSymbol(scalar) && !(0x1F3FB...0x1F3FF).contains(scalar)
            && !WhatsAppPhrases.bodyPhraseScalars.contains(scalar)
    }

    /// Whether `byte` is an ASCII character for which `Character.isWhitespace` holds.
    @inline(__always)
    static func isASCIIWhitespace(_ byte: UInt8) -> Bool {
        byte == WhatsAppBytes.space || (byte >= 0x09 && byte <= 0x0D)
    }

    /// What `asciiPhraseKeyDigest` tells of a line's phrase key without making it.
    struct PhraseKeyShape {
        /// The FNV-1a digest of the key.
        var digest: UInt64
        /// The key's first byte (as written, not lowercased).
        var first: UInt8?
        /// Whether the key starts with `messages` (as the encryption notices do).
        var startsWithMessages: Bool
    }

    /// The FNV-1a digest, first byte and start of `asciiPhraseKey(line)`, without making it; `nil`
    /// when `line` is not ASCII.
    static func asciiPhraseKeyDigest(_ line: Substring) -> PhraseKeyShape? {
        let shape = line.utf8.withContiguousStorageIfAvailable { b -> PhraseKeyShape? in
            guard let (start, end) = asciiPhraseKeyBounds(b) else { return nil }
            var digest = FNV1a()
            var prefix: UInt64 = 0
            let prefixEnd = min(end, start + 8)
            for k in start..<prefixEnd {
                let byte = b[k]
                let lowered = byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte
                digest.add(lowered)
                prefix |= UInt64(lowered) << (8 * (k - start))
            }
            for k in prefixEnd..<end {
                let byte = b[k]
                digest.add(byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte)
            }
            return PhraseKeyShape(
                digest: digest.value, first: start < end ? b[start] : nil,
                startsWithMessages: end - start >= 8 && prefix == messagesPrefix)
        }
        return shape ?? nil
    }

    /// `messages` as 8 bytes, the first in the lowest.
    private static let messagesPrefix: UInt64 = "messages".utf8.reversed().reduce(0) { $0 << 8 | UInt64($1) }

    /// `WhatsAppBodyClassifier.phraseKey` of an ASCII `line` (trimmed, final full stops dropped,
    /// lowercased), computed over bytes; `nil` when `line` is not ASCII.
    static func asciiPhraseKey(_ line: Substring) -> String? {
        let key = line.utf8.withContiguousStorageIfAvailable { b -> String? in
            guard let (start, end) = asciiPhraseKeyBounds(b) else { return nil }
            return String(unsafeUninitializedCapacity: end - start) { out in
                for k in start..<end {
                    let byte = b[k]
                    out[k - start] = byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte
                }
                return end - start
            }
        }
        return key ?? nil
    }

    /// `String.lowercased()` of `text`, which is each scalar's `lowercaseMapping` in turn, with
    /// ASCII scalars mapped here rather than one small string at a time (most lines are mostly
    /// ASCII).
    static func lowercased(_ text: Substring) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            if scalar.isASCII {
                let byte = UInt8(truncatingIfNeeded: scalar.value)
                bytes.append(byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte)
            } else {
                bytes += scalar.properties.lowercaseMapping.utf8
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Where the phrase key of the ASCII bytes `b` lies: trimmed, final full stops dropped;
    /// `nil` when `b` is not ASCII.
    private static func asciiPhraseKeyBounds(_ b: UnsafeBufferPointer<UInt8>) -> (start: Int, end: Int)? {
        guard isASCII(b) else { return nil }
        var start = 0
        var end = b.count
        while start < end && isASCIIWhitespace(b[start]) { start += 1 }
        while end > start && isASCIIWhitespace(b[end - 1]) { end -= 1 }
        while end > start && b[end - 1] == UInt8(ascii: ".") { end -= 1 }
        return (start, end)
    }

    /// `WhatsAppBodyClassifier.trimmed` of the ASCII bytes `b[start..<end]` as a range.
    static func asciiTrimmed(_ b: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> (start: Int, end: Int) {
        var start = start
        var end = end
        while start < end && isASCIIWhitespace(b[start]) { start += 1 }
        while end > start && isASCIIWhitespace(b[end - 1]) { end -= 1 }
        return (start, end)
    }

    /// Whether one of the ASCII `needles` occurs in the ASCII `text`, by bytes; `nil` when `text`
    /// is not ASCII.
    static func asciiContainsAny(_ text: String, _ needles: [[UInt8]]) -> Bool? {
        let found = text.utf8.withContiguousStorageIfAvailable { b -> Bool? in
            for byte in b where byte >= 0x80 { return nil }
            for needle in needles where needle.withUnsafeBufferPointer({ b.firstOffset(of: $0) }) != nil {
                return true
            }
            return false
        }
        return found ?? nil
    }
}
