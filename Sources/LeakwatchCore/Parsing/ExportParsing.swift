/// Turns the bytes of one dropped file into parsed chats: detects the format from the content
/// (never from the file name), decodes the text and hands it to the right parser.
///
/// Pure: the caller reads the file; this only looks at bytes.
public enum ExportParsing {
    /// Parses `bytes`, the whole content of the file called `fileName` (a name only, used for the
    /// chat name, never to decide the format).
    ///
    /// - A zip (`PK\3\4`) goes to `ZipExportReader`, within `limits`.
    /// - An image or PDF on its own becomes one `media` export (`StandaloneMedia`).
    /// - A JSON object that is a Telegram Desktop export goes to `TelegramJSONParser`.
    /// - Anything else is decoded (`TextDecoding`) and parsed as a WhatsApp layout when one is
    ///   recognised, else as plain lines.
    ///
    /// Returns one `ParsedExport` per chat found: a Telegram full export holds many. Text in no
    /// known layout comes back as one `.plain` export, scanned line by line. Throws when the export
    /// cannot be read safely or at all (`unparseable`, `too-large`, `unsafe-archive`): the caller
    /// quarantines it.
    public static func parse(
        _ bytes: [UInt8], fileName: String, limits: ArchiveLimits = .default, maxLineBytes: Int = .max
    ) throws(ExportError) -> [ParsedExport] {
        if ZipExportReader.isArchive(bytes) {
            return try ZipExportReader.read(bytes, fileName: fileName, limits: limits, maxLineBytes: maxLineBytes)
        }
        if let media = StandaloneMedia.parse(bytes, fileName: fileName) {
            return [media]
        }
        return try parseDocument(bytes, fileName: fileName, maxLineBytes: maxLineBytes)
    }

    /// A single document (not an archive): Telegram JSON, else text (lines longer than
    /// `maxLineBytes` cut into pieces). Refuses a binary file (`binary`).
    static func parseDocument(_ bytes: [UInt8], fileName: String, maxLineBytes: Int = .max) throws(ExportError)
        -> [ParsedExport]
    {
        if case .binary(let nuls, let sampled) = TextDecoding.sniff(bytes) {
            throw TextDecoding.binaryError(nulCount: nuls, sampled: sampled)
        }
        if let exports = try TelegramJSONParser.parse(bytes) {
            return exports
        }
        let decoded = TextDecoding.decode(bytes, maxLineBytes: maxLineBytes)
        if decoded.encoding.hasPrefix("utf-16"), decoded.text.first == "{",
            var exports = try TelegramJSONParser.parse(Array(decoded.text.utf8))
        {
            for index in exports.indices { exports[index].notes.insert(contentsOf: decoded.notes, at: 0) }
            return exports
        }
        return [parseText(decoded, fileName: fileName)]
    }

    /// Parses decoded text: a WhatsApp layout when one is recognised, else plain lines.
    public static func parseText(_ decoded: DecodedText, fileName: String) -> ParsedExport {
        var export =
            WhatsAppTextParser.parse(decoded.text, fileName: fileName)
            ?? PlainTextParser.parse(decoded.text)
        export.notes.insert(contentsOf: decoded.notes, at: 0)
        return export
    }
}

/// Why an export could not be read at all.
public struct ExportError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Stable code: `unparseable`, `too-large`, `unsafe-archive`, ...
    public var code: String
    public var message: String
    /// Member of an archive concerned, if any.
    public var entry: String?

    public init(code: String, message: String, entry: String? = nil) {
        self.code = code
        self.message = message
        self.entry = entry
    }

    public var description: String {
        if let entry { return "\(entry): \(message)" }
        return message
    }
}
