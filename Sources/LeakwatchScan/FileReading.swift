import LeakwatchCore
import Posix

/// Reading files through the `Posix` layer, turning failures into `LeakwatchError`s that name
/// the file and the reason.
public enum FileReading {
    /// Reads the whole regular file at `path`, refusing anything larger than `limit` bytes.
    /// - Parameter followSymlinks: `false` opens with `O_NOFOLLOW`.
    public static func readFile(_ path: SystemPath, limit: Int = Int.max, followSymlinks: Bool = true)
        throws(LeakwatchError) -> [UInt8]
    {
        try readAll(open(path, followSymlinks: followSymlinks), limit: limit)
    }

    /// Opens `path` for reading (non-blocking, so a FIFO does not hang the open).
    /// - Parameter followSymlinks: `false` opens with `O_NOFOLLOW`.
    public static func open(_ path: SystemPath, followSymlinks: Bool = true) throws(LeakwatchError) -> FileDescriptor {
        do throws(PosixError) {
            return try Posix.open(path, followSymlinks ? [.nonBlocking] : [.nonBlocking, .noFollow])
        } catch {
            throw LeakwatchError(.unreadable, "cannot open", error)
        }
    }

    public static func readFile(_ path: String, limit: Int = Int.max, followSymlinks: Bool = true)
        throws(LeakwatchError) -> [UInt8]
    {
        try readFile(SystemPath(path), limit: limit, followSymlinks: followSymlinks)
    }

    /// Reads everything from an open regular file, checking its size with `fstat` first.
    public static func readAll(_ file: FileDescriptor, limit: Int = Int.max) throws(LeakwatchError) -> [UInt8] {
        _ = try regularFileSize(file, limit: limit)
        do throws(PosixError) {
            return try file.readAll(limit: limit)
        } catch {
            throw LeakwatchError(.unreadable, "read failed", error)
        }
    }

    /// The size of the open file; throws when it is not a regular file or is larger than `limit`
    /// bytes.
    public static func regularFileSize(_ file: FileDescriptor, limit: Int = Int.max) throws(LeakwatchError) -> Int {
        let status: FileStatus
        do throws(PosixError) {
            status = try file.status()
        } catch {
            throw LeakwatchError(.unreadable, "cannot stat", error)
        }
        guard status.kind == .regular else {
            throw LeakwatchError(code: .notRegularFile, message: "not a regular file", path: file.path.escaped)
        }
        guard status.size <= limit else {
            throw LeakwatchError(
                code: .tooLarge, message: "file is \(status.size) bytes, over the limit of \(limit)",
                path: file.path.escaped)
        }
        return status.size
    }

    /// Whether anything is at `path` (without following a final symlink).
    public static func exists(_ path: String) -> Bool {
        ((try? Posix.statusIfPresent(SystemPath(path), followSymlinks: false)) ?? nil) != nil
    }

    /// Whether `path` is a directory (following symlinks).
    public static func isDirectory(_ path: String) -> Bool {
        (try? Posix.statusIfPresent(SystemPath(path)))??.kind == .directory
    }

    /// Names in a directory (not `.`/`..`), as bytes, sorted.
    public static func listDirectory(_ path: SystemPath) throws(LeakwatchError) -> [FileName] {
        do throws(PosixError) {
            return try Posix.listDirectory(path)
        } catch {
            throw LeakwatchError(.unreadable, "cannot list directory", error)
        }
    }

    /// Files under `paths`: files as given, directories walked recursively (hidden entries and
    /// symlinked directories skipped), in sorted order. Names are kept as bytes.
    public static func expand(_ paths: [String]) -> (files: [SystemPath], errors: [LeakwatchError]) {
        var files: [SystemPath] = []
        var errors: [LeakwatchError] = []
        func walk(_ directory: SystemPath) {
            let names: [FileName]
            do {
                names = try listDirectory(directory)
            } catch {
                errors.append(error)
                return
            }
            for name in names where !name.hasPrefix(".") {
                let child = directory.appending(name)
                switch (try? Posix.status(child, followSymlinks: false))?.kind {
                case .directory: walk(child)
                case .regular: files.append(child)
                default: continue
                }
            }
        }
        for path in paths.map({ SystemPath($0) }) {
            do throws(PosixError) {
                if try Posix.status(path).kind == .directory {
                    walk(path)
                } else {
                    files.append(path)
                }
            } catch {
                errors.append(LeakwatchError(.unreadable, "cannot open", error))
            }
        }
        return (files, errors)
    }
}

extension LeakwatchError {
    /// A failed system call as a `LeakwatchError`: `what` and the reason, the path (escaped), the
    /// `PosixError` as the cause; `.noSpace` instead of `code` when the disk is full.
    public init(_ code: Code, _ what: String, _ error: PosixError) {
        self.init(
            code: error.isNoSpace ? .noSpace : code, message: "\(what): \(error.reason)", path: error.path?.escaped,
            cause: error)
    }
}
