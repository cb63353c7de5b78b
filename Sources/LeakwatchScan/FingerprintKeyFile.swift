import LeakwatchCore

#if canImport(Glibc)
    import Glibc
#endif

/// The secret key for match fingerprints, kept in a file created with mode 0600 on first use.
public enum FingerprintKeyFile {
    public static let keyLength = 32

    /// Reads the key at `path`, creating it (with 32 random bytes from the kernel, mode 0600,
    /// fsync'ed) when it does not exist. Parent directories are created with mode 0700.
    public static func loadOrCreate(_ path: String) throws(LeakwatchError) -> [UInt8] {
        if let existing = try? FileReading.readFile(path, limit: 4096) {
            guard existing.count >= 16 else {
                throw LeakwatchError(
                    code: .unreadable, message: "fingerprint key is too short (\(existing.count) bytes)", path: path)
            }
            return existing
        }
        try makeParents(of: path)
        // SystemRandomNumberGenerator is the kernel's CSPRNG (getrandom) on Linux.
        var generator = SystemRandomNumberGenerator()
        let key = (0..<keyLength).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        if fd < 0 {
            // Another process created it first: use theirs.
            if errno == EEXIST { return try FileReading.readFile(path, limit: 4096) }
            throw FileReading.errnoError(.io, "cannot create fingerprint key", path)
        }
        defer { close(fd) }
        let written = key.withUnsafeBytes { write(fd, $0.baseAddress, keyLength) }
        guard written == keyLength, fsync(fd) == 0 else {
            unlink(path)
            throw FileReading.errnoError(.io, "cannot write fingerprint key", path)
        }
        return key
    }

    static func makeParents(of path: String) throws(LeakwatchError) {
        var components = path.split(separator: "/", omittingEmptySubsequences: false).dropLast()
        var current = path.hasPrefix("/") ? "" : "."
        if path.hasPrefix("/") { components = components.dropFirst() }
        for component in components where !component.isEmpty {
            current += "/" + component
            if mkdir(current, 0o700) != 0 && errno != EEXIST {
                throw FileReading.errnoError(.io, "cannot create directory", current)
            }
        }
    }
}
