import CLinux

#if canImport(Glibc)
    import Glibc
#endif

/// The one layer for system calls. Every call retries `EINTR` and throws a `PosixError` with the
/// call, the path (as bytes) and `errno`; nothing else in leakwatch calls Glibc for files.
public enum Posix {
    /// How to open a file. `O_CLOEXEC` is always added.
    public struct OpenOptions: OptionSet, Sendable {
        public let rawValue: Int32
        public init(rawValue: Int32) { self.rawValue = rawValue }

        public static let readOnly = OpenOptions([])
        public static let writeOnly = OpenOptions(rawValue: O_WRONLY)
        public static let readWrite = OpenOptions(rawValue: O_RDWR)
        public static let create = OpenOptions(rawValue: O_CREAT)
        /// With `create`: fail with `EEXIST` when the name exists.
        public static let exclusive = OpenOptions(rawValue: O_EXCL)
        public static let truncate = OpenOptions(rawValue: O_TRUNC)
        public static let append = OpenOptions(rawValue: O_APPEND)
        /// Fail with `ELOOP` on a symbolic link.
        public static let noFollow = OpenOptions(rawValue: O_NOFOLLOW)
        /// Never block (on a FIFO, say).
        public static let nonBlocking = OpenOptions(rawValue: O_NONBLOCK)
        public static let directory = OpenOptions(rawValue: O_DIRECTORY)
    }

    /// Runs `body` until it does not fail with `EINTR`; throws on any other failure (-1).
    @inline(__always)
    static func retrying<Result: BinaryInteger>(_ call: String, _ path: SystemPath?, _ body: () -> Result)
        throws(PosixError) -> Result
    {
        while true {
            let result = body()
            if result != -1 { return result }
            let number = Glibc.errno
            if number != EINTR { throw PosixError(call: call, path: path, errno: number) }
        }
    }

    // MARK: - Files

    public static func open(_ path: SystemPath, _ options: OpenOptions, permissions: UInt32 = 0o600)
        throws(PosixError) -> FileDescriptor
    {
        let fd = try retrying("open", path) {
            path.withCString { Glibc.open($0, options.rawValue | O_CLOEXEC, mode_t(permissions)) }
        }
        return FileDescriptor(rawValue: fd, path: path)
    }

    /// `stat` (following symbolic links) or `lstat`.
    public static func status(_ path: SystemPath, followSymlinks: Bool = true) throws(PosixError) -> FileStatus {
        var info = stat()
        _ = try retrying(followSymlinks ? "stat" : "lstat", path) {
            path.withCString { followSymlinks ? stat($0, &info) : lstat($0, &info) }
        }
        return FileStatus(info)
    }

    /// `status`, or nil when nothing is there (`ENOENT`, `ENOTDIR`).
    public static func statusIfPresent(_ path: SystemPath, followSymlinks: Bool = true) throws(PosixError)
        -> FileStatus?
    {
        do throws(PosixError) {
            return try status(path, followSymlinks: followSymlinks)
        } catch let error where error.errno == ENOENT || error.errno == ENOTDIR {
            return nil
        }
    }

    /// Reads the whole regular file at `path`, refusing one larger than `limit` bytes.
    public static func readFile(_ path: SystemPath, limit: Int = .max, followSymlinks: Bool = true)
        throws(PosixError) -> [UInt8]
    {
        let options: OpenOptions = followSymlinks ? [.nonBlocking] : [.nonBlocking, .noFollow]
        return try open(path, options).readAll(limit: limit)
    }

    // MARK: - Names

    /// `rename`, replacing `destination` if it exists.
    public static func rename(_ source: SystemPath, to destination: SystemPath) throws(PosixError) {
        _ = try retrying("rename", source) {
            source.withCString { from in destination.withCString { to in Glibc.rename(from, to) } }
        }
    }

    /// `renameat2(RENAME_NOREPLACE)`: fails with `EEXIST` when `destination` exists, `EXDEV`
    /// across filesystems.
    public static func renameNoReplace(_ source: SystemPath, to destination: SystemPath) throws(PosixError) {
        _ = try retrying("renameat2", source) {
            source.withCString { from in destination.withCString { to in clinux_rename_noreplace(from, to) } }
        }
    }

    /// `link`: a second name for `source`; fails with `EEXIST` when `destination` exists.
    public static func link(_ source: SystemPath, to destination: SystemPath) throws(PosixError) {
        _ = try retrying("link", source) {
            source.withCString { from in destination.withCString { to in Glibc.link(from, to) } }
        }
    }

    /// `unlink`. With `ignoringMissing`, a name that is already gone is not an error.
    public static func unlink(_ path: SystemPath, ignoringMissing: Bool = false) throws(PosixError) {
        do throws(PosixError) {
            _ = try retrying("unlink", path) { path.withCString { Glibc.unlink($0) } }
        } catch  where ignoringMissing && error.errno == ENOENT {
        }
    }

    public static func setPermissions(_ path: SystemPath, _ mode: UInt32) throws(PosixError) {
        _ = try retrying("chmod", path) { path.withCString { chmod($0, mode_t(mode)) } }
    }

    // MARK: - Directories

    /// `mkdir -p`: creates `path` and any missing parents (parents with `parentPermissions`).
    /// An existing directory is fine; an existing non-directory is `ENOTDIR`.
    public static func makeDirectories(_ path: SystemPath, permissions: UInt32, parentPermissions: UInt32 = 0o755)
        throws(PosixError)
    {
        if let existing = try statusIfPresent(path) {
            guard existing.kind == .directory else { throw PosixError(call: "mkdir", path: path, errno: ENOTDIR) }
            return
        }
        let parent = path.parent
        if parent != path, !parent.bytes.isEmpty {
            try makeDirectories(parent, permissions: parentPermissions, parentPermissions: parentPermissions)
        }
        do throws(PosixError) {
            _ = try retrying("mkdir", path) { path.withCString { mkdir($0, mode_t(permissions)) } }
        } catch let error where error.errno == EEXIST {
            // Created meanwhile by someone else: fine if it is a directory.
            guard try status(path).kind == .directory else {
                throw PosixError(call: "mkdir", path: path, errno: ENOTDIR)
            }
        }
    }

    /// The names in a directory (not `.` and `..`), as bytes, sorted.
    public static func listDirectory(_ path: SystemPath) throws(PosixError) -> [FileName] {
        let fd = try open(path, [.directory, .nonBlocking])
        // fdopendir takes the descriptor over: duplicate it so both owners close their own.
        let copy = try retrying("dup", path) { dup(fd.rawValue) }
        guard let directory = fdopendir(copy) else {
            let error = PosixError(call: "fdopendir", path: path, errno: Glibc.errno)
            Glibc.close(copy)
            throw error
        }
        defer { closedir(directory) }
        var names: [FileName] = []
        while true {
            Glibc.errno = 0
            guard let entry = readdir(directory) else {
                if Glibc.errno != 0 { throw PosixError(call: "readdir", path: path, errno: Glibc.errno) }
                break
            }
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                FileName(bytes: raw.prefix { $0 != 0 })
            }
            if name.bytes != [UInt8(ascii: ".")] && name.bytes != [UInt8(ascii: "."), UInt8(ascii: ".")] {
                names.append(name)
            }
        }
        return names.sorted()
    }

    /// `fsync` on a directory, so that names created, renamed or removed in it are durable.
    public static func syncDirectory(_ path: SystemPath) throws(PosixError) {
        try open(path, [.directory]).sync()
    }

    // MARK: - Durable small files

    /// Replaces the file at `path` with `bytes`, all or nothing, durably: a temporary file in the
    /// same directory is written, `fsync`ed and renamed over `path`, then the directory is
    /// `fsync`ed. On failure `path` is left as it was and the temporary file is removed.
    public static func durableReplace(_ path: SystemPath, with bytes: [UInt8], permissions: UInt32) throws(PosixError) {
        let temporary = try writeTemporary(beside: path, bytes, permissions: permissions)
        do throws(PosixError) {
            try rename(temporary, to: path)
        } catch {
            try? unlink(temporary)
            throw error
        }
        try syncDirectory(path.parent)
    }

    /// Creates `path` holding `bytes`, all or nothing, durably, only if the name is free: fails
    /// with `EEXIST` when it exists (a temporary file is linked to the name, so a reader never
    /// sees a partial file).
    public static func durableCreate(_ path: SystemPath, with bytes: [UInt8], permissions: UInt32) throws(PosixError) {
        let temporary = try writeTemporary(beside: path, bytes, permissions: permissions)
        defer { try? unlink(temporary) }
        try link(temporary, to: path)
        try syncDirectory(path.parent)
    }

    /// A new, fully written and `fsync`ed file next to `path`, under a short unique hidden name.
    private static func writeTemporary(beside path: SystemPath, _ bytes: [UInt8], permissions: UInt32)
        throws(PosixError) -> SystemPath
    {
        let temporary = path.parent.appending(".lw-tmp-\(getpid())-\(UInt64.random(in: 0 ... .max))")
        let file = try open(temporary, [.writeOnly, .create, .exclusive, .noFollow], permissions: permissions)
        do throws(PosixError) {
            try file.setPermissions(permissions)
            try file.writeAll(bytes)
            try file.sync()
        } catch {
            try? unlink(temporary)
            throw error
        }
        return temporary
    }

    // MARK: - Processes and terminals

    public enum Signal: Int32, Sendable {
        case hangup = 1
        case kill = 9
        case terminate = 15
    }

    public static var processID: Int32 { getpid() }

    public static func send(_ signal: Signal, to pid: Int32) throws(PosixError) {
        _ = try retrying("kill", nil) { Glibc.kill(pid, signal.rawValue) }
    }

    /// Whether standard output (1) or standard error (2) is a terminal.
    public static func isTerminal(_ fd: Int32) -> Bool { isatty(fd) == 1 }

    /// Writes `text` to standard error, whole, unbuffered; best effort (nothing to report to).
    public static func writeStandardError(_ text: String) {
        var bytes = Array(text.utf8)
        bytes.withUnsafeMutableBytes { raw in
            var offset = 0
            while offset < raw.count {
                let written = Glibc.write(STDERR_FILENO, raw.baseAddress! + offset, raw.count - offset)
                if written < 0 && Glibc.errno == EINTR { continue }
                if written <= 0 { break }
                offset += written
            }
        }
    }

    /// An environment variable.
    public static func environment(_ name: String) -> String? {
        getenv(name).map { String(cString: $0) }
    }
}

/// The process's heap (glibc's allocator), set up for scanning: the buffers of one chunk are
/// reused by the next instead of being mapped, faulted in and unmapped every time, and memory
/// taken for one large export still goes back to the kernel once it is done.
public enum ProcessMemory {
    /// Blocks of `ownMappingFrom` bytes or more (a zip or JSON export read whole) get a mapping of
    /// their own, returned to the kernel when freed; smaller ones (a chunk's text, messages and
    /// corpus) come from the heap. Free memory at the top of a heap goes back to the kernel once
    /// there is more than `keepFreeAtTop` of it. Both are fixed: glibc would otherwise raise the
    /// first after the first large free.
    ///
    /// Measured on a 50 MB export: with a 256 KiB mapping threshold and the default trim, a scan
    /// took 160,000 page faults and 10% more time; these settings take 8,000, for about 8 MB more
    /// peak resident memory with one worker (25 MB with two on a 1 GB export).
    public static func configureForScanning(ownMappingFrom: Int = 4 << 20, keepFreeAtTop: Int = 16 << 20) {
        _ = clinux_set_mmap_threshold(Int32(ownMappingFrom))
        _ = clinux_set_trim_threshold(Int32(keepFreeAtTop))
    }

    /// Returns the free memory of every heap arena to the kernel (`malloc_trim`).
    public static func releaseFreeMemory() {
        _ = clinux_release_free_memory()
    }
}
