import Crypto

/// An attached image whose perceptual hash is within the threshold of an entry of a known-media
/// list: a force's own scene or evidence photos, shared in a chat.
public struct KnownMediaMatch: Sendable, Hashable {
    /// Index of the message in its `ParsedExport`, and of the attachment in the message.
    public var messageIndex: Int
    public var attachmentIndex: Int
    public var info: Alert.KnownMediaInfo

    public init(messageIndex: Int, attachmentIndex: Int, info: Alert.KnownMediaInfo) {
        self.messageIndex = messageIndex
        self.attachmentIndex = attachmentIndex
        self.info = info
    }

    /// The alert's rule: built in, not in a rule file, because it matches hashes, not text.
    public static let ruleID = "crime-scene-media.known-image"
    public static let ruleTitle = "Known scene or evidence image (perceptual hash match)"
}

extension AlertBuilder {
    /// The `crime-scene-media` alert, confidence `high`, for a known-media match in `export` (the
    /// `exportIndex`-th chat of `file`). Its id depends on the file's bytes, the attachment and
    /// the list entry (its hash, label and the threshold), so a rescan or a list reload that keeps
    /// the entry gives the same id.
    public func alert(
        for match: KnownMediaMatch, in export: ParsedExport, exportIndex: Int, file: ScannedFile, detectedAt: String
    ) -> Alert {
        let message = export.messages[match.messageIndex]
        let attachment =
            match.attachmentIndex < message.attachments.count ? message.attachments[match.attachmentIndex] : nil
        let info = match.info
        let revision = IdentityHash.joined(
            ["known-media", info.algorithm, info.label, String(info.threshold)], bytes: 8)
        let idParts = [
            file.sha256, export.entry ?? "", String(exportIndex), KnownMediaMatch.ruleID, revision,
            String(match.messageIndex), "media-hash", String(match.attachmentIndex), info.list, String(info.line),
        ]
        let name = attachment.map { $0.entry ?? $0.name } ?? ""
        return Alert(
            id: IdentityHash.joined(idParts, bytes: 16),
            detectedAt: detectedAt,
            rule: Alert.RuleInfo(
                id: KnownMediaMatch.ruleID, title: KnownMediaMatch.ruleTitle,
                category: RuleCategory.crimeSceneMedia.rawValue, severity: Severity.critical.rawValue,
                revision: revision, tags: ["known-media"]),
            source: Alert.SourceInfo(
                path: file.path, sha256: file.sha256, format: export.format.rawValue, entry: export.entry,
                chat: export.chat, participants: export.participants),
            message: Alert.MessageInfo(
                line: message.line, id: message.id, sent: message.sent, sentLocal: message.timestamp?.iso8601,
                sender: message.sender, kind: message.kind.rawValue),
            match: Alert.MatchInfo(
                field: "media-hash",
                excerpt:
                    "\(name) looks like known image \"\(info.label)\" (\(info.algorithm.uppercased()) distance \(info.distance) of 256, threshold \(info.threshold))",
                fingerprint: fingerprint(of: Array("\(info.list):\(info.line):\(info.label)".utf8)), redacted: false,
                confidence: Confidence.high.rawValue, model: nil, attachment: name, knownMedia: info))
    }
}
