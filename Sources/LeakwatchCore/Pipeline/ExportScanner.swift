/// The scan pipeline for one file's bytes: detect and parse the format, match every rule, build
/// alerts and records. Pure (the caller reads the file), so `leakwatch scan`, the daemon, the
/// benchmarks and the tests all run exactly this.
public struct ExportScanner: Sendable {
    public let ruleSet: RuleSet
    public let matcher: ExportMatcher
    public let alertBuilder: AlertBuilder
    public var archiveLimits: ArchiveLimits

    public init(
        ruleSet: RuleSet, budget: ScanBudget = ScanBudget(), fingerprintKey: [UInt8],
        archiveLimits: ArchiveLimits = .default
    ) {
        self.ruleSet = ruleSet
        self.matcher = ExportMatcher(ruleSet: ruleSet, budget: budget)
        self.alertBuilder = AlertBuilder(fingerprintKey: fingerprintKey)
        self.archiveLimits = archiveLimits
    }

    /// Scans `bytes`, the content of the file reported as `path` (`fileName` is its last
    /// component, used only for chat names).
    public func scan(_ bytes: [UInt8], path: String, fileName: String, scratch: MatchScratch, detectedAt: String)
        -> ScanResult
    {
        let file = ScannedFile(path: path, bytes: bytes)
        var result = ScanResult(file: file)
        let exports: [ParsedExport]
        do {
            exports = try ExportParsing.parse(bytes, fileName: fileName, limits: archiveLimits)
        } catch {
            result.failure = LeakwatchError(
                code: .init(rawValue: error.code), message: error.description, path: path, cause: error)
            return result
        }
        for (index, export) in exports.enumerated() {
            let report = matcher.match(export.messages, scratch: scratch)
            result.exports.append(
                ScanResult.ExportSummary(
                    format: export.format.rawValue, entry: export.entry, chat: export.chat,
                    messages: export.messages.count,
                    participants: export.participants.count, dateOrder: export.dateOrder))
            result.alerts += alertBuilder.alerts(
                for: report, in: export, exportIndex: index, file: file, ruleSet: ruleSet, detectedAt: detectedAt)
            let source = ScanRecord.Source(file: file, export: export)
            for error in report.ruleErrors {
                let message = export.messages[error.messageIndex]
                result.records.append(
                    ScanRecord(
                        kind: .ruleError, detectedAt: detectedAt, source: source, ruleID: error.ruleID,
                        line: message.line, messageID: message.id,
                        detail:
                            "rule \(error.ruleID) stopped on the \(error.field.rawValue) of this message: \(error.detail) (PCRE2 \(error.code)); it may hold a match that was not reported"
                    ))
            }
            if let exhausted = report.budgetExhausted {
                result.incomplete = true
                result.records.append(
                    ScanRecord(
                        kind: .scanIncomplete, detectedAt: detectedAt, source: source, ruleID: exhausted.ruleID,
                        detail:
                            "time budget of \(exhausted.budget) exhausted while running \(exhausted.ruleID); rules from there on did not run on this export"
                    ))
            }
            for note in export.notes {
                let kind: ScanRecord.Kind = note.code == "scan-incomplete" ? .scanIncomplete : .note
                if kind == .scanIncomplete { result.incomplete = true }
                result.records.append(
                    ScanRecord(
                        kind: kind, detectedAt: detectedAt, source: source, code: note.code, line: note.line,
                        detail: note.message))
            }
        }
        return result
    }
}

/// Everything one scanned file produced.
public struct ScanResult: Sendable {
    public var file: ScannedFile
    public var exports: [ExportSummary] = []
    public var alerts: [Alert] = []
    /// Rule errors, incomplete scans and parser notes.
    public var records: [ScanRecord] = []
    /// Some part of the file was not scanned (budget or archive limit): see `records`.
    public var incomplete = false
    /// The file could not be scanned at all.
    public var failure: LeakwatchError?

    public init(file: ScannedFile) { self.file = file }

    public var messageCount: Int { exports.reduce(0) { $0 + $1.messages } }
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
