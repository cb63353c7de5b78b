import Foundation
import Testing

@testable import LeakwatchCore

/// A streamed scan must give exactly what the whole-file scan gives for the same bytes.
@Suite struct StreamingExportScannerTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let key: [UInt8] = Array(repeating: 3, count: 32)

    /// The shipped rules and reply phrases, plus a text rule with a context window, so windows
    /// and replies cross chunk bounds.
    static func rules() throws -> RuleSet {
        let directory = repository.appendingPathComponent("rules")
        var sources: [RuleFileSource] = []
        for name in try FileManager.default.contentsOfDirectory(atPath: directory.path)
        where name.hasSuffix(".yml") || name.hasSuffix(".model") || name.hasSuffix(".phrases") {
            let text = try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
            sources.append(RuleFileSource(path: name, text: text))
        }
        let extra = rule(
            id: "test.context-code", pattern: #"\bcode \d{4}\b"#,
            extra: "  context:\n    pattern: 'secret'\n    window: 3",
            match: "secret code 1234")
        sources.append(RuleFileSource(path: "zz-test.yml", text: extra))
        let build = RuleSet.build(layers: [sources])
        return try #require(build.ruleSet, "\(build.problems)")
    }

    /// Inputs in several layouts: the samples, multi-line messages, context across messages,
    /// unplaced lines, CRLF, a BOM, invalid UTF-8, no final line break, plain text.
    static let inputs: [(name: String, bytes: [UInt8])] = {
        var inputs: [(String, [UInt8])] = []
        for name in ["whatsapp-ios-briefing.txt", "whatsapp-android-shift.txt", "notes-plain.txt"] {
            let url = repository.appendingPathComponent("samples").appendingPathComponent(name)
            inputs.append((name, (try? Array(Data(contentsOf: url))) ?? []))
        }
        var android = ""
        for index in 0..<40 {
            let day = 1 + index % 9
            android += "0\(day)/11/2021, 10:\(10 + index) - Alice Smith: line one of \(index)\n"
            if index % 3 == 0 { android += "second line with a secret\nthird line é ü 🚓 code \(1000 + index)\n" }
            if index % 7 == 0 { android += "\n" }
            if index % 5 == 0 {
                android +=
                    "0\(day)/11/2021, 10:\(10 + index) - Bob Jones: IMG-2021110\(day)-WA00\(10 + index).jpg (file attached)\nscene cordon\n"
            }
        }
        inputs.append(("android-multiline", Array(android.utf8)))
        inputs.append(
            ("android-crlf-bom", [0xEF, 0xBB, 0xBF] + Array(android.replacingOccurrences(of: "\n", with: "\r\n").utf8)))
        var ios = "preamble line that is not a header\nanother one\n"
        for index in 0..<30 {
            ios += "[\(10 + index % 12)/03/2022, 09:\(10 + index):00] Carol: message \(index) about SW1A 1AA\n"
            if index % 4 == 1 { ios += "continued: the secret is near\n  indented code \(2000 + index)\n" }
        }
        inputs.append(("ios-unplaced-no-final-break", Array(ios.dropLast().utf8)))
        var invalid = Array(android.utf8)
        for position in stride(from: 37, to: invalid.count, by: 211) { invalid[position] = 0xFF }
        invalid.insert(contentsOf: [0xE2, 0x82], at: 300)  // a truncated sequence
        inputs.append(("android-invalid-utf8", invalid))
        inputs.append(("plain-lines", Array("one secret\n\ncode 4321 here\r\nSW1A 1AA\nlast".utf8)))
        inputs.append(("empty", []))
        return inputs
    }()

    @Test(arguments: inputs.indices, [1, 7, 64, 300, 1 << 20])
    func streamedScanEqualsWholeFileScan(input: Int, chunkBytes: Int) throws {
        let (name, bytes) = Self.inputs[input]
        let scanner = ExportScanner(ruleSet: try Self.rules(), fingerprintKey: Self.key)
        let scratch = try MatchScratch()
        // With a watch, so the transcripts (alerted messages, replies) are compared too.
        let watch = ContentWatch(hashes: [
            MessageContent(of: Message(sent: "", sender: nil, text: "ok", kind: .text)).hash
        ])
        let whole = scanner.scan(bytes, path: name, fileName: name, scratch: scratch, detectedAt: "t", watch: watch)
        var source = MemoryByteSource(bytes)
        let streamed = StreamingExportScanner(scanner: scanner, chunkBytes: chunkBytes).scan(
            &source, path: name, fileName: name, scratch: scratch, detectedAt: "t", watch: watch)
        #expect(streamed.failure == nil)
        #expect(streamed.file == whole.file)
        #expect(streamed.exports == whole.exports)
        #expect(streamed.alerts == whole.alerts)
        #expect(streamed.records == whole.records)
        #expect(streamed.incomplete == whole.incomplete)
        #expect(streamed.transcripts == whole.transcripts)
    }

    /// Matching each chunk on another thread while the next is parsed changes nothing.
    @Test(arguments: inputs.indices, [7, 300])
    func anOverlappedStreamedScanEqualsTheWholeFileScan(input: Int, chunkBytes: Int) throws {
        let (name, bytes) = Self.inputs[input]
        var scanner = ExportScanner(ruleSet: try Self.rules(), fingerprintKey: Self.key)
        let scratch = try MatchScratch()
        let watch = ContentWatch()
        let whole = scanner.scan(bytes, path: name, fileName: name, scratch: scratch, detectedAt: "t", watch: watch)
        scanner.overlapsMatching = true
        scanner.chunkBytes = chunkBytes
        var source = MemoryByteSource(bytes)
        let streamed = StreamingExportScanner(scanner: scanner, chunkBytes: chunkBytes).scan(
            &source, path: name, fileName: name, scratch: scratch, detectedAt: "t", watch: watch)
        let wholeInChunks = scanner.scan(
            bytes, path: name, fileName: name, scratch: scratch, detectedAt: "t", watch: watch)
        for overlapped in [streamed, wholeInChunks] {
            #expect(overlapped.failure == nil)
            #expect(overlapped.exports == whole.exports)
            #expect(overlapped.alerts == whole.alerts)
            #expect(overlapped.transcripts == whole.transcripts)
            #expect(overlapped.records == whole.records)
            #expect(overlapped.incomplete == whole.incomplete)
        }
    }

    @Test func theInputsExerciseWhatTheyShould() throws {
        let scanner = ExportScanner(ruleSet: try Self.rules(), fingerprintKey: Self.key)
        let scratch = try MatchScratch()
        func scan(_ name: String) -> ScanResult {
            let bytes = Self.inputs.first { $0.name == name }?.bytes ?? []
            return scanner.scan(bytes, path: name, fileName: name, scratch: scratch, detectedAt: "t")
        }
        let multiline = scan("android-multiline")
        #expect(multiline.alerts.contains { $0.rule.id == "test.context-code" })
        #expect(multiline.alerts.contains { $0.rule.id.hasPrefix("crime-scene") })
        #expect(scan("whatsapp-ios-briefing.txt").alerts.contains { $0.responses?.isEmpty == false })
        #expect(scan("android-invalid-utf8").records.contains { $0.code == "invalid-utf8" })
        #expect(scan("ios-unplaced-no-final-break").records.contains { $0.code == "unplaced-lines" })
    }

    @Test func zipAndJSONAreReadWholeWithinTheLimit() throws {
        let scanner = ExportScanner(ruleSet: try Self.rules(), fingerprintKey: Self.key)
        let json = Array(#"  {"name": "x", "type": "personal_chat", "id": 1, "messages": []}"#.utf8)
        var source = MemoryByteSource(json)
        let streaming = StreamingExportScanner(scanner: scanner, chunkBytes: 4)
        let streamed = streaming.scan(
            &source, path: "r.json", fileName: "r.json", scratch: try MatchScratch(), detectedAt: "t")
        let whole = scanner.scan(json, path: "r.json", fileName: "r.json", scratch: try MatchScratch(), detectedAt: "t")
        #expect(streamed.exports == whole.exports)
        #expect(streamed.exports.first?.format == whole.exports.first?.format)
        var limited = MemoryByteSource(json)
        let refused = streaming.scan(
            &limited, path: "r.json", fileName: "r.json", scratch: try MatchScratch(), detectedAt: "t",
            wholeFileLimit: 10)
        #expect(refused.failure?.code == .tooLarge)
    }

    /// An image or PDF on its own is read whole, as `ExportParsing` takes it (one `media` export),
    /// not streamed as lines of text.
    @Test func anImageOrPDFIsScannedAsWhenReadWhole() throws {
        let scanner = ExportScanner(ruleSet: try Self.rules(), fingerprintKey: Self.key)
        var pdf = Array("%PDF-1.7\n".utf8)
        for index in 0..<200 {
            pdf += Array("\(index) 0 obj << /Length 44 >> stream secret code 1234 endstream\n".utf8)
        }
        var source = MemoryByteSource(pdf)
        let streamed = StreamingExportScanner(scanner: scanner, chunkBytes: 64).scan(
            &source, path: "scan.pdf", fileName: "scan.pdf", scratch: try MatchScratch(), detectedAt: "t")
        let whole = scanner.scan(
            pdf, path: "scan.pdf", fileName: "scan.pdf", scratch: try MatchScratch(), detectedAt: "t")
        #expect(whole.exports.map(\.format) == ["media"])
        #expect(streamed.failure == nil)
        #expect(streamed.exports == whole.exports)
        #expect(streamed.alerts == whole.alerts)
        #expect(streamed.records == whole.records)
    }

    /// Overlapped too: matches queued behind the one that ran out of time do not run.
    @Test(arguments: [false, true])
    func theTimeBudgetStillAppliesAndIsRecorded(overlapped: Bool) throws {
        let bytes = try #require(Self.inputs.first { $0.name == "android-multiline" }).bytes
        var scanner = ExportScanner(
            ruleSet: try Self.rules(), budget: ScanBudget(time: .nanoseconds(1)), fingerprintKey: Self.key)
        scanner.overlapsMatching = overlapped
        var source = MemoryByteSource(bytes)
        let streamed = StreamingExportScanner(scanner: scanner, chunkBytes: 100).scan(
            &source, path: "chat.txt", fileName: "chat.txt", scratch: try MatchScratch(), detectedAt: "t")
        #expect(streamed.incomplete)
        #expect(streamed.records.contains { $0.kind == .scanIncomplete })
        // Parsing goes on: the summary still counts every message.
        let whole = scanner.scan(
            bytes, path: "chat.txt", fileName: "chat.txt", scratch: try MatchScratch(), detectedAt: "t")
        #expect(streamed.exports == whole.exports)
    }
}
