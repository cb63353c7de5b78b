import LeakwatchCore
import Posix

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
        try? Posix.readFile(directory.appending(key + ".hsdb"), limit: Self.limit, followSymlinks: false)
    }

    public func store(_ key: String, _ bytes: [UInt8]) {
        do throws(PosixError) {
            try Posix.makeDirectories(directory, permissions: 0o700)
            let final = directory.appending(key + ".hsdb")
            let temporary = directory.appending(".\(key).\(Posix.processID).tmp")
            let file = try Posix.open(temporary, [.writeOnly, .create, .truncate, .noFollow], permissions: 0o600)
            do throws(PosixError) {
                try file.writeAll(bytes)
                try Posix.rename(temporary, to: final)
            } catch {
                try? Posix.unlink(temporary)
                throw error
            }
        } catch {
            return  // a cache: the rules work without it
        }
        prune()
    }

    /// Keeps the `kept` most recently written databases: rules change, old sets are not needed.
    static let kept = 16

    private var directory: SystemPath { SystemPath(path) }

    private func prune() {
        guard let names = try? Posix.listDirectory(directory) else { return }
        var databases: [(path: SystemPath, modified: Int64)] = []
        for name in names where name.hasSuffix(".hsdb") {
            let file = directory.appending(name)
            if let status = try? Posix.status(file, followSymlinks: false) {
                databases.append((file, status.modifiedNanoseconds))
            }
        }
        guard databases.count > Self.kept else { return }
        for old in databases.sorted(by: { $0.modified > $1.modified }).dropFirst(Self.kept) {
            try? Posix.unlink(old.path, ignoringMissing: true)
        }
    }
}
