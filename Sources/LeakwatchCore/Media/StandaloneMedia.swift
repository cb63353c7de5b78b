/// An image or PDF dropped on its own, outside any chat export: parsed as one export of format
/// `media` with one message carrying the file, so attachment-name rules see its name and media
/// scanning looks inside it.
public enum StandaloneMedia {
    /// The export for `bytes` when they are a media file (`MediaFormat.sniff`), else nil.
    public static func parse(_ bytes: [UInt8], fileName: String) -> ParsedExport? {
        guard MediaFormat.sniff(bytes) != nil else { return nil }
        let message = Message(
            sent: "", sender: nil, text: "",
            attachments: [Attachment(name: fileName, size: bytes.count, present: true)], kind: .attachment)
        return ParsedExport(format: .media, messages: [message])
    }
}

extension ExportFormat {
    /// An image or PDF on its own (`StandaloneMedia`).
    public static let media = ExportFormat("media")
}
