import Foundation
import LeakwatchMedia
import Testing

#if canImport(Glibc)
    import Glibc
#endif

let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

/// The built `leakwatch` binary (the media worker is leakwatch re-executed).
var leakwatchBinary: String {
    if let path = ProcessInfo.processInfo.environment["LEAKWATCH_BIN"] { return path }
    for configuration in ["debug", "release"] {
        let path = repository.appendingPathComponent(".build/\(configuration)/leakwatch").path
        if FileManager.default.isExecutableFile(atPath: path) { return path }
    }
    return repository.appendingPathComponent(".build/debug/leakwatch").path
}

/// Media settings for tests: workers are the built leakwatch binary.
func testMediaSettings() -> MediaSettings {
    var settings = MediaSettings()
    settings.executable = leakwatchBinary
    settings.knownMediaDirectories = []
    return settings
}

/// A temporary directory removed at the end of the test.
final class TemporaryDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("leakwatch-media-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    @discardableResult
    func write(_ name: String, _ bytes: [UInt8]) throws -> String {
        let path = path(name)
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    func read(_ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: URL(fileURLWithPath: path(name))))
    }
}

struct CommandResult {
    var status: Int32
    var stdout: String
    var stderr: String
    var lines: [String] { stdout.split(separator: "\n").map(String.init) }

    /// The JSON objects printed (one per line).
    var objects: [[String: Any]] {
        lines.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }
    var alerts: [[String: Any]] { objects.filter { $0["schema"] as? String == "leakwatch.alert.v1" } }
    var records: [[String: Any]] { objects.filter { $0["schema"] as? String == "leakwatch.record.v1" } }
}

/// Runs a program to its end, reading both pipes so that neither fills.
@discardableResult
func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) throws -> CommandResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    var env = ProcessInfo.processInfo.environment
    env["NO_COLOR"] = "1"
    for (key, value) in environment { env[key] = value }
    process.environment = env
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = FileHandle.nullDevice
    try process.run()
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
    return CommandResult(
        status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
        stderr: String(decoding: errData, as: UTF8.self))
}

/// `leakwatch ARGUMENTS` with the shipped rules.
func leakwatch(_ arguments: [String]) throws -> CommandResult {
    try run(leakwatchBinary, arguments)
}

/// ImageMagick's `convert`, which the Makefile installs for the tests.
func convert(_ arguments: [String]) throws {
    let result = try run("/usr/bin/convert", arguments)
    try #require(result.status == 0, "convert \(arguments.joined(separator: " ")): \(result.stderr)")
}
