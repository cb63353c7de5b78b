import Foundation
import LeakwatchCore
import LeakwatchScan

#if canImport(Glibc)
    import Glibc
#endif

/// `reload.status` in the state directory: the number of reloads finished and how the last one
/// ended. `leakwatch reload` (the unit's `ExecReload=`) waits on it so that `systemctl reload`
/// returns only once the new rules are live or rejected.
public struct ReloadStatusFile: Sendable {
    public let path: String

    public init(path: String) { self.path = path }

    public struct Status: Sendable, Equatable {
        public var generation: Int
        public var accepted: Bool
        public var message: String
    }

    /// Reads the status; generation 0 when there is none yet.
    public func read() -> Status {
        guard let bytes = try? FileReading.readFile(path, limit: 1 << 20) else {
            return Status(generation: 0, accepted: true, message: "")
        }
        let text = String(decoding: bytes, as: UTF8.self)
        let parts = text.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count >= 2, let generation = Int(parts[0]) else {
            return Status(generation: 0, accepted: true, message: "")
        }
        let message = parts.count > 2 ? String(parts[2]).trimmingCharacters(in: .newlines) : ""
        return Status(generation: generation, accepted: parts[1] == "accepted", message: message)
    }

    /// Writes the status atomically (temporary file, then rename).
    public func write(_ status: Status) {
        let text = "\(status.generation) \(status.accepted ? "accepted" : "rejected") \(status.message)\n"
        let temporary = path + ".tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o640)
        guard fd >= 0 else { return }
        _ = text.utf8CString.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count - 1) }
        close(fd)
        rename(temporary, path)
    }
}
