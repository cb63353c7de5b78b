import Foundation
import Testing

/// Runs the built `leakwatch` executable, as a user would.
enum CommandLine {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// `$LEAKWATCH_BIN`, else the debug or release build in `.build`.
    static var executable: URL {
        if let path = ProcessInfo.processInfo.environment["LEAKWATCH_BIN"] { return URL(fileURLWithPath: path) }
        for configuration in ["debug", "release"] {
            let url = repository.appendingPathComponent(".build/\(configuration)/leakwatch")
            if FileManager.default.isExecutableFile(atPath: url.path) { return url }
        }
        return repository.appendingPathComponent(".build/debug/leakwatch")
    }

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
        var lines: [String] { stdout.split(separator: "\n").map(String.init) }
    }

    /// Runs `leakwatch arguments...` in `directory` and collects its output. With
    /// `denyWriteExecute`, the process runs under `prctl(PR_SET_MDWE)`, as systemd's
    /// `MemoryDenyWriteExecute=yes` would make it: PCRE2's JIT is refused.
    static func run(
        _ arguments: [String], in directory: URL? = nil, denyWriteExecute: Bool = false,
        environment extra: [String: String] = [:]
    ) throws -> Result {
        let process = Process()
        if denyWriteExecute {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments =
                [
                    "python3", "-c",
                    "import ctypes, os, sys\n"
                        + "if ctypes.CDLL(None).prctl(65, 1, 0, 0, 0) != 0: sys.exit(77)\n"
                        + "os.execv(sys.argv[1], sys.argv[1:])",
                    executable.path,
                ] + arguments
        } else {
            process.executableURL = executable
            process.arguments = arguments
        }
        process.currentDirectoryURL = directory ?? repository
        var environment = ProcessInfo.processInfo.environment
        environment["NO_COLOR"] = "1"
        environment.merge(extra) { $1 }
        process.environment = environment
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        // Read both pipes to the end before waiting, so a full pipe never blocks the child.
        let group = DispatchGroup()
        nonisolated(unsafe) var errData = Data()
        group.enter()
        DispatchQueue.global().async {
            errData = err.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        return Result(
            status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
            stderr: String(decoding: errData, as: UTF8.self))
    }
}

/// A temporary directory removed at the end of the test.
final class TemporaryDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("leakwatch-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    @discardableResult
    func write(_ name: String, _ text: String) throws -> URL {
        try write(name, Data(text.utf8))
    }

    @discardableResult
    func write(_ name: String, _ data: Data) throws -> URL {
        let file = url.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try data.write(to: file)
        return file
    }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }
}
