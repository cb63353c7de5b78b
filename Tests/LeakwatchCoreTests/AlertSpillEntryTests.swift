import Foundation
import LeakwatchTestSupport
import Testing

@testable import LeakwatchCore

/// Alerts of a streamed scan wait on disk for settlement as `AlertSpillEntry` records: what is
/// read back must be what was written, field for field, and damaged bytes must throw, never crash.
@Suite("Alert spill entries")
struct AlertSpillEntryTests {
    // MARK: Fixtures

    /// An entry with every optional field set and every array non-empty, at every depth (checked by
    /// `fixturesLeaveNothingOut`), around `JSONLineWriterTests.fullAlert`.
    static func fullEntry(_ text: String = "text") -> AlertSpillEntry {
        AlertSpillEntry(
            alert: JSONLineWriterTests.fullAlert(text),
            alerted: AlertedMessage(
                facts: MessageFacts(
                    index: 12, line: 42, id: "m\(text)", sender: "Sender \(text)", minute: 23_456_789,
                    content: MessageContent(hash: 0xDEAD_BEEF_0123_4567, textLength: 37, token: .media), ordinal: 2),
                match: "rule.\(text)|text|0|1"),
            responders: [
                MessageFacts(
                    index: 13, line: 43, id: "r1\(text)", sender: "Bob \(text)", minute: 23_456_790,
                    content: MessageContent(hash: .max, textLength: 3, token: .text), ordinal: 1),
                MessageFacts(
                    index: 14, line: 44, id: text, sender: text, minute: -5,
                    content: MessageContent(hash: 0, textLength: 0, token: .system), ordinal: 0),
            ])
    }

    /// An entry with every optional field absent and every array empty.
    static let emptyEntry = AlertSpillEntry(alert: JSONLineWriterTests.emptyAlert, alerted: nil, responders: [])

    /// Facts with every optional field absent.
    static let bareFacts = MessageFacts(
        index: 0, line: nil, sender: nil, minute: nil, content: MessageContent(hash: 1, textLength: 0, token: .deleted))

    /// Entries as scans of real exports give them: the four phones' exports of the test chat and
    /// the samples, scanned with the shipped rules, each alert with its transcript's facts.
    static let realisticEntries: [AlertSpillEntry] = (try? scanForEntries()) ?? []

    static func scanForEntries() throws -> [AlertSpillEntry] {
        let rules = StreamedTranscriptTests.rules
        let build = RuleSet.build(layers: [
            try FileManager.default.contentsOfDirectory(atPath: rules).filter { !$0.hasSuffix(".md") }.sorted().map {
                RuleFileSource(
                    path: rules + "/" + $0, text: try String(contentsOfFile: rules + "/" + $0, encoding: .utf8))
            }
        ])
        guard let ruleSet = build.ruleSet else { return [] }
        let scanner = ExportScanner(ruleSet: ruleSet, fingerprintKey: Array(repeating: 3, count: 32))
        let samples = URL(fileURLWithPath: rules).deletingLastPathComponent().appendingPathComponent("samples").path
        var files = try FourPhoneChat.Phone.allCases.map { ($0.fileName, try FourPhoneChat.export($0)) }
        for name in try FileManager.default.contentsOfDirectory(atPath: samples).sorted() {
            files.append((name, Array(try Data(contentsOf: URL(fileURLWithPath: samples + "/" + name)))))
        }
        var entries: [AlertSpillEntry] = []
        for (name, bytes) in files {
            let result = scanner.scan(
                bytes, path: "/drop/" + name, fileName: name, scratch: try MatchScratch(),
                detectedAt: "2026-11-29T00:00:00Z", watch: ContentWatch())
            for alert in result.alerts {
                let transcript = result.transcripts.first { $0.alerted[alert.id] != nil }
                entries.append(
                    AlertSpillEntry(
                        alert: alert, alerted: transcript?.alerted[alert.id],
                        responders: (transcript?.responses[alert.id] ?? []).compactMap { transcript?.responders[$0] }))
            }
        }
        return entries
    }

    /// Every entry the tests below take in turn.
    static var sampleEntries: [AlertSpillEntry] {
        var entries = [fullEntry(), emptyEntry]
        var bare = fullEntry()
        bare.alerted?.facts = bareFacts
        bare.responders = [bareFacts]
        entries.append(bare)
        return entries + realisticEntries.prefix(8)
    }

    static func encoded(_ entry: AlertSpillEntry, includingSource: Bool = true) -> [UInt8] {
        var writer = BinaryRecordWriter()
        entry.encode(into: &writer, includingSource: includingSource)
        return writer.bytes
    }

    /// Decodes `bytes` as one entry, and checks that it used them all.
    static func decoded(_ bytes: [UInt8], source: Alert.SourceInfo? = nil) throws(LeakwatchError) -> AlertSpillEntry {
        var reader = BinaryRecordReader(bytes)
        let entry = try AlertSpillEntry.decode(from: &reader, source: source)
        guard reader.isAtEnd else { throw reader.corrupt("\(reader.remainingCount) bytes left after the entry") }
        return entry
    }

    /// Encodes and decodes `entry`, with and without its source, and expects it back.
    static func expectRoundTrip(_ entry: AlertSpillEntry, sourceLocation: Testing.SourceLocation = #_sourceLocation) {
        do {
            let back = try decoded(encoded(entry))
            #expect(back == entry, sourceLocation: sourceLocation)
            let withoutSource = try decoded(encoded(entry, includingSource: false), source: entry.alert.source)
            #expect(withoutSource == entry, sourceLocation: sourceLocation)
            // A source supplied at decode does not replace the one written.
            var other = entry.alert.source
            other.path += "/elsewhere"
            let withOtherSource = try decoded(encoded(entry), source: other)
            #expect(withOtherSource == entry, sourceLocation: sourceLocation)
            // The alert alone.
            var writer = BinaryRecordWriter()
            entry.alert.encode(into: &writer)
            var reader = BinaryRecordReader(writer.bytes)
            let alert = try Alert.decode(from: &reader)
            #expect(alert == entry.alert, sourceLocation: sourceLocation)
            #expect(reader.isAtEnd, sourceLocation: sourceLocation)
        } catch {
            Issue.record(error, sourceLocation: sourceLocation)
        }
    }

    // MARK: Round trips

    @Test func fixturesLeaveNothingOut() {
        #expect(JSONLineWriterTests.absentFields(Self.fullEntry(), path: "entry") == [])
    }

    @Test func realisticEntriesWereFound() {
        let entries = Self.realisticEntries
        #expect(entries.count > 20)
        #expect(entries.contains { $0.alert.responses?.isEmpty == false && !$0.responders.isEmpty })
        #expect(entries.contains { $0.alert.source.entry != nil }, "an alert from inside a zip")
        #expect(entries.allSatisfy { $0.alerted != nil })
    }

    @Test func fullAndEmptyEntriesRoundTrip() {
        Self.expectRoundTrip(Self.fullEntry())
        Self.expectRoundTrip(Self.emptyEntry)
        for entry in Self.sampleEntries { Self.expectRoundTrip(entry) }
    }

    @Test func realisticEntriesRoundTrip() {
        for entry in Self.realisticEntries { Self.expectRoundTrip(entry) }
    }

    @Test("hostile strings in every string field", arguments: JSONLineWriterTests.nastyStrings)
    func nastyString(_ text: String) {
        Self.expectRoundTrip(Self.fullEntry(text))
        var entry = Self.emptyEntry
        entry.alert.schema = text
        entry.alert.match.excerpt = text
        entry.alert.message.sender = text
        entry.alert.exposure = [text]
        Self.expectRoundTrip(entry)
    }

    @Test("each optional field absent alone")
    func eachOptionalAbsentAlone() {
        let edits: [(inout AlertSpillEntry) -> Void] = [
            { $0.alert.schema = "" }, { $0.alert.schema = "leakwatch.alert.v2" },
            { $0.alert.exposure = nil }, { $0.alert.exposure = [] }, { $0.alert.responses = nil },
            { $0.alert.responses = [] }, { $0.alert.rule.tags = [] }, { $0.alert.source.entry = nil },
            { $0.alert.source.chat = nil }, { $0.alert.source.participants = [] }, { $0.alert.message.line = nil },
            { $0.alert.message.id = nil }, { $0.alert.message.sentLocal = nil }, { $0.alert.message.sender = nil },
            { $0.alert.message.key = nil }, { $0.alert.match.model = nil }, { $0.alert.match.model?.features = [] },
            { $0.alert.match.attachment = nil }, { $0.alert.match.ocrConfidence = nil }, { $0.alert.match.page = nil },
            { $0.alert.match.knownMedia = nil }, { $0.alert.match.redacted = false },
            { $0.alert.responses = [Alert.Response(sender: nil, kind: .neither, line: nil, key: nil)] },
            { $0.alerted = nil }, { $0.alerted?.facts.line = nil }, { $0.alerted?.facts.id = nil },
            { $0.alerted?.facts.sender = nil }, { $0.alerted?.facts.minute = nil }, { $0.alerted?.match = "" },
            { $0.responders = [] }, { $0.responders[0].line = nil }, { $0.responders[0].id = nil },
            { $0.responders[0].sender = nil }, { $0.responders[0].minute = nil },
        ]
        for edit in edits {
            var entry = Self.fullEntry()
            edit(&entry)
            Self.expectRoundTrip(entry)
        }
    }

    @Test("every response kind and content token")
    func everyKind() {
        for kind in ResponseKind.allCases {
            var entry = Self.fullEntry()
            entry.alert.responses = [
                Alert.Response(sender: nil, kind: kind, line: nil), Alert.Response(sender: "x", kind: kind, line: 1),
            ]
            Self.expectRoundTrip(entry)
        }
        for token in [MessageContent.Token.text, .media, .deleted, .location, .contact, .poll, .system] {
            var entry = Self.fullEntry()
            entry.alerted?.facts.content.token = token
            entry.responders[1].content.token = token
            Self.expectRoundTrip(entry)
        }
    }

    @Test(
        "integers in every integer field",
        arguments: [
            0, 1, -1, 63, -64, 64, -65, 127, 128, 300, -300, 12345, Int(Int32.max), Int(Int32.min), Int.max, Int.min,
            Int.min + 1, Int.max - 1,
        ])
    func integers(_ value: Int) {
        var entry = Self.fullEntry()
        entry.alert.message.line = value
        entry.alert.match.ocrConfidence = value
        entry.alert.match.page = value
        entry.alert.match.knownMedia?.distance = value
        entry.alert.match.knownMedia?.threshold = value
        entry.alert.match.knownMedia?.line = value
        entry.alert.responses?[0].line = value
        entry.alerted?.facts.index = value
        entry.alerted?.facts.line = value
        entry.alerted?.facts.minute = value
        entry.alerted?.facts.content.textLength = value
        entry.alerted?.facts.ordinal = value
        entry.responders[0].index = value
        entry.responders[0].minute = value
        entry.responders[0].ordinal = value
        entry.responders[0].content.hash = UInt64(UInt(bitPattern: value))
        Self.expectRoundTrip(entry)
    }

    @Test(
        "model probabilities come back bit for bit",
        arguments: [
            0, -0.0, 1, 0.5, 0.873, 0.1 + 0.2, 1.0 / 3, -1.5, 1e300, -1e-300, Double.leastNonzeroMagnitude,
            -Double.leastNonzeroMagnitude, Double.leastNormalMagnitude, Double.greatestFiniteMagnitude, Double.ulpOfOne,
            .infinity, -.infinity, .nan, -.nan, .signalingNaN, Double(nan: 0x1234, signaling: false),
            Double(bitPattern: 0x7FF0_0000_0000_0001),
        ])
    func probabilities(_ probability: Double) throws {
        var entry = Self.fullEntry()
        entry.alert.match.model?.probability = probability
        for includingSource in [true, false] {
            var back = try Self.decoded(
                Self.encoded(entry, includingSource: includingSource), source: entry.alert.source)
            #expect(back.alert.match.model?.probability.bitPattern == probability.bitPattern)
            // NaN is unequal to itself: compare the rest with the probability set aside.
            back.alert.match.model?.probability = 0
            var expected = entry
            expected.alert.match.model?.probability = 0
            #expect(back == expected)
        }
    }

    @Test func anAlertWrittenWithoutItsSourceNeedsOne() {
        let bytes = Self.encoded(Self.fullEntry(), includingSource: false)
        let error = #expect(throws: LeakwatchError.self) { try Self.decoded(bytes, source: nil) }
        #expect(error?.code == .spillCorrupt)
        #expect(error?.message.contains("source") == true)
        // Leaving the source out saves its bytes.
        #expect(bytes.count < Self.encoded(Self.fullEntry()).count - 40)
    }

    /// The codec writes each stored property by hand: a property added to one of these types must be
    /// added to the codec (and to the fixtures above, which set every field) before this passes.
    @Test func codecKnowsEveryStoredProperty() throws {
        let entry = Self.fullEntry()
        let alert = entry.alert
        let facts = try #require(entry.alerted?.facts)
        let known: [(type: String, value: Any, properties: [String])] = [
            ("AlertSpillEntry", entry, ["alert", "alerted", "responders"]),
            (
                "Alert", alert,
                ["schema", "id", "detectedAt", "rule", "source", "message", "match", "exposure", "responses"]
            ),
            ("Alert.RuleInfo", alert.rule, ["id", "title", "category", "severity", "revision", "tags"]),
            ("Alert.SourceInfo", alert.source, ["path", "sha256", "format", "entry", "chat", "participants"]),
            ("Alert.MessageInfo", alert.message, ["line", "id", "sent", "sentLocal", "sender", "kind", "key"]),
            ("Alert.Response", try #require(alert.responses?.first), ["sender", "kind", "line", "key"]),
            (
                "Alert.MatchInfo", alert.match,
                [
                    "field", "excerpt", "fingerprint", "redacted", "confidence", "model", "attachment", "ocrConfidence",
                    "page", "knownMedia",
                ]
            ),
            ("Alert.ModelInfo", try #require(alert.match.model), ["name", "probability", "features"]),
            (
                "Alert.KnownMediaInfo", try #require(alert.match.knownMedia),
                ["algorithm", "label", "distance", "threshold", "list", "line", "hash"]
            ),
            ("AlertedMessage", try #require(entry.alerted), ["facts", "match"]),
            ("MessageFacts", facts, ["index", "line", "id", "sender", "minute", "content", "ordinal"]),
            ("MessageContent", facts.content, ["hash", "textLength", "token"]),
        ]
        for (type, value, properties) in known {
            let actual = Mirror(reflecting: value).children.map { $0.label ?? "?" }
            #expect(
                actual == properties,
                """
                \(type) has the stored properties \(actual), but the spill codec writes \(properties): \
                encode and decode the new ones in Alert+BinaryRecord.swift or MessageFacts+BinaryRecord.swift, \
                set them in AlertSpillEntryTests.fullEntry, then list them here
                """)
        }
        #expect(ResponseKind.allCases.count == 3, "a new response kind needs its byte in ResponseKind.spillByte")
    }

    // MARK: Records back to back

    @Test func recordsBackToBackDecodeInOrder() throws {
        let entries = Self.sampleEntries
        let source = Self.fullEntry().alert.source
        // Framed, as the spill file stores them, with and without their source.
        var writer = BinaryRecordWriter()
        for (index, entry) in entries.enumerated() {
            writer.writeFramed { entry.encode(into: &$0, includingSource: index % 2 == 0) }
        }
        var reader = BinaryRecordReader(writer.bytes)
        for (index, entry) in entries.enumerated() {
            let size = try #require(try reader.nextFrameSize())
            #expect(size <= reader.remainingCount)
            let before = reader.remainingCount
            let back = try reader.readFramed { reader throws(LeakwatchError) in
                try AlertSpillEntry.decode(from: &reader, source: index % 2 == 0 ? nil : entry.alert.source)
            }
            #expect(back == entry)
            #expect(before - reader.remainingCount == size)
        }
        #expect(reader.isAtEnd)
        #expect(try reader.nextFrameSize() == nil)

        // Unframed, one after the other.
        var plain = BinaryRecordWriter()
        for entry in entries { entry.encode(into: &plain, includingSource: false) }
        plain.writeInt(-7)
        var plainReader = BinaryRecordReader(plain.bytes)
        for entry in entries {
            var expected = entry
            expected.alert.source = source
            #expect(try AlertSpillEntry.decode(from: &plainReader, source: source) == expected)
        }
        #expect(try plainReader.readInt() == -7)
        #expect(plainReader.isAtEnd)
    }

    @Test func aFrameIsFoundOnlyWhenItsLengthIsAllThere() throws {
        var writer = BinaryRecordWriter()
        writer.writeFramed {
            Self.fullEntry(String(repeating: "x", count: 200)).encode(into: &$0, includingSource: true)
        }
        writer.writeFramed { _ in }
        let bytes = writer.bytes
        let first = try #require(try BinaryRecordReader(bytes).nextFrameSize())
        #expect(first > 255)
        #expect(bytes[0] & 0x80 != 0 && bytes[1] & 0x80 == 0, "a two-byte length")
        #expect(first + 1 == bytes.count)
        for count in 0...bytes.count {
            let size = try BinaryRecordReader(bytes[..<count]).nextFrameSize()
            #expect(size == (count < 2 ? nil : first))
        }
        var reader = BinaryRecordReader(bytes[first...])
        #expect(try reader.nextFrameSize() == 1)
        try reader.readFramed { reader throws(LeakwatchError) in #expect(reader.isAtEnd) }
        #expect(reader.isAtEnd)
    }

    // MARK: Primitives

    @Test(
        "integers are zig-zag varints",
        arguments: [
            (0, [0x00]), (-1, [0x01]), (1, [0x02]), (63, [0x7E]), (-64, [0x7F]), (64, [0x80, 0x01]),
            (300, [0xD8, 0x04]), (Int.max, [0xFE] + Array(repeating: 0xFF, count: 8) + [0x01]),
            (Int.min, Array(repeating: 0xFF, count: 9) + [0x01]),
        ] as [(Int, [UInt8])])
    func integerBytes(_ value: Int, _ bytes: [UInt8]) throws {
        var writer = BinaryRecordWriter()
        writer.writeInt(value)
        #expect(writer.bytes == bytes)
        var reader = BinaryRecordReader(bytes)
        #expect(try reader.readInt() == value)
        #expect(reader.isAtEnd)
    }

    @Test func otherPrimitivesBytes() throws {
        var writer = BinaryRecordWriter()
        writer.writeUInt64(0x0102_0304_0506_0708)
        writer.writeDouble(-0.0)
        writer.writeBool(true)
        writer.writeString("é")
        writer.writeOptionalString(nil)
        writer.writeOptionalInt(-2)
        writer.writeStrings(["a", ""])
        writer.writeVarUInt(.max)
        #expect(
            writer.bytes
                == [8, 7, 6, 5, 4, 3, 2, 1, 0, 0, 0, 0, 0, 0, 0, 0x80, 1, 2, 0xC3, 0xA9, 0, 1, 3, 2, 1, 0x61, 0]
                + Array(repeating: 0xFF, count: 9) + [0x01])
        var reader = BinaryRecordReader(writer.bytes)
        #expect(try reader.readUInt64() == 0x0102_0304_0506_0708)
        #expect(try reader.readDouble().bitPattern == (-0.0).bitPattern)
        #expect(try reader.readBool())
        #expect(try reader.readString() == "é")
        #expect(try reader.readOptionalString() == nil)
        #expect(try reader.readOptionalInt() == -2)
        #expect(try reader.readStrings() == ["a", ""])
        #expect(try reader.readVarUInt() == .max)
        #expect(reader.isAtEnd)
    }

    /// Bytes that are not what a writer writes, and the read that must refuse them.
    struct Hostile: Sendable, CustomTestStringConvertible {
        var testDescription: String
        var bytes: [UInt8]
        var read: @Sendable (inout BinaryRecordReader) throws -> Void

        init(
            _ name: String, _ bytes: [UInt8],
            _ read: @escaping @Sendable (inout BinaryRecordReader) throws -> Void
        ) {
            testDescription = name
            self.bytes = bytes
            self.read = read
        }

        static func varUInt(_ value: UInt64) -> [UInt8] {
            var writer = BinaryRecordWriter()
            writer.writeVarUInt(value)
            return writer.bytes
        }
    }

    static let hostile: [Hostile] = [
        Hostile("nothing", []) { _ = try $0.readByte() },
        Hostile("a varint cut short", [0x80, 0x80]) { _ = try $0.readInt() },
        Hostile("a varint of 11 bytes", Array(repeating: 0xFF, count: 10) + [0x01]) { _ = try $0.readInt() },
        Hostile("a varint of 65 bits", Array(repeating: 0xFF, count: 9) + [0x02]) { _ = try $0.readVarUInt() },
        Hostile("a 64-bit value cut short", [1, 2, 3, 4, 5, 6, 7]) { _ = try $0.readUInt64() },
        Hostile("a bool of 2", [2]) { _ = try $0.readBool() },
        Hostile("a presence byte of 2", [2, 0]) { _ = try $0.readOptionalString() },
        Hostile("a presence byte of 255", [255, 0]) { _ = try $0.readOptionalInt() },
        Hostile("a string one byte past the end", [4, 0x61, 0x62, 0x63]) { _ = try $0.readString() },
        Hostile("a string of 2^62 bytes", Hostile.varUInt(1 << 62) + [0x61]) { _ = try $0.readString() },
        Hostile("a string of 2^64-1 bytes", Hostile.varUInt(.max) + [0x61]) { _ = try $0.readString() },
        Hostile("2^40 strings", Hostile.varUInt(1 << 40) + [0, 0]) { _ = try $0.readStrings() },
        Hostile("one string too many", [3, 0, 0]) { _ = try $0.readStrings() },
        Hostile("UTF-8 cut short", [1, 0xC3]) { _ = try $0.readString() },
        Hostile("a lone continuation byte", [1, 0x80]) { _ = try $0.readString() },
        Hostile("a bad second byte", [2, 0xC3, 0x28]) { _ = try $0.readString() },
        Hostile("an overlong slash", [2, 0xC0, 0xAF]) { _ = try $0.readString() },
        Hostile("an encoded surrogate", [3, 0xED, 0xA0, 0x80]) { _ = try $0.readString() },
        Hostile("past U+10FFFF", [4, 0xF4, 0x90, 0x80, 0x80]) { _ = try $0.readString() },
        Hostile("a four-byte sequence cut to three", [3, 0xF0, 0x9F, 0x98]) { _ = try $0.readString() },
        Hostile("0xFF", [3, 0x61, 0xFF, 0x62]) { _ = try $0.readString() },
        Hostile("a frame past the end", [5, 1, 2]) { try $0.readFramed { _ throws(LeakwatchError) in } },
        Hostile("a frame with bytes left over", [2, 0, 0]) {
            _ = try $0.readFramed { reader throws(LeakwatchError) in try reader.readInt() }
        },
        Hostile("a read past the end of its frame", [1, 0x80, 0x01]) {
            _ = try $0.readFramed { reader throws(LeakwatchError) in try reader.readInt() }
        },
        Hostile("a frame length of 65 bits", Array(repeating: 0xFF, count: 9) + [0x02]) {
            _ = try $0.nextFrameSize()
        },
        Hostile("an entry of nothing", []) { _ = try AlertSpillEntry.decode(from: &$0, source: nil) },
    ]

    @Test("damaged bytes throw spill-corrupt", arguments: hostile)
    func damagedBytesThrow(_ hostile: Hostile) {
        var reader = BinaryRecordReader(hostile.bytes)
        let error = #expect(throws: LeakwatchError.self) { try hostile.read(&reader) }
        #expect(error?.code == .spillCorrupt)
    }

    /// The byte offsets where two encodings differ.
    static func differences(_ a: [UInt8], _ b: [UInt8]) -> [Int] {
        zip(a, b).enumerated().filter { $0.element.0 != $0.element.1 }.map(\.offset)
    }

    @Test func unknownEnumBytesAndBadBoolsThrow() throws {
        // Find each byte by what changes when the value does, and put there what no value writes.
        var other = Self.fullEntry()
        other.alert.responses?[0].kind = .neither
        let kind = Self.differences(Self.encoded(Self.fullEntry()), Self.encoded(other))
        other = Self.fullEntry()
        other.alerted?.facts.content.token = .text
        let token = Self.differences(Self.encoded(Self.fullEntry()), Self.encoded(other))
        other = Self.fullEntry()
        other.alert.match.redacted = false
        let redacted = Self.differences(Self.encoded(Self.fullEntry()), Self.encoded(other))
        #expect(kind.count == 1 && token.count == 1 && redacted.count == 1)
        for (offset, values) in [(kind, [3, 4, 0x80, 0xFF]), (token, [0, 8, 0xFF]), (redacted, [2, 0xFF])] {
            for value in values {
                var bytes = Self.encoded(Self.fullEntry())
                bytes[try #require(offset.first)] = UInt8(value)
                let error = #expect(throws: LeakwatchError.self) { try Self.decoded(bytes) }
                #expect(error?.code == .spillCorrupt)
            }
        }
    }

    // MARK: Hostile input

    @Test func everyTruncationThrows() {
        let source = Self.fullEntry().alert.source
        for entry in Self.sampleEntries {
            for includingSource in [true, false] {
                let bytes = Self.encoded(entry, includingSource: includingSource)
                for count in 0..<bytes.count {
                    var reader = BinaryRecordReader(bytes[..<count])
                    #expect(throws: LeakwatchError.self, "\(count) of \(bytes.count) bytes") {
                        try AlertSpillEntry.decode(from: &reader, source: source)
                    }
                }
                var writer = BinaryRecordWriter()
                writer.writeFramed { entry.encode(into: &$0, includingSource: includingSource) }
                for count in 0..<writer.bytes.count {
                    var reader = BinaryRecordReader(writer.bytes[..<count])
                    #expect(throws: LeakwatchError.self, "framed, \(count) of \(writer.bytes.count) bytes") {
                        try reader.readFramed { reader throws(LeakwatchError) in
                            try AlertSpillEntry.decode(from: &reader, source: source)
                        }
                    }
                }
            }
        }
    }

    /// Decodes `bytes` as an entry and as a framed entry, with and without a source: it may throw
    /// (a `spill-corrupt` error) or give an entry, which then encodes and decodes again.
    static func decodeAnything(_ bytes: [UInt8]) -> Int {
        var successes = 0
        for source in [nil, fullEntry().alert.source] {
            var reader = BinaryRecordReader(bytes)
            do {
                let entry = try AlertSpillEntry.decode(from: &reader, source: source)
                successes += 1
                #expect(throws: Never.self) { _ = try decoded(encoded(entry)) }
            } catch {
                #expect(error.code == .spillCorrupt)
            }
            var framed = BinaryRecordReader(bytes)
            do {
                _ = try framed.nextFrameSize()
                _ = try framed.readFramed { reader throws(LeakwatchError) in
                    try AlertSpillEntry.decode(from: &reader, source: source)
                }
            } catch {
                #expect(error.code == .spillCorrupt)
            }
        }
        return successes
    }

    @Test func randomBytesNeverCrash() {
        var generator = SplitMix(seed: 0x5EED_0F_5011)
        for _ in 0..<4000 {
            let count = Int.random(in: 0..<400, using: &generator)
            // Small bytes are more often valid lengths, counts and presence bytes.
            let bytes = (0..<count).map { _ in
                Bool.random(using: &generator)
                    ? UInt8.random(in: 0...3, using: &generator) : UInt8.random(in: 0...255, using: &generator)
            }
            _ = Self.decodeAnything(bytes)
        }
    }

    @Test func damagedEncodingsNeverCrash() {
        var generator = SplitMix(seed: 42)
        let originals = Self.sampleEntries.prefix(4).flatMap {
            [Self.encoded($0), Self.encoded($0, includingSource: false)]
        }
        var decoded = 0
        for _ in 0..<4000 {
            var bytes = originals.randomElement(using: &generator)!
            for _ in 0..<Int.random(in: 1...3, using: &generator) {
                let index = Int.random(in: 0..<bytes.count, using: &generator)
                switch Int.random(in: 0..<4, using: &generator) {
                case 0: bytes[index] = UInt8.random(in: 0...255, using: &generator)
                case 1: bytes[index] ^= 1 << UInt8.random(in: 0..<8, using: &generator)
                case 2: bytes.remove(at: index)
                default: bytes.insert(UInt8.random(in: 0...255, using: &generator), at: index)
                }
                if bytes.isEmpty { break }
            }
            decoded += Self.decodeAnything(bytes)
        }
        #expect(decoded > 0, "some damage leaves a decodable entry (a changed letter)")
    }
}
