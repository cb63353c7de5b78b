import Foundation
import Testing

@testable import LeakwatchCore

/// `JSONLineWriter` must give, byte for byte, what `JSONEncoder` gives for alerts and records:
/// consumers, the spool's dedup and the state database all see these lines. The reference here is
/// `JSONEncoder` itself, set up as `jsonLine` always set it up.
@Suite("JSON line writer")
struct JSONLineWriterTests {
    /// What `AlertFormatting.jsonLine` gave before `JSONLineWriter`.
    static func reference(_ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(value) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }

    /// `JSONLineWriter`'s line for `value`, through every way callers reach it.
    static func expectSameAsEncoder(_ alert: Alert, sourceLocation: Testing.SourceLocation = #_sourceLocation) {
        let expected = reference(alert)
        #expect(alert.jsonLine == expected, sourceLocation: sourceLocation)
        #expect(AlertFormatting.jsonLine(alert) == expected, sourceLocation: sourceLocation)
        #expect(genericLine(alert) == expected, sourceLocation: sourceLocation)
    }

    static func expectSameAsEncoder(_ record: ScanRecord, sourceLocation: Testing.SourceLocation = #_sourceLocation) {
        let expected = reference(record)
        #expect(record.jsonLine == expected, sourceLocation: sourceLocation)
        #expect(AlertFormatting.jsonLine(record) == expected, sourceLocation: sourceLocation)
        #expect(genericLine(record) == expected, sourceLocation: sourceLocation)
    }

    /// The generic `jsonLine(some Encodable)`, as a caller with a generic value reaches it.
    static func genericLine<Value: Encodable>(_ value: Value) -> String { AlertFormatting.jsonLine(value) }

    // MARK: Fixtures

    /// An alert with every optional field set and every array non-empty (checked by
    /// `fixturesLeaveNothingOut`): a field added to `Alert` but not to its `writeJSON` shows here.
    static func fullAlert(_ text: String = "text") -> Alert {
        Alert(
            id: "id-\(text)", detectedAt: "2026-11-29T00:00:00Z",
            rule: Alert.RuleInfo(
                id: "rule.\(text)", title: "Title \(text)", category: "cat\(text)", severity: "high",
                revision: "rev\(text)", tags: ["misogyny", text, ""]),
            source: Alert.SourceInfo(
                path: "/drop/\(text).zip", sha256: "abc\(text)", format: "whatsapp-android", entry: "chat/\(text).txt",
                chat: "Chat \(text)", participants: ["Ann \(text)", text, ""]),
            message: Alert.MessageInfo(
                line: 42, id: "m\(text)", sent: "14/04/2015, \(text)", sentLocal: "2015-04-14T09:28:00\(text)",
                sender: "Sender \(text)", kind: "text\(text)", key: "key\(text)"),
            match: Alert.MatchInfo(
                field: "media-hash\(text)", excerpt: "excerpt \(text) [REDACTED]", fingerprint: "fp\(text)",
                redacted: true, confidence: "high\(text)",
                model: Alert.ModelInfo(name: "model\(text)", probability: 0.873, features: ["w:s***", text]),
                attachment: "IMG-\(text).jpg", ocrConfidence: 93, page: 7,
                knownMedia: Alert.KnownMediaInfo(
                    algorithm: "pdq\(text)", label: "label \(text)", distance: 12, threshold: 31,
                    list: "scene-\(text).list", line: 3, hash: "hash\(text)")),
            exposure: ["Ann \(text)", text],
            responses: [
                Alert.Response(sender: "Bob \(text)", kind: .endorsement, line: 43, key: "rkey\(text)"),
                Alert.Response(sender: text, kind: .challenge, line: 44, key: text),
            ])
    }

    /// An alert with every optional field absent and every array empty.
    static let emptyAlert = Alert(
        id: "", detectedAt: "",
        rule: Alert.RuleInfo(id: "", title: "", category: "", severity: "", revision: "", tags: []),
        source: Alert.SourceInfo(path: "", sha256: "", format: "", entry: nil, chat: nil, participants: []),
        message: Alert.MessageInfo(line: nil, id: nil, sent: "", sentLocal: nil, sender: nil, kind: "", key: nil),
        match: Alert.MatchInfo(
            field: "", excerpt: "", fingerprint: "", redacted: false, confidence: "", model: nil, attachment: nil,
            ocrConfidence: nil, page: nil, knownMedia: nil),
        exposure: nil, responses: nil)

    /// A record with every optional field set (checked by `fixturesLeaveNothingOut`).
    static func fullRecord(_ text: String = "text") -> ScanRecord {
        var record = ScanRecord(
            kind: .sighting, detectedAt: "2026-11-29T00:00:00Z\(text)",
            source: ScanRecord.Source(
                path: "/drop/\(text).txt", sha256: "sha\(text)", format: "whatsapp-ios", entry: "entry/\(text)",
                chat: "chat \(text)"),
            ruleID: "rule.\(text)", code: "code\(text)", line: 12, messageID: "mid\(text)", detail: "detail \(text)")
        record.alert = "alert\(text)"
        record.sender = "sender \(text)"
        record.messageKey = "mkey\(text)"
        return record
    }

    /// A record with every optional field absent.
    static let emptyRecord: ScanRecord = {
        var record = ScanRecord(
            kind: .note, detectedAt: "",
            source: ScanRecord.Source(path: "", sha256: "", format: "", entry: nil, chat: nil), detail: "")
        record.code = nil
        return record
    }()

    /// Strings that need every kind of care: JSON escapes, what must not be escaped, multi-byte
    /// UTF-8 and characters some writers treat specially.
    static let nastyStrings: [String] = {
        var strings = [
            "", "\"", "\\", "\\\"", "\"\"", "/", "//", "</script>", "https://example.org/a/b?c=d&e=f", "\u{7F}",
            "tab\there", "line\nbreak", "cr\r\nlf", "\u{8}\u{C}", "😀", "👩🏽‍🚒", "🇬🇧", "\u{2028}", "\u{2029}",
            "\u{2028}\u{2029}", "\u{85}", "\u{A0}", "\u{FEFF}bom", "\u{200E}\u{202E}rtl", "\u{FFFD}", "\u{FFFE}",
            "\u{FFFF}", "\u{10FFFF}", "\u{E000}", "e\u{301}", "\u{E9}", "Ωμέγα", "العربية", "中文", "ß", "ﬁ",
            "a\u{0}b", "\u{1F}\u{20}", "\\u0000", "\\n", "{\"json\":[1,2]}", "null", "true", "1e5", " ", "  lead",
            "trail  ", String(repeating: "a", count: 5000), String(repeating: "\"\\/\u{1}é", count: 300),
            String(decoding: [0xC3, 0x28, 0xFF, 0xFE, 0xED, 0xA0, 0x80, 0x41], as: UTF8.self),
        ]
        // Every control character alone and in text, and every ASCII character.
        for value in 0..<0x20 {
            let scalar = String(Unicode.Scalar(UInt8(value)))
            strings.append(scalar)
            strings.append("x\(scalar)y")
        }
        strings.append(String(decoding: Array(0..<0x80), as: UTF8.self))
        return strings
    }()

    // MARK: Tests

    @Test func fullAlertIsTheSameAsJSONEncoder() {
        Self.expectSameAsEncoder(Self.fullAlert())
    }

    @Test func emptyAlertIsTheSameAsJSONEncoder() {
        Self.expectSameAsEncoder(Self.emptyAlert)
        #expect(Self.emptyAlert.jsonLine.contains("\"exposure\":null"), "absent alert fields are null, not left out")
    }

    @Test func fullRecordIsTheSameAsJSONEncoder() {
        Self.expectSameAsEncoder(Self.fullRecord())
    }

    @Test func emptyRecordIsTheSameAsJSONEncoder() {
        Self.expectSameAsEncoder(Self.emptyRecord)
        #expect(!Self.emptyRecord.jsonLine.contains("null"), "absent record fields are left out")
    }

    @Test("nasty strings in every string field", arguments: nastyStrings)
    func nastyString(_ text: String) {
        Self.expectSameAsEncoder(Self.fullAlert(text))
        Self.expectSameAsEncoder(Self.fullRecord(text))
        var alert = Self.emptyAlert
        alert.match.excerpt = text
        alert.message.sender = text
        alert.exposure = [text]
        Self.expectSameAsEncoder(alert)
    }

    @Test(
        "every kind of record and response",
        arguments: [ScanRecord.Kind.ruleError, .scanIncomplete, .note, .duplicateExport, .sighting])
    func recordKinds(_ kind: ScanRecord.Kind) {
        var record = Self.fullRecord()
        record.kind = kind
        Self.expectSameAsEncoder(record)
        for responseKind in ResponseKind.allCases {
            var alert = Self.fullAlert()
            alert.responses = [
                Alert.Response(sender: nil, kind: responseKind, line: nil),
                Alert.Response(sender: "x", kind: responseKind, line: 1),
            ]
            Self.expectSameAsEncoder(alert)
        }
    }

    @Test("each optional field absent alone")
    func eachOptionalAbsentAlone() {
        let full = Self.fullAlert()
        let edits: [(inout Alert) -> Void] = [
            { $0.exposure = nil }, { $0.exposure = [] }, { $0.responses = nil }, { $0.responses = [] },
            { $0.rule.tags = [] }, { $0.source.entry = nil }, { $0.source.chat = nil },
            { $0.source.participants = [] }, { $0.message.line = nil }, { $0.message.id = nil },
            { $0.message.sentLocal = nil }, { $0.message.sender = nil }, { $0.message.key = nil },
            { $0.match.model = nil }, { $0.match.model?.features = [] }, { $0.match.attachment = nil },
            { $0.match.ocrConfidence = nil }, { $0.match.page = nil }, { $0.match.knownMedia = nil },
            { $0.match.redacted = false },
            { $0.responses = [Alert.Response(sender: nil, kind: .neither, line: nil, key: nil)] },
        ]
        for edit in edits {
            var alert = full
            edit(&alert)
            Self.expectSameAsEncoder(alert)
        }
        let fullRecord = Self.fullRecord()
        let recordEdits: [(inout ScanRecord) -> Void] = [
            { $0.alert = nil }, { $0.code = nil }, { $0.line = nil }, { $0.messageID = nil }, { $0.messageKey = nil },
            { $0.rule = nil }, { $0.sender = nil }, { $0.source.entry = nil }, { $0.source.chat = nil },
        ]
        for edit in recordEdits {
            var record = fullRecord
            edit(&record)
            Self.expectSameAsEncoder(record)
        }
    }

    @Test(
        "integers",
        arguments: [0, 1, -1, 9, 10, 99, 100, 12345, -12345, Int(Int32.max), Int.max, Int.min, Int.min + 1])
    func integers(_ value: Int) {
        var alert = Self.fullAlert()
        alert.message.line = value
        alert.match.ocrConfidence = value
        alert.match.page = value
        alert.match.knownMedia?.distance = value
        alert.match.knownMedia?.threshold = value
        alert.match.knownMedia?.line = value
        alert.responses?[0].line = value
        Self.expectSameAsEncoder(alert)
        var record = Self.fullRecord()
        record.line = value
        Self.expectSameAsEncoder(record)
    }

    @Test(
        "model probabilities",
        arguments: [
            0, 1, 0.5, 0.873, 0.1, 0.999, 0.001, 1e-4, 1e-5, 0.1 + 0.2, 1.0 / 3, -0.0, -1.5, 2.5e-7, 123_456.789, 1e15,
            1e16, 1e300, Double.leastNonzeroMagnitude, Double.leastNormalMagnitude, Double.greatestFiniteMagnitude,
            Double.ulpOfOne,
        ])
    func probabilities(_ probability: Double) {
        var alert = Self.fullAlert()
        alert.match.model?.probability = probability
        Self.expectSameAsEncoder(alert)
    }

    @Test(
        "a probability JSONEncoder refuses gives what JSONEncoder gave", arguments: [Double.nan, .infinity, -.infinity])
    func nonFiniteProbability(_ probability: Double) {
        var alert = Self.fullAlert()
        alert.match.model?.probability = probability
        Self.expectSameAsEncoder(alert)
        #expect(alert.jsonLine == "{}")
    }

    @Test func valuesOfOtherTypesStillGoThroughJSONEncoder() {
        struct Other: Encodable {
            var zeta = 1
            var alpha = "a/b"
            var mixedCase = [0.5, 1]
        }
        #expect(AlertFormatting.jsonLine(Other()) == Self.reference(Other()))
        #expect(AlertFormatting.jsonLine(Other()) == #"{"alpha":"a/b","mixedCase":[0.5,1],"zeta":1}"#)
    }

    /// The full fixtures set every optional and fill every array, at every depth: so a field added
    /// to a type (and so to this fixture) that `writeJSON` forgets makes the comparisons above fail.
    @Test func fixturesLeaveNothingOut() {
        #expect(Self.absentFields(Self.fullAlert(), path: "alert") == [])
        #expect(Self.absentFields(Self.fullRecord(), path: "record") == [])
    }

    /// Paths of the nil optionals and empty collections inside `value`, found by reflection.
    static func absentFields(_ value: Any, path: String) -> [String] {
        let mirror = Mirror(reflecting: value)
        switch mirror.displayStyle {
        case .optional:
            guard let wrapped = mirror.children.first?.value else { return [path] }
            return absentFields(wrapped, path: path)
        case .collection, .set, .dictionary:
            if mirror.children.isEmpty { return [path] }
            return mirror.children.enumerated().flatMap { index, child in
                absentFields(child.value, path: "\(path)[\(index)]")
            }
        default:
            return mirror.children.flatMap { child in
                absentFields(child.value, path: "\(path).\(child.label ?? "?")")
            }
        }
    }
}
