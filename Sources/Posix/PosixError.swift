#if canImport(Glibc)
    import Glibc
#endif

/// A failed system call: which call, on which path (as bytes), and `errno`.
public struct PosixError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The call, e.g. `rename`, `fsync`.
    public let call: String
    /// The path it concerned, if any (the first one for two-path calls).
    public let path: SystemPath?
    public let errno: Int32

    /// An `EINVAL` for `call` on `path`: the entry is not what the call needs (not a regular file).
    public static func invalid(_ call: String, _ path: SystemPath) -> PosixError {
        PosixError(call: call, path: path, errno: EINVAL)
    }

    public init(call: String, path: SystemPath?, errno: Int32) {
        self.call = call
        self.path = path
        self.errno = errno
    }

    /// `strerror(errno)`.
    public var reason: String { String(cString: strerror(errno)) }

    /// The disk (or the quota) is full: worth waiting for and retrying.
    public var isNoSpace: Bool { errno == ENOSPC || errno == EDQUOT }

    /// The name is taken (`EEXIST`).
    public var isAlreadyExisting: Bool { errno == EEXIST }

    /// The two paths are on different filesystems (`EXDEV`): a rename cannot move it.
    public var isCrossDevice: Bool { errno == EXDEV }

    /// `O_NOFOLLOW` met a symbolic link (`ELOOP`).
    public var isSymbolicLink: Bool { errno == ELOOP }

    /// The path (or a component of it) does not exist.
    public var isNotFound: Bool { errno == ENOENT }

    /// `call(path): reason (errno N)`.
    public var description: String {
        "\(call)(\(path?.escaped ?? "")): \(reason) (errno \(errno))"
    }
}
