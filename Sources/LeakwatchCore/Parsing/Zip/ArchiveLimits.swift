/// What an archive may cost before it is refused (or, for media only, partly skipped).
///
/// Checked from the central directory before anything is decompressed, and again on the real
/// byte counts while decompressing, so a header that lies about sizes is caught too.
public struct ArchiveLimits: Sendable, Hashable {
    /// Most bytes all entries may decompress to, together.
    public var maxTotalUncompressedBytes: Int
    /// Most entries (files, folders, everything in the central directory).
    public var maxEntries: Int
    /// Highest uncompressed:compressed ratio, per entry and over the whole archive.
    public var maxCompressionRatio: Int
    /// How deep archives may nest: 1 = the dropped zip only, a zip inside it is not opened.
    public var maxNestingDepth: Int
    /// Entries (and archives) smaller than this, uncompressed, are not held to the ratio: a small
    /// file of repeated bytes compresses extremely well and costs nothing.
    public var ratioCheckMinimumBytes: Int

    public init(
        maxTotalUncompressedBytes: Int = 2 << 30,
        maxEntries: Int = 10_000,
        maxCompressionRatio: Int = 200,
        maxNestingDepth: Int = 1,
        ratioCheckMinimumBytes: Int = 1 << 20
    ) {
        self.maxTotalUncompressedBytes = maxTotalUncompressedBytes
        self.maxEntries = maxEntries
        self.maxCompressionRatio = maxCompressionRatio
        self.maxNestingDepth = maxNestingDepth
        self.ratioCheckMinimumBytes = ratioCheckMinimumBytes
    }

    /// 2 GiB in all, 10,000 entries, 200:1, no nested archives opened, ratio checked from 1 MiB.
    public static let `default` = ArchiveLimits()
}
