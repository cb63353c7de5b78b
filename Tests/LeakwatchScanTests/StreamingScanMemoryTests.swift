import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `leakwatch scan` streams a large text export: its peak memory stays far below the file's
/// size, and it reports the same alerts as reading the file whole.
@Suite(.serialized) struct StreamingScanMemoryTests {
    /// A WhatsApp Android export of about `megabytes` MB: long two-line messages (the debug
    /// parser's speed depends on bytes more than on messages), a postcode every 50 messages.
    static func export(megabytes: Int) -> Data {
        let words = ["the", "briefing", "parade", "room", "shift", "rota", "van", "patrol", "coffee", "road", "report"]
        var block = ""
        for index in 0..<600 {
            let body = (0..<150).map { words[($0 * 7 + index) % words.count] }.joined(separator: " ")
            let postcode = index % 50 == 0 ? " postcode SW1A 1AA" : ""
            let date = String(
                format: "%02d/%02d/2021, %02d:%02d", 1 + index % 28, 1 + index / 28 % 12, index % 24, index % 60)
            block += "\(date) - PC Tom Reyes: \(body)\n\(body)\(postcode)\n"
        }
        let bytes = Data(block.utf8)
        var data = Data()
        data.reserveCapacity(megabytes * 1_000_000 + bytes.count)
        while data.count < megabytes * 1_000_000 { data.append(bytes) }
        return data
    }

    /// Runs `leakwatch arguments...`, output to /dev/null, and returns its exit status and peak
    /// private memory in bytes (`RssAnon`, polled from /proc while it runs): what the scan itself
    /// holds, without the pages of the program and its shared libraries (Tesseract, poppler),
    /// which are file-backed and shared by every process.
    static func peakMemory(_ arguments: [String]) throws -> (status: Int32, peakBytes: Int) {
        let process = Process()
        process.executableURL = CommandLine.executable
        process.arguments = arguments
        process.currentDirectoryURL = CommandLine.repository
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        var peak = 0
        let status = "/proc/\(process.processIdentifier)/status"
        while process.isRunning {
            if let text = try? String(contentsOfFile: status, encoding: .utf8),
                let line = text.split(separator: "\n").first(where: { $0.hasPrefix("RssAnon:") }),
                let kib = Int(line.split(separator: " ").dropFirst().first ?? "")
            {
                peak = max(peak, kib * 1024)
            }
            usleep(20_000)
        }
        process.waitUntilExit()
        return (process.terminationStatus, peak)
    }

    @Test func aLargeExportIsStreamedInBoundedMemory() throws {
        let directory = try TemporaryDirectory()
        let megabytes = 72
        let file = try directory.write("WhatsApp Chat with B Relief.txt", Self.export(megabytes: megabytes))
        let key = directory.path("key")
        let (status, peak) = try Self.peakMemory([
            "scan", "--rules", "rules", "--key", key, "--format", "json", "--workers", "1",
            "--stream-threshold", "1MiB", "--chunk-size", "1MiB", file.path,
        ])
        #expect(status == 1)  // alerts found
        #expect(peak > 0)
        // Reading the file whole would need several times its size; streamed, the peak is the
        // process's own plus a few chunks.
        #expect(peak < 40 << 20, "peak private memory \(peak >> 20) MiB for a \(megabytes) MB export")
    }

    /// An export where nearly every message alerts: about `megabytes` MB of short messages, each
    /// with a postcode.
    static func denseExport(megabytes: Int) -> Data {
        var text = ""
        var index = 0
        while text.utf8.count < megabytes * 1_000_000 {
            let date = String(
                format: "%02d/%02d/2021, %02d:%02d", 1 + index % 28, 1 + index / 28 % 12, index % 24, index % 60)
            text += "\(date) - PC Tom Reyes: call at SW1A 1AA about the van \(index)\n"
            index += 1
        }
        return Data(text.utf8)
    }

    /// A streamed export's alerts wait on disk, as it is scanned and once settled: memory does not
    /// grow with them, and the output is what reading the file whole gives.
    @Test func aDenseExportIsScannedInMemoryThatDoesNotGrowWithItsAlerts() throws {
        let directory = try TemporaryDirectory()
        let megabytes = 2
        let file = try directory.write("WhatsApp Chat with Dense.txt", Self.denseExport(megabytes: megabytes))
        let key = directory.path("key")
        let common = ["scan", "--rules", "rules", "--key", key, "--format", "json", "--workers", "1", file.path]
        let streaming = ["--stream-threshold", "64KiB", "--chunk-size", "256KiB"]
        let (status, peak) = try Self.peakMemory(common + streaming)
        #expect(status == 1)
        // Held in memory, its 28,000 alerts alone took about 100 MiB.
        #expect(peak < 48 << 20, "peak private memory \(peak >> 20) MiB")
        let whole = try CommandLine.run(common)
        let streamed = try CommandLine.run(common + streaming)
        func withoutTimes(_ lines: [String]) -> [String] {
            lines.map { $0.replacingOccurrences(of: #""detected_at":"[^"]*""#, with: "", options: .regularExpression) }
        }
        #expect(whole.lines.count > 25_000)
        #expect(withoutTimes(streamed.lines) == withoutTimes(whole.lines))
    }

    /// Spill files go to `$TMPDIR`; one that cannot be made is an error naming the directory.
    @Test func aSpillDirectoryThatCannotBeUsedIsAClearError() throws {
        let directory = try TemporaryDirectory()
        let file = try directory.write("WhatsApp Chat with Dense.txt", Self.denseExport(megabytes: 1))
        let missing = directory.path("no-such-directory")
        let run = try CommandLine.run(
            [
                "scan", "--rules", "rules", "--key", directory.path("key"), "--format", "json",
                "--stream-threshold", "64KiB", file.path,
            ], environment: ["TMPDIR": missing])
        #expect(run.status == 2)
        #expect(run.stderr.contains(missing), "\(run.stderr)")
        #expect(run.stderr.contains("spill file"), "\(run.stderr)")
        #expect(run.stdout.isEmpty)
    }

    @Test(arguments: ["json", "text"])
    func aLargeExportIsParsedInBoundedMemory(format: String) throws {
        let directory = try TemporaryDirectory()
        let megabytes = 24
        let file = try directory.write("WhatsApp Chat with B Relief.txt", Self.export(megabytes: megabytes))
        let (status, peak) = try Self.peakMemory([
            "parse", "--format", format, "--stream-threshold", "1MiB", "--chunk-size", "1MiB", file.path,
        ])
        #expect(status == 0)
        #expect(peak > 0)
        // Read whole, the parsed messages alone would take several times the file's size.
        #expect(peak < 40 << 20, "peak private memory \(peak >> 20) MiB for a \(megabytes) MB export")
    }

    @Test func streamedAndWholeFileScansReportTheSameAlerts() throws {
        let directory = try TemporaryDirectory()
        let file = try directory.write("chat.txt", Self.export(megabytes: 3))
        let key = directory.path("key")
        let common = ["scan", "--rules", "rules", "--key", key, "--format", "json", file.path]
        let whole = try CommandLine.run(common)
        let streamed = try CommandLine.run(common + ["--stream-threshold", "0", "--chunk-size", "64KiB"])
        func withoutTimes(_ lines: [String]) -> [String] {
            lines.map { $0.replacingOccurrences(of: #""detected_at":"[^"]*""#, with: "", options: .regularExpression) }
        }
        #expect(whole.status == 1)
        #expect(streamed.status == whole.status)
        #expect(!whole.lines.isEmpty)
        #expect(withoutTimes(streamed.lines) == withoutTimes(whole.lines))
    }
}
