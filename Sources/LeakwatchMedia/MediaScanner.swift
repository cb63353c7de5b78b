import LeakwatchCore

/// What looking inside an export's media produced.
public struct MediaScanResult: Sendable {
    public var alerts: [Alert] = []
    /// `scan-incomplete` records for files not (fully) examined, rule errors on media text.
    public var records: [ScanRecord] = []
    /// Some file was not (fully) examined: see `records`.
    public var incomplete = false
    /// Files handed to the worker, and how many of those it analysed.
    public var examined = 0
    public var analysed = 0

    public init() {}
}

/// Looks inside the images and PDFs of one scanned export (`ScanResult.media`): each file goes to
/// a media worker process under limits; its text is matched by the rules that apply to
/// `media-text`, its photo metadata by those of `media-metadata`, its PDQ hash against the
/// known-media lists. Runs after the export's text alerts are out, so they never wait for it.
///
/// One scanner per export (or per file of `leakwatch scan`): it starts a worker when the first
/// file needs one, starts a new one after a crash or a timeout, and stops it at the end.
public final class MediaScanner {
    public let settings: MediaSettings
    public let knownMedia: KnownMediaIndex
    private var worker: MediaWorkerProcess?

    public init(settings: MediaSettings, knownMedia: KnownMediaIndex) {
        self.settings = settings
        self.knownMedia = knownMedia
    }

    deinit {
        worker?.stop()
    }

    /// Examines every file of `media`, which `scanner` collected from `file`.
    /// - Parameter afterEachFile: called after each file (the daemon's crash tests hook in here).
    public func scan(
        _ media: ExportMedia, file: ScannedFile, scanner: ExportScanner, scratch: MatchScratch, detectedAt: String,
        afterEachFile: (() -> Void)? = nil
    ) -> MediaScanResult {
        var result = MediaScanResult()
        var exports = media.exports
        var knownMatches: [(exportIndex: Int, match: KnownMediaMatch)] = []
        let deadline = ContinuousClock.now + .milliseconds(Int64(settings.secondsPerExport * 1000))
        defer {
            worker?.stop()
            worker = nil
        }
        for (position, item) in media.items.enumerated() {
            guard let export = exports[item.exportIndex] else { continue }
            func record(_ problem: MediaProblem) {
                result.incomplete = true
                result.records.append(
                    Self.record(problem, item: item, export: export, file: file, detectedAt: detectedAt))
            }
            if ContinuousClock.now >= deadline {
                let left = media.items[position...].filter { MediaFormat.sniff(media.head(of: $0)) != nil }
                guard !left.isEmpty else { break }
                let names = left.prefix(20).map(\.name).joined(separator: ", ")
                let more = left.count > 20 ? " and \(left.count - 20) more" : ""
                record(
                    MediaProblem(
                        .budgetExhausted,
                        "the media time budget of \(Int(settings.secondsPerExport)) s for this export ran out; \(left.count) file(s) not examined: \(names)\(more)"
                    ))
                break
            }
            // Only images and PDFs: video, audio, contact cards and the like are not opened.
            guard MediaFormat.sniff(media.head(of: item)) != nil else { continue }
            let bytes: [UInt8]
            do {
                bytes = try media.bytes(of: item, maxBytes: settings.maxFileBytes)
            } catch {
                record(MediaProblem(error.code == "too-large" ? .tooLarge : .unreadable, error.message))
                continue
            }
            result.examined += 1
            switch analyze(bytes, name: item.name, deadline: deadline) {
            case .failure(let problem):
                record(problem)
            case .success(let analysis):
                result.analysed += 1
                for problem in analysis.problems { record(problem) }
                let content = MediaContent(
                    text: analysis.text, ocrConfidence: analysis.ocrConfidence, metadata: analysis.metadata?.ruleText)
                exports[item.exportIndex]?.messages[item.messageIndex].attachments[item.attachmentIndex].media = content
                if let pdq = analysis.pdq, pdq.quality >= settings.pdqMinQuality,
                    let (entry, distance) = knownMedia.bestMatch(for: pdq, threshold: settings.pdqThreshold)
                {
                    let info = Alert.KnownMediaInfo(
                        algorithm: "pdq", label: entry.label, distance: distance, threshold: settings.pdqThreshold,
                        list: entry.list, line: entry.line, hash: pdq.hash.hex)
                    knownMatches.append(
                        (
                            item.exportIndex,
                            KnownMediaMatch(
                                messageIndex: item.messageIndex, attachmentIndex: item.attachmentIndex, info: info)
                        ))
                }
            }
            afterEachFile?()
        }
        for (exportIndex, export) in exports.sorted(by: { $0.key < $1.key }) {
            match(
                export, exportIndex: exportIndex, file: file, scanner: scanner, scratch: scratch,
                detectedAt: detectedAt, into: &result)
        }
        for (exportIndex, match) in knownMatches {
            guard let export = exports[exportIndex] else { continue }
            result.alerts.append(
                scanner.alertBuilder.alert(
                    for: match, in: export, exportIndex: exportIndex, file: file, detectedAt: detectedAt))
        }
        return result
    }

    /// Runs one file through a worker on its own, as `scan` does, within the per-file limits; the
    /// worker stays for the next call (`leakwatch media hash` and `analyze`).
    public func analyze(_ bytes: [UInt8], name: String, ocr: Bool? = nil, hashCrops: Bool = false)
        -> Result<MediaAnalysis, MediaProblem>
    {
        analyze(bytes, name: name, deadline: .now + .seconds(86_400), ocr: ocr, hashCrops: hashCrops)
    }

    /// The worker that answered last: its pid and protections, for `leakwatch media analyze`.
    public var workerHello: (pid: Int32, hello: MediaWorkerHello)? {
        worker.map { ($0.pid, $0.hello) }
    }

    /// Runs one file through a worker (starting one if needed) within the per-file limits.
    private func analyze(
        _ bytes: [UInt8], name: String, deadline: ContinuousClock.Instant, ocr: Bool? = nil, hashCrops: Bool = false
    ) -> Result<MediaAnalysis, MediaProblem> {
        if worker?.isAlive != true {
            do {
                worker = try MediaWorkerProcess(settings.launcher)
            } catch {
                worker = nil
                return .failure(MediaProblem(.workerFailed, error.description))
            }
        }
        guard let worker else { return .failure(MediaProblem(.workerFailed, "no media worker")) }
        let fileDeadline = min(deadline, .now + .milliseconds(Int64(settings.secondsPerFile * 1000)))
        let request = settings.request(name: name, ocr: ocr, hashCrops: hashCrops)
        switch worker.analyze(bytes, request: request, deadline: fileDeadline) {
        case .success(.analysis(let analysis)):
            return .success(analysis)
        case .success(.failure(let problem)):
            return .failure(problem)
        case .failure(.timedOut):
            return .failure(
                MediaProblem(
                    .timeout,
                    "not finished within \(Int(settings.secondsPerFile)) s (or the export's media budget); the worker was killed"
                ))
        case .failure(.died(let how)):
            return .failure(MediaProblem(.workerKilled, "the media worker died on it: \(how)"))
        case .failure(let failure):
            return .failure(MediaProblem(.workerFailed, failure.description))
        }
    }

    /// The rules that read media text or metadata, over the export with what was found in its
    /// files; only hits on those fields count (the text alerts are out already).
    private func match(
        _ export: ParsedExport, exportIndex: Int, file: ScannedFile, scanner: ExportScanner, scratch: MatchScratch,
        detectedAt: String, into result: inout MediaScanResult
    ) {
        let mediaFields: Set<RuleField> = [.mediaText, .mediaMetadata]
        let hasContent = export.messages.contains { $0.attachments.contains { $0.media != nil } }
        let rules = scanner.ruleSet.rules.filter { !mediaFields.isDisjoint(with: $0.definition.appliesTo) }
        guard hasContent, !rules.isEmpty else { return }
        let needsAll = rules.contains(where: \.looksAtCategories)
        var report = scanner.matcher.match(
            export.messages, rules: needsAll ? scanner.ruleSet.rules : rules, scratch: scratch)
        report.hits.removeAll { !mediaFields.contains($0.field) }
        result.alerts += scanner.alertBuilder.alerts(
            for: report, in: export, exportIndex: exportIndex, file: file, ruleSet: scanner.ruleSet,
            detectedAt: detectedAt)
        let source = ScanRecord.Source(file: file, export: export)
        for error in report.ruleErrors where mediaFields.contains(error.field) {
            let message = export.messages[error.messageIndex]
            result.records.append(
                ScanRecord(
                    kind: .ruleError, detectedAt: detectedAt, source: source, ruleID: error.ruleID, line: message.line,
                    messageID: message.id,
                    detail:
                        "rule \(error.ruleID) stopped on the \(error.field.rawValue) of this message: \(error.detail) (PCRE2 \(error.code)); it may hold a match that was not reported"
                ))
        }
        if let exhausted = report.budgetExhausted {
            result.incomplete = true
            result.records.append(
                ScanRecord(
                    kind: .scanIncomplete, detectedAt: detectedAt, source: source, ruleID: exhausted.ruleID,
                    code: "budget-exhausted",
                    detail:
                        "time budget of \(exhausted.budget) exhausted while matching media text with \(exhausted.ruleID)"
                ))
        }
    }

    static func record(
        _ problem: MediaProblem, item: ExportMedia.Item, export: ParsedExport, file: ScannedFile, detectedAt: String
    ) -> ScanRecord {
        let message = export.messages[item.messageIndex]
        return ScanRecord(
            kind: .scanIncomplete, detectedAt: detectedAt, source: ScanRecord.Source(file: file, export: export),
            code: problem.code.rawValue, line: message.line, messageID: message.id,
            detail: "\(item.name): \(problem.message)")
    }
}
