import LeakwatchCore

#if canImport(Glibc)
    import Glibc
#endif

/// Compiled prefilter databases kept as files in a directory (`KEY.hsdb`), so that loading the
/// same rules again reads them back instead of compiling. A file that cannot be read or is not a
/// database is ignored (the rules compile as without a cache); writes go to a temporary name and
/// are renamed into place, so a reader never sees half a file.
public struct PrefilterCacheDirectory: PrefilterDatabaseCache {
    public let path: String
    /// Larger files are not read.
    static let limit = 256 << 20

    public init(path: String) {
        self.path = path
    }

    /// `$XDG_CACHE_HOME/leakwatch`, else `~/.cache/leakwatch`: where `leakwatch scan` keeps them.
    public static func forUser(environment: [String: String]) -> PrefilterCacheDirectory? {
        if let cache = environment["XDG_CACHE_HOME"], cache.hasPrefix("/") {
            return PrefilterCacheDirectory(path: cache + "/leakwatch")
        }
        guard let home = environment["HOME"], home.hasPrefix("/") else { return nil }
        return PrefilterCacheDirectory(path: home + "/.cache/leakwatch")
    }

    public func load(_ key: String) -> [UInt8]? {
        try? FileReading.readFile(path + "/" + key + ".hsdb", limit: Self.limit, followSymlinks: false)
    }

    public func store(_ key: String, _ bytes: [UInt8]) {
        guard makeDirectory() else { return }
        let final = path + "/" + key + ".hsdb"
        let temporary = path + "/." + key + ".\(getpid()).tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { return }
        var written = 0
        let complete = bytes.withUnsafeBytes { raw -> Bool in
            while written < raw.count {
                let count = write(fd, raw.baseAddress! + written, raw.count - written)
                if count < 0 && errno == EINTR { continue }
                guard count > 0 else { return false }
                written += count
            }
            return true
        }
        close(fd)
        if !complete || rename(temporary, final) != 0 { unlink(temporary) }
        prune()
    }

    /// Keeps the `kept` most recently written databases: rules change, old sets are not needed.
    static let kept = 16

    private func prune() {
        guard let names = try? FileReading.listDirectory(path) else { return }
        var databases: [(name: String, modified: Int)] = []
        for name in names where name.hasSuffix(".hsdb") {
            var info = stat()
            if lstat(path + "/" + name, &info) == 0 { databases.append((name, Int(info.st_mtim.tv_sec))) }
        }
        guard databases.count > Self.kept else { return }
        for old in databases.sorted(by: { $0.modified > $1.modified }).dropFirst(Self.kept) {
            unlink(path + "/" + old.name)
        }
    }

    /// Creates the directory (and its parents) with mode 0700 when missing.
    private func makeDirectory() -> Bool {
        var partial = ""
        for component in path.split(separator: "/") {
            partial += "/" + component
            if mkdir(partial, 0o700) != 0 && errno != EEXIST { return false }
        }
        return FileReading.isDirectory(path)
    }
}
