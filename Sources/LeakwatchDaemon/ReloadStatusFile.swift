import Foundation
import LeakwatchCore
import LeakwatchScan
import Posix

/// `reload.status` in the state directory: the number of reloads finished and how the last one
/// ended. `leakwatch reload` (the unit's `ExecReload=`) waits on it so that `systemctl reload`
/// returns only once the new rules are live or rejected.
public struct ReloadStatusFile: Sendable {
    public let path: SystemPath

    public init(path: SystemPath) { self.path = path }

    public init(stateDirectory: String) {
        self.init(path: SystemPath(stateDirectory).appending("reload.status"))
    }

    public struct Status: Sendable, Equatable {
        public var generation: Int
        public var accepted: Bool
        public var message: String

        public init(generation: Int, accepted: Bool, message: String) {
            self.generation = generation
            self.accepted = accepted
            self.message = message
        }
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

    /// Writes the status all or nothing and durably (temporary file, `fsync`, rename, directory
    /// `fsync`); throws naming the file and the reason.
    public func write(_ status: Status) throws(LeakwatchError) {
        let text = "\(status.generation) \(status.accepted ? "accepted" : "rejected") \(status.message)\n"
        do throws(PosixError) {
            try Posix.durableReplace(path, with: Array(text.utf8), permissions: 0o640)
        } catch {
            throw LeakwatchError(.io, "cannot write the reload status", error)
        }
    }
}
