#if canImport(Glibc)
    import Glibc
#endif

/// What `stat`, `lstat` and `fstat` say about a file, in Swift types.
public struct FileStatus: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        case regular, directory, symbolicLink, fifo, socket, characterDevice, blockDevice, unknown
    }

    public var kind: Kind
    public var size: Int
    /// Hard links.
    public var links: Int
    public var device: UInt64
    public var inode: UInt64
    /// Permission bits (`0o7777`).
    public var permissions: UInt32
    /// Last modification, nanoseconds since the epoch.
    public var modifiedNanoseconds: Int64

    init(_ info: stat) {
        switch info.st_mode & S_IFMT {
        case S_IFREG: kind = .regular
        case S_IFDIR: kind = .directory
        case S_IFLNK: kind = .symbolicLink
        case S_IFIFO: kind = .fifo
        case S_IFSOCK: kind = .socket
        case S_IFCHR: kind = .characterDevice
        case S_IFBLK: kind = .blockDevice
        default: kind = .unknown
        }
        size = Int(info.st_size)
        links = Int(info.st_nlink)
        device = UInt64(info.st_dev)
        inode = UInt64(info.st_ino)
        permissions = UInt32(info.st_mode & 0o7777)
        modifiedNanoseconds = Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec)
    }

    /// The same file (device and inode) as `other`.
    public func isSameFile(as other: FileStatus) -> Bool {
        device == other.device && inode == other.inode
    }
}
