/// App-written lines: recognising them when the layout alone cannot, and reading who was added
/// or joined (those people are participants even if they never write).
enum WhatsAppSystemLines {
    /// Whether a lowercased line reads like an app notice (encryption, security code, group events).
    static func looksLikeSystem(_ key: String) -> Bool {
        if let found = WhatsAppUTF8.asciiContainsAny(key, WhatsAppPhrases.asciiSystemFragments) { return found }
        return WhatsAppPhrases.systemFragments.contains { key.contains($0) }
    }

    /// What follows the people who joined (`X joined using this group's invite link`).
    private static let joinMarkers = [
        " joined using", " joined", " ist über den einladungslink", " ist beigetreten", " a rejoint", " se unió",
        " è entrato", " entrou",
    ]
    /// What comes before the people added (`Ann a ajouté Bob`).
    private static let addMarkers = [
        " a ajouté ", "Vous avez ajouté ", " añadió a ", "Añadiste a ", " ha aggiunto ", "Hai aggiunto ",
        " adicionou ", "Você adicionou ",
    ]
    private static let conjunctions = [" and ", " und ", " et ", " y ", " e "]
    private static let youWords: Set<String> = ["you", "du", "vous", "te", "ti", "você", "dich", "euch"]

    /// People a system line says were added or joined, as written (`You`/`you` excluded).
    ///
    /// Handles English, German, French, Spanish, Italian and Portuguese wordings:
    /// `Ann added Bob, Carl and Dan`, `Du hast Mallory hinzugefügt.`, `+49 170 1234567 joined using
    /// this group's invite link`, `Ann a ajouté Bob`, `Ann añadió a Bob`.
    static func addedOrJoined(_ line: String) -> [String] {
        var text = WhatsAppBodyClassifier.trimmed(line)
        while text.last == "." { text = text.dropLast() }

        // `X joined using this group's invite link` / `X joined`
        for marker in joinMarkers {
            if let range = text.firstRange(ofBytes: marker) {
                return names(text[..<range.lowerBound])
            }
        }
        // `X added Y` / `Du hast Y hinzugefügt` / `X hat Y hinzugefügt`
        if let range = text.firstRange(ofBytes: " added ") {
            return names(text[range.upperBound...])
        }
        if text.hasSuffix(" hinzugefügt") {
            let body = text.dropLast(" hinzugefügt".count)
            if body.hasPrefix("Du hast ") { return names(body.dropFirst("Du hast ".count)) }
            if let range = body.firstRange(ofBytes: " hat ") { return names(body[range.upperBound...]) }
        }
        for marker in addMarkers {
            if let range = text.firstRange(ofBytes: marker) { return names(text[range.upperBound...]) }
        }
        return []
    }

    /// `Bob, Carl and Dan` → [Bob, Carl, Dan], without `you`.
    private static func names(_ list: Substring) -> [String] {
        var parts: [Substring] = []
        for piece in list.split(separator: ",") {
            var rest = piece[...]
            while true {
                var found: Range<Substring.Index>?
                for conjunction in conjunctions {
                    if let r = rest.firstRange(ofBytes: conjunction) { found = r; break }
                }
                guard let r = found else { break }
                parts.append(rest[..<r.lowerBound])
                rest = rest[r.upperBound...]
            }
            parts.append(rest)
        }
        return parts.compactMap { part in
            let name = WhatsAppBodyClassifier.trimmed(part)
            let lower = name.lowercased()
            guard !name.isEmpty, name.count <= 80,
                !youWords.contains(lower)
            else {
                return nil
            }
            // Phone numbers come with no-break spaces; senders are stored with plain spaces.
            return String(name).split(whereSeparator: { $0 == "\u{00A0}" || $0 == "\u{202F}" || $0 == " " }).joined(
                separator: " ")
        }
    }
}
