/// Limits for reading archives (placeholder until the zip reader lands).
public struct ArchiveLimits: Sendable, Hashable {
    public static let `default` = ArchiveLimits()
    public init() {}
}
