/// The scan pipeline for one file's bytes: detect and parse the format, match every rule, build
/// alerts and records. Pure (the caller reads the file), so `leakwatch scan`, the daemon, the
/// benchmarks and the tests all run exactly this.
public struct ExportScanner: Sendable {
    public let ruleSet: RuleSet
    public let matcher: ExportMatcher
    public let alertBuilder: AlertBuilder
    public var archiveLimits: ArchiveLimits
    /// Whether `scan` collects the export's media (`ScanResult.media`) for media scanning.
    public var collectsMedia = false
    /// Lines longer than this are cut into pieces (each matched, with a `long-line` note), and so
    /// are messages (`long-message`), in a file read whole as in a streamed one.
    public var maxLineBytes = ExportScanner.defaultMaxLineBytes

    /// Messages of an export read whole are matched this many bytes at a time (as a streamed
    /// export is, `StreamingExportScanner.chunkBytes`), so what matching holds stays bounded.
    public var chunkBytes = StreamingExportScanner.defaultChunkBytes

    /// Where a streamed export's alerts wait for settlement, when given: on disk, so memory does
    /// not grow with them (`ScanResult.spilledAlerts`). Without it they are held in memory.
    public var makeSpill: RecordSpillMaker?

    /// Whether a large export's chunks are matched on another thread while the next is parsed
    /// (a second core on one big file). Same result; one more chunk in memory.
    public var overlapsMatching = false

    /// 256 KiB: far longer than any chat message, and what matching costs grows with the longest
    /// text it sees (the `fold` normalization holds about 170 bytes per byte of one message).
    public static let defaultMaxLineBytes = 256 << 10

    public init(
        ruleSet: RuleSet, budget: ScanBudget = ScanBudget(), fingerprintKey: [UInt8],
        archiveLimits: ArchiveLimits = .default, collectsCosts: Bool = false, usesPrefilter: Bool = true
    ) {
        self.ruleSet = ruleSet
        self.matcher = ExportMatcher(
            ruleSet: ruleSet, budget: budget, collectsCosts: collectsCosts, usesPrefilter: usesPrefilter)
        self.alertBuilder = AlertBuilder(fingerprintKey: fingerprintKey)
        self.archiveLimits = archiveLimits
    }

    /// Scans `bytes`, the content of the file reported as `path` (`fileName` is its last
    /// component, used only for chat names). `inspect`, when given, sees every parsed export
    /// before it is matched (`leakwatch eval` uses it to know every message). With `watch`, the
    /// result carries a transcript of each export (`ScanResult.transcripts`) for the state database.
    public func scan(
        _ bytes: [UInt8], path: String, fileName: String, scratch: MatchScratch, detectedAt: String,
        inspect: ((ParsedExport) -> Void)? = nil, watch: ContentWatch? = nil
    ) -> ScanResult {
        let file = ScannedFile(path: path, bytes: bytes)
        var result = ScanResult(file: file)
        result.bytes = bytes.count
        result.watch = watch
        let exports: [ParsedExport]
        do {
            exports = try ExportParsing.parse(
                bytes, fileName: fileName, limits: archiveLimits, maxLineBytes: maxLineBytes)
        } catch {
            result.failure = LeakwatchError(
                code: .init(rawValue: error.code), message: error.description, path: path, cause: error)
            return result
        }
        for (index, parsed) in exports.enumerated() {
            inspect?(parsed)
            var export = parsed
            var pieces = MessagePieces(maxBytes: maxLineBytes)
            let messages = pieces.cut(export.messages)
            if let note = pieces.note { export.notes.append(note) }
            var transcript = watch.map { TranscriptBuilder(watch: $0) }
            transcript?.add(messages, startingAt: 0)
            let follower: (Int) -> Message? = { $0 < messages.count ? messages[$0] : nil }
            let textBytes = messages.reduce(0) { $0 + $1.text.utf8.count }
            if textBytes <= chunkBytes {
                let report = matcher.match(messages, scratch: scratch)
                for (rule, cost) in report.ruleCosts { result.ruleCosts[rule, default: RuleCost()] += cost }
                let alerts = alerts(
                    for: report.hits, message: { messages[$0] }, follower: follower, in: export, exportIndex: index,
                    file: file, detectedAt: detectedAt, transcript: &transcript)
                record(
                    export: export, messageCount: messages.count, exportIndex: index, alerts: alerts,
                    transcript: transcript,
                    ruleErrors: report.ruleErrors.map { error in
                        let message = messages[error.messageIndex]
                        return LocatedRuleError(error: error, line: message.line, messageID: message.id)
                    }, budgetExhausted: report.budgetExhausted, file: file, detectedAt: detectedAt, into: &result)
                continue
            }
            // A large export read whole (a zip, JSON, UTF-16, or text under the stream threshold) is
            // matched `chunkBytes` of messages at a time, as a streamed one is: what matching holds
            // stays bounded, and the result is the one matching all at once gives.
            var matching = ChunkMatching(
                matcher: matcher, scratch: scratch, window: ruleSet.contextWindow, overlapped: overlapsMatching)
            var groupStart = 0
            var groupBytes = 0
            for (position, message) in messages.enumerated() {
                groupBytes += message.text.utf8.count
                if groupBytes >= chunkBytes {
                    matching.add(Array(messages[groupStart...position]))
                    groupStart = position + 1
                    groupBytes = 0
                }
            }
            if groupStart < messages.count { matching.add(Array(messages[groupStart...])) }
            matching.finish()
            for (rule, cost) in matching.ruleCosts { result.ruleCosts[rule, default: RuleCost()] += cost }
            let alerts = alerts(
                for: matching.hits, message: { messages[$0] }, follower: follower, in: export, exportIndex: index,
                file: file, detectedAt: detectedAt, transcript: &transcript)
            record(
                export: export, messageCount: messages.count, exportIndex: index, alerts: alerts,
                transcript: transcript, ruleErrors: matching.ruleErrors, budgetExhausted: matching.budgetExhausted,
                file: file, detectedAt: detectedAt, into: &result)
        }
        if collectsMedia {
            result.media = ExportMedia.collect(exports, fileBytes: bytes, limits: archiveLimits)
        }
        return result
    }

    /// A rule error with the line and id of its message.
    struct LocatedRuleError {
        var error: RuleErrorRecord
        var line: Int?
        var messageID: String?
    }

    /// The alerts for `hits` (on one export, in message order), with the replies to each for the
    /// rules that collect them. `message` looks up the export's messages by index (those with hits
    /// at least); `follower` the messages after them, for replies (nil when not kept).
    /// `transcript`, when one is being built, learns the alerts' messages and their replies.
    func alerts(
        for hits: [RuleHit], message: (Int) -> Message, follower: (Int) -> Message?, in export: ParsedExport,
        exportIndex: Int, file: ScannedFile, detectedAt: String, transcript: inout TranscriptBuilder?
    ) -> [Alert] {
        var alerts = alertBuilder.alerts(
            for: hits, message: message, in: export, exportIndex: exportIndex, file: file, ruleSet: ruleSet,
            detectedAt: detectedAt)
        AlertAnnotation.annotate(
            &alerts, hits: hits, ruleSet: ruleSet, message: message, follower: follower, transcript: &transcript)
        return alerts
    }

    /// Adds what matching one export gave to `result`: its summary, `alerts` (built by
    /// `alerts(for:...)`), its transcript when one was built, and its records.
    func record(
        export: ParsedExport, messageCount: Int, exportIndex index: Int, alerts: [Alert],
        transcript: TranscriptBuilder?, ruleErrors: [LocatedRuleError], budgetExhausted: BudgetExhaustion?,
        file: ScannedFile, detectedAt: String, into result: inout ScanResult
    ) {
        result.exports.append(
            ScanResult.ExportSummary(
                format: export.format.rawValue, entry: export.entry, chat: export.chat, messages: messageCount,
                participants: export.participants.count, dateOrder: export.dateOrder))
        // The one export of most files: its alerts become the result's without a copy.
        if result.alerts.isEmpty { result.alerts = alerts } else { result.alerts += alerts }
        if let transcript { result.transcripts.append(transcript.transcript) }
        let source = ScanRecord.Source(file: file, export: export)
        for located in ruleErrors {
            let error = located.error
            result.records.append(
                ScanRecord(
                    kind: .ruleError, detectedAt: detectedAt, source: source, ruleID: error.ruleID,
                    line: located.line, messageID: located.messageID,
                    detail:
                        "rule \(error.ruleID) stopped on the \(error.field.rawValue) of this message: \(error.detail) (PCRE2 \(error.code)); it may hold a match that was not reported"
                ))
        }
        if let exhausted = budgetExhausted {
            result.incomplete = true
            result.records.append(
                ScanRecord(
                    kind: .scanIncomplete, detectedAt: detectedAt, source: source, ruleID: exhausted.ruleID,
                    code: LeakwatchError.Code.budgetExhausted.rawValue,
                    detail:
                        "time budget of \(exhausted.budget) exhausted while running \(exhausted.ruleID); rules from there on did not run on this export"
                ))
        }
        for note in export.notes {
            let kind: ScanRecord.Kind = note.leavesScanIncomplete ? .scanIncomplete : .note
            if kind == .scanIncomplete { result.incomplete = true }
            result.records.append(
                ScanRecord(
                    kind: kind, detectedAt: detectedAt, source: source, code: note.code, line: note.line,
                    detail: note.message))
        }
    }
}

/// Everything one scanned file produced.
public struct ScanResult: Sendable {
    public var file: ScannedFile
    /// The file's size in bytes (0 when it could not be read).
    public var bytes = 0
    public var exports: [ExportSummary] = []
    public var alerts: [Alert] = []
    /// The alerts of a streamed export, when the scanner spills them (`ExportScanner.makeSpill`):
    /// the file's one export's, and then `alerts` is empty.
    public var spilledAlerts: SpilledAlerts?
    /// Rule errors, incomplete scans and parser notes.
    public var records: [ScanRecord] = []
    /// One per export, in the order of `exports`, when the scan was given a `ContentWatch`.
    public var transcripts: [ExportTranscript] = []
    /// The watch the scan was given, if any.
    public var watch: ContentWatch?
    /// Some part of the file was not scanned (budget or archive limit): see `records`.
    public var incomplete = false
    /// The file could not be scanned at all.
    public var failure: LeakwatchError?
    /// What each rule cost on this file, by rule index, when the matcher collects costs.
    public var ruleCosts: [Int: RuleCost] = [:]
    /// The attached images and PDFs media scanning may look inside, when the scanner collects them.
    public var media: ExportMedia?

    public init(file: ScannedFile) { self.file = file }

    public var messageCount: Int { exports.reduce(0) { $0 + $1.messages } }
    /// How many alerts, in memory and spilled.
    public var alertCount: Int { alerts.count + (spilledAlerts?.count ?? 0) }
    public var formatDescription: String {
        Array(Set(exports.map(\.format))).sorted().joined(separator: ",")
    }

    public struct ExportSummary: Sendable, Hashable {
        public var format: String
        public var entry: String?
        public var chat: String?
        public var messages: Int
        public var participants: Int
        public var dateOrder: DateOrderDecision?
    }
}

extension ParseNote {
    /// Codes of notes that say part of the export was not scanned (an archive member skipped, a
    /// nested archive not opened): the scan is incomplete, and the daemon quarantines the export
    /// under that code.
    public static let incompleteCodes: Set<String> = ["scan-incomplete", "media-skipped", "nested-archive"]

    /// Whether this note says part of the export was not scanned.
    public var leavesScanIncomplete: Bool { Self.incompleteCodes.contains(code) }
}
