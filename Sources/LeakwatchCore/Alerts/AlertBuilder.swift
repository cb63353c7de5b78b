import Crypto

/// The file an export came from, as alerts describe it.
public struct ScannedFile: Sendable, Hashable {
    /// Path (or name) reported in alerts.
    public var path: String
    /// SHA-256 of the file's bytes, hex.
    public var sha256: String

    public init(path: String, sha256: String) {
        self.path = path
        self.sha256 = sha256
    }

    /// Hashes `bytes` with SHA-256.
    public init(path: String, bytes: some Sequence<UInt8>) {
        var hasher = SHA256()
        hasher.update(data: Array(bytes))
        self.init(path: path, sha256: IdentityHash.hex(hasher.finalize()))
    }
}

/// Turns rule hits into `leakwatch.alert.v1` alerts: ids, masked excerpts, fingerprints.
public struct AlertBuilder: Sendable {
    /// The keyed hash of match fingerprints.
    private let fingerprintMAC: PreparedHMAC
    /// How many characters of context an excerpt shows on each side of the match.
    public var excerptContext: Int = 60
    /// What a masked span is replaced with.
    public static let mask = "[REDACTED]"

    public init(fingerprintKey: [UInt8]) {
        self.fingerprintMAC = PreparedHMAC(key: fingerprintKey)
    }

    /// Builds the alerts for `report`'s hits on `export` (the `exportIndex`-th chat in `file`).
    public func alerts(
        for report: MatchReport, in export: ParsedExport, exportIndex: Int = 0, file: ScannedFile, ruleSet: RuleSet,
        detectedAt: String
    ) -> [Alert] {
        alerts(
            for: report.hits, message: { export.messages[$0] }, in: export, exportIndex: exportIndex, file: file,
            ruleSet: ruleSet, detectedAt: detectedAt)
    }

    /// Builds the alerts for `hits` on `export`, whose messages `message` looks up by index (a
    /// streamed export keeps only the messages that have hits).
    func alerts(
        for hits: [RuleHit], message messageAt: (Int) -> Message, in export: ParsedExport, exportIndex: Int,
        file: ScannedFile, ruleSet: RuleSet, detectedAt: String
    ) -> [Alert] {
        // Every span that some redacting rule matched, per message field, masked in all excerpts.
        var masks: [FieldKey: [Range<Int>]] = [:]
        for hit in hits where ruleSet.rules[hit.ruleIndex].definition.redact {
            masks[FieldKey(hit), default: []].append(hit.range)
        }
        return hits.map { hit in
            let rule = ruleSet.rules[hit.ruleIndex]
            let message = messageAt(hit.messageIndex)
            let value = Array(message.value(of: hit.field, item: hit.item).utf8)
            let matched = Array(value[hit.range.clamped(to: 0..<value.count)])
            var match = Alert.MatchInfo(
                field: hit.field.rawValue,
                excerpt: excerpt(of: value, around: hit.range, masking: masks[FieldKey(hit)] ?? []),
                fingerprint: fingerprint(of: matched),
                redacted: rule.definition.redact, confidence: hit.confidence.rawValue,
                model: hit.explanation.map {
                    Alert.ModelInfo(
                        name: $0.model, probability: ($0.probability * 1000).rounded() / 1000, features: $0.features)
                })
            describeAttachment(of: hit, in: message, into: &match)
            return Alert(
                id: alertID(hit: hit, rule: rule, export: export, exportIndex: exportIndex, file: file),
                detectedAt: detectedAt,
                rule: Alert.RuleInfo(
                    id: rule.id, title: rule.definition.title, category: rule.definition.category.rawValue,
                    severity: rule.definition.severity.rawValue, revision: rule.revision, tags: rule.definition.tags),
                source: Alert.SourceInfo(file: file, export: export),
                message: Alert.MessageInfo(
                    line: message.line, id: message.id, sent: message.sent, sentLocal: message.timestamp?.iso8601,
                    sender: message.sender, kind: message.kind.rawValue),
                match: match)
        }
    }

    /// For a hit on an attachment or on what is inside it: which file, and for text found inside
    /// it, the OCR confidence and the PDF page.
    private func describeAttachment(of hit: RuleHit, in message: Message, into match: inout Alert.MatchInfo) {
        switch hit.field {
        case .attachment, .mediaText, .mediaMetadata:
            guard hit.item < message.attachments.count else { return }
            let attachment = message.attachments[hit.item]
            match.attachment = attachment.entry ?? attachment.name
            guard hit.field == .mediaText, let media = attachment.media else { return }
            match.ocrConfidence = media.ocrConfidence
            if media.text.utf8.contains(0x0C) { match.page = media.page(at: hit.range.lowerBound) }
        case .text, .sender, .location:
            return
        }
    }

    /// Keyed HMAC-SHA256 of the match, normalized: lowercased, with whitespace, punctuation and
    /// invisible marks removed, so `SW1A 1AA` and `sw1a1aa` correlate.
    public func fingerprint(of matched: [UInt8]) -> String {
        // ASCII (most matches): its alphabetic and numeric scalars are its letters and digits.
        if matched.allSatisfy({ $0 < 0x80 }) {
            let lowered = matched.map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }
            let kept = lowered.filter { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) }
            return IdentityHash.hex(fingerprintMAC.code(for: kept.isEmpty ? lowered : kept))
        }
        let text = String(decoding: matched, as: UTF8.self)
        var normalized = String.UnicodeScalarView()
        for scalar in text.lowercased().unicodeScalars
        where scalar.properties.isAlphabetic || scalar.properties.numericType != nil {
            normalized.append(scalar)
        }
        let input = normalized.isEmpty ? Array(text.lowercased().utf8) : Array(String(normalized).utf8)
        return IdentityHash.hex(fingerprintMAC.code(for: input))
    }

    /// The value around `range`, with every masked span replaced by `mask` and line breaks
    /// shown as spaces.
    func excerpt(of value: [UInt8], around range: Range<Int>, masking masked: [Range<Int>]) -> String {
        let spans = merge(masked)
        // Window in bytes, widened so it never cuts a masked span or a UTF-8 sequence.
        var lower = max(0, range.lowerBound - excerptContext)
        var upper = min(value.count, range.upperBound + excerptContext)
        for span in spans {
            if span.contains(lower) { lower = span.lowerBound }
            if span.contains(upper - 1) { upper = span.upperBound }
        }
        while lower > 0, value[lower] & 0xC0 == 0x80 { lower -= 1 }
        while upper < value.count, value[upper] & 0xC0 == 0x80 { upper += 1 }

        var out: [UInt8] = lower > 0 ? Array("…".utf8) : []
        var position = lower
        for span in spans where span.upperBound > lower && span.lowerBound < upper {
            if span.lowerBound > position { out += value[position..<span.lowerBound] }
            out += Array(Self.mask.utf8)
            position = max(position, span.upperBound)
        }
        if position < upper { out += value[position..<upper] }
        if upper < value.count { out += Array("…".utf8) }
        // Line breaks and tabs shown as spaces, as the `Character`s `"\n"`, `"\r"` and `"\t"`: a
        // `"\r\n"` is one `Character` of its own, none of these, and stays.
        for index in out.indices where out[index] == 0x0A || out[index] == 0x0D || out[index] == 0x09 {
            let inCRLF =
                (out[index] == 0x0D && index + 1 < out.count && out[index + 1] == 0x0A)
                || (out[index] == 0x0A && index > 0 && out[index - 1] == 0x0D)
            if !inCRLF { out[index] = 0x20 }
        }
        return String(decoding: out, as: UTF8.self)
    }

    private func merge(_ ranges: [Range<Int>]) -> [Range<Int>] {
        var merged: [Range<Int>] = []
        for range in ranges.sorted(by: { $0.lowerBound < $1.lowerBound }) {
            if let last = merged.last, range.lowerBound <= last.upperBound {
                merged[merged.count - 1] = last.lowerBound..<max(last.upperBound, range.upperBound)
            } else {
                merged.append(range)
            }
        }
        return merged
    }

    private func alertID(hit: RuleHit, rule: CompiledRule, export: ParsedExport, exportIndex: Int, file: ScannedFile)
        -> String
    {
        let parts = [
            file.sha256, export.entry ?? "", String(exportIndex), rule.id, rule.revision, String(hit.messageIndex),
            hit.field.rawValue, String(hit.item), String(hit.range.lowerBound), String(hit.range.upperBound),
        ]
        return IdentityHash.joined(parts, bytes: 16)
    }
}

extension Alert.SourceInfo {
    /// The source of alerts on `export`, found in `file`.
    init(file: ScannedFile, export: ParsedExport) {
        self.init(
            path: file.path, sha256: file.sha256, format: export.format.rawValue, entry: export.entry,
            chat: export.chat, participants: export.participants)
    }
}

/// A message field: the unit excerpts and masks are computed on.
private struct FieldKey: Hashable {
    var message: Int
    var field: RuleField
    var item: Int
    init(_ hit: RuleHit) {
        message = hit.messageIndex
        field = hit.field
        item = hit.item
    }
}

extension Message {
    /// The value of `field` that rules see (`item` picks the attachment).
    public func value(of field: RuleField, item: Int = 0) -> String {
        switch field {
        case .text: text
        case .attachment: item < attachments.count ? attachments[item].name : ""
        case .sender: sender ?? ""
        case .location: location?.text ?? ""
        case .mediaText: item < attachments.count ? attachments[item].media?.text ?? "" : ""
        case .mediaMetadata: item < attachments.count ? attachments[item].media?.metadata ?? "" : ""
        }
    }
}
