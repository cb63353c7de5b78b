import Tesseract

/// Decides which OCR lines of an image are worth matching: drops what a phone or app draws around
/// the content of a screenshot (status bar clock, battery and signal, navigation and input bars,
/// "online", "Today") and lines Tesseract is unsure of (the texture of a photo read as letters).
public struct ScreenshotChrome: Sendable {
    /// Lines below this confidence (0-100) are dropped.
    public var minConfidence: Double

    public init(minConfidence: Double = 60) {
        self.minConfidence = minConfidence
    }

    /// The lines kept, in order, and how many were dropped.
    public func filter(_ lines: [RecognizedLine]) -> (kept: [RecognizedLine], dropped: Int) {
        var kept: [RecognizedLine] = []
        for line in lines where isContent(line) { kept.append(line) }
        return (kept, lines.count - kept.count)
    }

    /// Whether a line carries content: confident enough, with at least two letters or digits, and
    /// not made only of screen furniture.
    public func isContent(_ line: RecognizedLine) -> Bool {
        guard line.confidence >= minConfidence else { return false }
        let alphanumerics = line.text.unicodeScalars.filter { $0.properties.isAlphabetic || ("0"..."9").contains($0) }
        guard alphanumerics.count >= 2 else { return false }
        let tokens = line.text.split(whereSeparator: { $0.isWhitespace })
        return !tokens.allSatisfy(Self.isChrome)
    }

    /// Words phones and chat apps draw around the content.
    static let chromeWords: Set<String> = [
        "am", "pm", "lte", "volte", "vo", "4g", "5g", "3g", "4g+", "5ge", "h+", "e", "wifi", "wi-fi", "ee", "o2",
        "vodafone", "three", "giffgaff", "tesco", "sky", "bt", "no", "service", "sos", "back", "done", "edit",
        "cancel", "search", "chat", "chats", "calls", "status", "settings", "updates", "communities", "camera",
        "type", "a", "message", "messages", "online", "typing", "typing...", "last", "seen", "today", "yesterday",
        "at", "now", "delivered", "read", "sent", "photo", "video", "contact", "info", "select", "new", "group",
        "broadcast", "lists", "archived", "tap", "here", "for", "x", "ok", "reply", "forward", "copy", "delete",
        "star", "more", "media", "links", "docs", "mute", "call", "voice", "end-to-end", "encrypted",
    ]

    /// A token of screen furniture: a clock (`14:32`, `9.41`), a percentage, a lone symbol or
    /// short mark, or one of `chromeWords`.
    static func isChrome(_ token: Substring) -> Bool {
        let lowered = token.lowercased()
        if chromeWords.contains(lowered) { return true }
        let trimmed = lowered.trimmingCharacters(in: "()[]<>«»‹›|•·.,;:!?'\"*+-=_~^©®@#$&/\\")
        if trimmed.isEmpty || chromeWords.contains(trimmed) { return true }
        let scalars = Array(trimmed.unicodeScalars)
        // Icons read as one or two odd characters.
        if scalars.count <= 2, !scalars.allSatisfy({ ("0"..."9").contains($0) }) { return true }
        // 14:32, 9.41, 87%, 100%
        var digits = 0
        var separators = 0
        for scalar in scalars {
            if ("0"..."9").contains(scalar) {
                digits += 1
            } else if scalar == ":" || scalar == "." || scalar == "%" {
                separators += 1
            } else {
                return false
            }
        }
        return digits >= 1 && digits <= 4 && separators <= 1 && (separators == 1 || digits <= 2)
    }
}

extension String {
    fileprivate func trimmingCharacters(in set: String) -> String {
        var text = Substring(self)
        while let first = text.first, set.contains(first) { text.removeFirst() }
        while let last = text.last, set.contains(last) { text.removeLast() }
        return String(text)
    }
}
