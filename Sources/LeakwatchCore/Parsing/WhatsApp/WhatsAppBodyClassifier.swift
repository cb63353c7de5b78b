/// What a message body turned out to be.
struct WhatsAppClassifiedBody: Sendable {
    var kind: MessageKind
    var text: String
    var attachments: [Attachment] = []
    var location: Location?
    /// The line is an app notice although the header named a sender (iOS writes the chat's name
    /// there): the caller drops the sender.
    var dropsSender = false
}

/// Classifies a body (marks already removed) into a `MessageKind`, pulling out attachment names,
/// captions and shared locations. Lookups are exact matches against `WhatsAppPhrases`.
enum WhatsAppBodyClassifier {
    /// - Parameters:
    ///   - body: the text after `Name: ` (or the whole system line), continuation lines included.
    ///   - hasSender: the header named a sender.
    ///   - leadingMark: the body started with U+200E/U+200F (iOS marks app-written text so).
    ///   - lastMarkOffset: UTF-8 offset in `body` where the last mark of its first line was, if any
    ///     (iOS puts one right before a placeholder: `Some file.txt ‎document omitted`).
    static func classify(_ body: String, hasSender: Bool, leadingMark: Bool, lastMarkOffset: Int?)
        -> WhatsAppClassifiedBody
    {
        guard hasSender else { return WhatsAppClassifiedBody(kind: .system, text: body) }
        var text = body
        // Byte checks below are necessary conditions of the `Character` checks they guard: they
        // only skip work whose answer is already known (see `WhatsAppUTF8`).
        if text.utf8.last == UInt8(ascii: ">"), text.hasSuffix(">") {
            for marker in WhatsAppPhrases.editedMarkers where text.hasSuffix(marker) {
                text = String(trimmed(text.dropLast(marker.count)))
                break
            }
        }
        guard !text.isEmpty else { return WhatsAppClassifiedBody(kind: .text, text: text) }

        let newline = WhatsAppUTF8.firstNewline(in: text)
        let firstLine = newline.map { text[..<$0] } ?? text[...]
        let rest = newline.map { String(text[text.index(after: $0)...]) } ?? ""
        // Long first lines are ordinary messages: skip the phrase lookups.
        guard firstLine.utf8.count <= 400 else { return WhatsAppClassifiedBody(kind: .text, text: text) }

        // Most first lines are no phrase: told by a digest of their key, without making it or
        // looking it up. The key is still made where it is read other than by exact lookup: a
        // `<...>` placeholder, the encryption notice (`messages ...`), a line marked as the app's.
        let key: String
        if leadingMark {
            key = phraseKey(firstLine)
        } else if let shape = WhatsAppUTF8.asciiPhraseKeyDigest(firstLine) {
            let isNoPhrase =
                !WhatsAppPhrases.bodyKeyDigests.contains(shape.digest)
                && shape.first != UInt8(ascii: "<") && !shape.startsWithMessages
            key = isNoPhrase ? "" : phraseKey(firstLine)
        } else {
            // Not ASCII: an emoji (or another character no phrase has) tells it apart as well.
            key = WhatsAppUTF8.isNoPhraseKey(firstLine) ? "" : phraseKey(firstLine)
        }
        let kinds = WhatsAppPhrases.kinds(of: key)
        if rest.isEmpty, kinds.contains(.deleted) {
            return WhatsAppClassifiedBody(kind: .deleted, text: text)
        }
        let lastByte = firstLine.utf8.last
        if let first = firstLine.utf8.first, WhatsAppPhrases.pollHeaderFirstBytes.contains(first),
            let poll = poll(firstLine, rest: rest, text: text)
        {
            return poll
        }
        if lastByte == UInt8(ascii: ">"), let attached = iosAttachment(firstLine, rest: rest) { return attached }
        if lastByte == UInt8(ascii: ")"), let attached = androidAttachment(firstLine, rest: rest) { return attached }
        if let omitted = omitted(firstLine, key: key, kinds: kinds, rest: rest, lastMarkOffset: lastMarkOffset) {
            return omitted
        }
        if let location = location(firstLine, kinds: kinds, text: text, hasNewline: newline != nil) {
            return location
        }
        if leadingMark || isEncryptionNotice(key), WhatsAppSystemLines.looksLikeSystem(key) {
            return WhatsAppClassifiedBody(kind: .system, text: text, dropsSender: true)
        }
        return WhatsAppClassifiedBody(kind: .text, text: text)
    }

    /// Lowercased, trimmed, without a final full stop: the form phrase tables use.
    static func phraseKey(_ line: Substring) -> String {
        if let key = WhatsAppUTF8.asciiPhraseKey(line) { return key }
        var key = trimmed(line)
        while let last = key.last, last == "." || last == "。" { key = key.dropLast() }
        return WhatsAppUTF8.lowercased(key)
    }

    static func trimmed<S: StringProtocol>(_ s: S) -> Substring where S.SubSequence == Substring {
        var sub = s[...]
        while let first = sub.first, first.isWhitespace { sub = sub.dropFirst() }
        while let last = sub.last, last.isWhitespace { sub = sub.dropLast() }
        return sub
    }

    private static func join(_ caption: Substring, _ rest: String) -> String {
        let head = trimmed(caption)
        if head.isEmpty { return rest }
        if rest.isEmpty { return String(head) }
        return String(head) + "\n" + rest
    }

    private static func isEncryptionNotice(_ key: String) -> Bool {
        guard key.utf8.first == UInt8(ascii: "m") else { return false }
        return key.hasPrefix("messages and calls are end-to-end encrypted")
            || key.hasPrefix("messages to this group are now secured")
            || key.hasPrefix("messages you send to this")
    }

    /// `POLL:` then `OPTION: ...` lines.
    private static func poll(_ firstLine: Substring, rest: String, text: String) -> WhatsAppClassifiedBody? {
        // Bytes first: no header has another canonically equivalent spelling, so a line that does
        // not start with its bytes does not start with it.
        guard
            WhatsAppPhrases.pollHeaders.indices.contains(where: {
                WhatsAppUTF8.startsWith(firstLine, WhatsAppPhrases.pollHeaderBytes[$0])
                    && firstLine.hasPrefix(WhatsAppPhrases.pollHeaders[$0])
            })
        else { return nil }
        let hasOption = rest.split(separator: "\n").contains { line in
            WhatsAppPhrases.pollOptions.contains { trimmed(line).hasPrefix($0) }
        }
        return hasOption ? WhatsAppClassifiedBody(kind: .poll, text: text) : nil
    }

    /// `<attached: 00000012-PHOTO-2021-11-07-18-14-02.jpg>` and localised labels, possibly after a caption.
    private static func iosAttachment(_ firstLine: Substring, rest: String) -> WhatsAppClassifiedBody? {
        guard firstLine.hasSuffix(">"), let open = firstLine.lastIndex(of: "<") else { return nil }
        let inner = firstLine[firstLine.index(after: open)..<firstLine.index(before: firstLine.endIndex)]
        guard let colon = inner.firstIndex(of: ":") else { return nil }
        let label = trimmed(inner[..<colon]).lowercased()
        let name = String(trimmed(inner[inner.index(after: colon)...]))
        guard !name.isEmpty else { return nil }
        guard WhatsAppPhrases.iosAttachedLabels.contains(label) || hasExportNumberPrefix(name) else { return nil }
        return attachment(named: name, text: join(firstLine[..<open], rest))
    }

    /// iOS names files in an export `00000012-...`.
    private static func hasExportNumberPrefix(_ name: String) -> Bool {
        let utf8 = Array(name.utf8.prefix(9))
        guard utf8.count == 9, utf8[8] == UInt8(ascii: "-") else { return false }
        return utf8[0..<8].allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
    }

    /// `IMG-20211107-WA0003.jpg (file attached)` and localised labels; the caption follows on the next lines.
    private static func androidAttachment(_ firstLine: Substring, rest: String) -> WhatsAppClassifiedBody? {
        guard firstLine.hasSuffix(")"), let open = firstLine.lastIndex(of: "("), open > firstLine.startIndex else {
            return nil
        }
        let beforeOpen = firstLine.index(before: open)
        guard firstLine[beforeOpen] == " " else { return nil }
        let label = firstLine[firstLine.index(after: open)..<firstLine.index(before: firstLine.endIndex)].lowercased()
        guard WhatsAppPhrases.androidAttachedLabels.contains(label) else { return nil }
        let name = String(trimmed(firstLine[..<beforeOpen]))
        guard !name.isEmpty else { return nil }
        return attachment(named: name, text: rest)
    }

    private static func attachment(named name: String, text: String) -> WhatsAppClassifiedBody {
        let kind: MessageKind = name.lowercased().hasSuffix(".vcf") ? .contact : .attachment
        return WhatsAppClassifiedBody(kind: kind, text: text, attachments: [Attachment(name: name, present: false)])
    }

    /// `<Media omitted>` (Android) and `image omitted` (iOS), localised; iOS may put a document's
    /// name before the placeholder: `Resume.pdf • 2 pages ‎document omitted`.
    private static func omitted(
        _ firstLine: Substring, key: String, kinds: WhatsAppPhrases.BodyPhraseKinds, rest: String, lastMarkOffset: Int?
    ) -> WhatsAppClassifiedBody? {
        if firstLine.utf8.first == UInt8(ascii: "<"), firstLine.hasPrefix("<"), firstLine.hasSuffix(">") {
            let isKnown = kinds.contains(.androidOmitted)
            let looksLikeMedia =
                !firstLine.contains(":") && ["medi", "медиа", "медіа", "mídia", "média"].contains { key.contains($0) }
            if isKnown || looksLikeMedia {
                return WhatsAppClassifiedBody(
                    kind: .attachment, text: rest,
                    attachments: [Attachment(name: String(trimmed(firstLine)), present: false)])
            }
            return nil
        }
        if kinds.contains(.omittedContact) {
            return WhatsAppClassifiedBody(
                kind: .contact, text: rest, attachments: [Attachment(name: String(trimmed(firstLine)), present: false)])
        }
        if kinds.contains(.omittedMedia) {
            return WhatsAppClassifiedBody(
                kind: .attachment, text: rest,
                attachments: [Attachment(name: String(trimmed(firstLine)), present: false)])
        }
        // `Name • 2 pages ‎document omitted`: the placeholder follows the last mark.
        guard let lastMarkOffset, lastMarkOffset > 0, lastMarkOffset < firstLine.utf8.count else { return nil }
        let split = firstLine.utf8.index(firstLine.startIndex, offsetBy: lastMarkOffset)
        let placeholder = firstLine[split...]
        let placeholderKey = phraseKey(placeholder)
        let placeholderKinds = WhatsAppPhrases.kinds(of: placeholderKey)
        let isContact = placeholderKinds.contains(.omittedContact)
        guard isContact || placeholderKinds.contains(.omittedMedia) else { return nil }
        let prefix = trimmed(firstLine[..<split])
        // The file name is what precedes ` • ` (page count, size...).
        var name = prefix
        if let bullet = prefix.firstIndex(of: "•") { name = trimmed(prefix[..<bullet]) }
        let attachmentName = name.isEmpty ? String(trimmed(placeholder)) : String(name)
        return WhatsAppClassifiedBody(
            kind: isContact ? .contact : .attachment, text: join(prefix, rest),
            attachments: [Attachment(name: attachmentName, present: false)])
    }

    /// `location: https://maps.google.com/?q=LAT,LON` (any label), live locations and venue shares.
    private static func location(
        _ firstLine: Substring, kinds: WhatsAppPhrases.BodyPhraseKinds, text: String, hasNewline: Bool
    ) -> WhatsAppClassifiedBody? {
        if kinds.contains(.liveLocation) {
            return WhatsAppClassifiedBody(kind: .location, text: text, location: Location(text: text))
        }
        if WhatsAppUTF8.containsColonSpace(firstLine), let colon = labelColon(firstLine) {
            let url = trimmed(firstLine[firstLine.index(colon, offsetBy: 2)...])
            if isMapURL(url) {
                let (lat, lon) = coordinates(in: url)
                return WhatsAppClassifiedBody(
                    kind: .location, text: text, location: Location(latitude: lat, longitude: lon, text: String(url)))
            }
            if url.hasPrefix("https://foursquare.com/v/") {
                return WhatsAppClassifiedBody(kind: .location, text: text, location: Location(text: text))
            }
        }
        // Android venue: `Name\nAddress\nhttps://foursquare.com/v/...` (a text without a `"\n"`
        // `Character` has no last one either).
        if hasNewline, let lastNewline = WhatsAppUTF8.lastNewline(in: text) {
            let lastLine = trimmed(text[text.index(after: lastNewline)...])
            if lastLine.hasPrefix("https://foursquare.com/v/") {
                return WhatsAppClassifiedBody(kind: .location, text: text, location: Location(text: text))
            }
        }
        return nil
    }

    /// The `": "` after a short label (`Location`, `Standort`, a venue name...).
    private static func labelColon(_ line: Substring) -> Substring.Index? {
        var index = line.startIndex
        var count = 0
        while index < line.endIndex, count < 120 {
            if line[index] == ":" {
                let next = line.index(after: index)
                if next < line.endIndex, line[next] == " " { return index }
            }
            index = line.index(after: index)
            count += 1
        }
        return nil
    }

    private static func isMapURL(_ url: Substring) -> Bool {
        (url.hasPrefix("https://") || url.hasPrefix("http://"))
            && (url.contains("maps.google.") || url.contains("google.com/maps") || url.contains("maps.apple.com"))
    }

    /// Latitude and longitude after `q=`, `query=` or `ll=`.
    static func coordinates(in url: Substring) -> (Double?, Double?) {
        for marker in ["?q=", "&q=", "query=", "ll="] {
            guard let range = firstRange(of: marker, in: url) else { continue }
            let tail = url[range.upperBound...]
            let pair = tail.prefix { $0.isNumber || $0 == "-" || $0 == "." || $0 == "," || $0 == "+" }
            let parts = pair.split(separator: ",", omittingEmptySubsequences: false)
            guard parts.count >= 2, let lat = Double(parts[0]), let lon = Double(parts[1]) else { continue }
            guard (-90...90).contains(lat), (-180...180).contains(lon) else { continue }
            return (lat, lon)
        }
        return (nil, nil)
    }

    private static func firstRange(of needle: String, in haystack: Substring) -> Range<Substring.Index>? {
        var index = haystack.startIndex
        while index < haystack.endIndex {
            if haystack[index...].hasPrefix(needle) {
                return index..<haystack.index(index, offsetBy: needle.count)
            }
            index = haystack.index(after: index)
        }
        return nil
    }
}
