import LeakwatchCore
import Posix

/// The secret key for match fingerprints, kept in a file created with mode 0600 on first use.
public enum FingerprintKeyFile {
    public static let keyLength = 32

    /// Reads the key at `path`, creating it (with 32 random bytes from the kernel, mode 0600,
    /// fsync'ed) when it does not exist. Parent directories are created with mode 0700.
    public static func loadOrCreate(_ path: String) throws(LeakwatchError) -> [UInt8] {
        let path = SystemPath(path)
        if let existing = try? FileReading.readFile(path, limit: 4096) {
            guard existing.count >= 16 else {
                throw LeakwatchError(
                    code: .unreadable, message: "fingerprint key is too short (\(existing.count) bytes)",
                    path: path.escaped)
            }
            return existing
        }
        // SystemRandomNumberGenerator is the kernel's CSPRNG (getrandom) on Linux.
        var generator = SystemRandomNumberGenerator()
        let key = (0..<keyLength).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        do throws(PosixError) {
            try Posix.makeDirectories(path.parent, permissions: 0o700, parentPermissions: 0o700)
            try Posix.durableCreate(path, with: key, permissions: 0o600)
        } catch let error where error.isAlreadyExisting {
            // Another process created it first: use theirs.
            return try FileReading.readFile(path, limit: 4096)
        } catch {
            throw LeakwatchError(.io, "cannot create the fingerprint key", error)
        }
        return key
    }
}
