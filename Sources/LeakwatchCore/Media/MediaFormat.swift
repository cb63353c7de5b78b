/// The kinds of media file leakwatch can look inside, told apart by their first bytes (never by
/// their names): the one sniffer for media, used to recognise an image or PDF dropped on its own
/// and to pick the files of an export worth opening.
public enum MediaFormat: String, Sendable, Hashable, Codable, CaseIterable {
    case jpeg, png, webp, gif, tiff, heic, pdf

    /// The format of `bytes`, or nil when they are none of these (text, video, audio, ...).
    public static func sniff(_ bytes: some Collection<UInt8>) -> MediaFormat? {
        let head = Array(bytes.prefix(16))
        func starts(_ prefix: [UInt8]) -> Bool { head.starts(with: prefix) }
        if starts([0xFF, 0xD8, 0xFF]) { return .jpeg }
        if starts([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return .png }
        if starts(Array("GIF87a".utf8)) || starts(Array("GIF89a".utf8)) { return .gif }
        if starts([0x49, 0x49, 0x2A, 0x00]) || starts([0x4D, 0x4D, 0x00, 0x2A]) { return .tiff }
        if head.count >= 12, starts(Array("RIFF".utf8)), Array(head[8..<12]) == Array("WEBP".utf8) { return .webp }
        if head.count >= 12, Array(head[4..<8]) == Array("ftyp".utf8),
            ["heic", "heix", "hevc", "hevx", "heim", "heis", "mif1", "msf1"].contains(
                String(decoding: head[8..<12], as: UTF8.self))
        {
            return .heic
        }
        if starts(Array("%PDF-".utf8)) { return .pdf }
        return nil
    }

    /// Images (everything but PDF).
    public var isImage: Bool { self != .pdf }
}
