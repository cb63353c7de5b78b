import LeakwatchCore

#if canImport(Glibc)
    import Glibc
#endif

/// Reading files with POSIX calls, turning failures into `LeakwatchError`s that name the file
/// and the reason.
public enum FileReading {
    /// Reads the whole regular file at `path`, refusing anything larger than `limit` bytes.
    /// - Parameter followSymlinks: `false` opens with `O_NOFOLLOW`.
    public static func readFile(_ path: String, limit: Int = Int.max, followSymlinks: Bool = true)
        throws(LeakwatchError)
        -> [UInt8]
    {
        let flags = O_RDONLY | O_CLOEXEC | O_NONBLOCK | (followSymlinks ? 0 : O_NOFOLLOW)
        let fd = open(path, flags)
        guard fd >= 0 else { throw errnoError(.unreadable, "cannot open", path) }
        defer { close(fd) }
        return try readAll(fd: fd, path: path, limit: limit)
    }

    /// Reads everything from an open descriptor of a regular file.
    public static func readAll(fd: Int32, path: String, limit: Int = Int.max) throws(LeakwatchError) -> [UInt8] {
        let size = try regularFileSize(fd: fd, path: path, limit: limit)
        var bytes = [UInt8](repeating: 0, count: size)
        var filled = 0
        while filled < size {
            let count = bytes.withUnsafeMutableBytes { raw in
                read(fd, raw.baseAddress! + filled, size - filled)
            }
            if count < 0 {
                if errno == EINTR { continue }
                throw errnoError(.unreadable, "read failed", path)
            }
            if count == 0 { break }  // Shrunk while reading: keep what was there.
            filled += count
        }
        if filled < size { bytes.removeLast(size - filled) }
        return bytes
    }

    /// The size of the regular file open as `fd`; throws when it is not a regular file or is
    /// larger than `limit` bytes.
    public static func regularFileSize(fd: Int32, path: String, limit: Int = Int.max) throws(LeakwatchError) -> Int {
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw errnoError(.unreadable, "cannot stat", path) }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw LeakwatchError(code: .notRegularFile, message: "not a regular file", path: path)
        }
        let size = Int(info.st_size)
        guard size <= limit else {
            throw LeakwatchError(
                code: .tooLarge, message: "file is \(size) bytes, over the limit of \(limit)", path: path)
        }
        return size
    }

    /// Whether anything is at `path` (without following a final symlink).
    public static func exists(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0
    }

    /// Whether `path` is a directory (following symlinks).
    public static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

    /// Names in a directory (not `.`/`..`), sorted.
    public static func listDirectory(_ path: String) throws(LeakwatchError) -> [String] {
        guard let dir = opendir(path) else { throw errnoError(.unreadable, "cannot list directory", path) }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    /// Files under `paths`: files as given, directories walked recursively (hidden entries and
    /// symlinked directories skipped), in sorted order.
    public static func expand(_ paths: [String]) -> (files: [String], errors: [LeakwatchError]) {
        var files: [String] = []
        var errors: [LeakwatchError] = []
        func walk(_ directory: String) {
            let names: [String]
            do {
                names = try listDirectory(directory)
            } catch {
                errors.append(error)
                return
            }
            for name in names where !name.hasPrefix(".") {
                let child = directory.hasSuffix("/") ? directory + name : directory + "/" + name
                var info = stat()
                guard lstat(child, &info) == 0 else { continue }
                switch info.st_mode & S_IFMT {
                case S_IFDIR: walk(child)
                case S_IFREG: files.append(child)
                default: continue
                }
            }
        }
        for path in paths {
            var info = stat()
            if stat(path, &info) != 0 {
                errors.append(errnoError(.unreadable, "cannot open", path))
            } else if (info.st_mode & S_IFMT) == S_IFDIR {
                walk(path)
            } else {
                files.append(path)
            }
        }
        return (files, errors)
    }

    /// The current `errno` as a `LeakwatchError` naming `path` (`ENOSPC` gets `.noSpace`).
    public static func errnoError(_ code: LeakwatchError.Code, _ what: String, _ path: String) -> LeakwatchError {
        let number = errno
        return LeakwatchError(
            code: number == ENOSPC ? .noSpace : code, message: "\(what): \(String(cString: strerror(number)))",
            path: path,
            cause: Errno(number))
    }
}

/// An errno value as an error.
public struct Errno: Error, Sendable, Hashable, CustomStringConvertible {
    public var code: Int32
    public init(_ code: Int32) { self.code = code }
    public var description: String { "errno \(code)" }
}
