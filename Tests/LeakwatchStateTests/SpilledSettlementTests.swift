import Foundation
import LeakwatchCore
import LeakwatchOutputs
import LeakwatchState
import LeakwatchTestSupport
import Testing

/// A streamed export whose alerts wait on disk (as it is scanned, and again once settled) settles
/// to exactly what the same bytes read whole settle to: the same alerts in the same order, with
/// their keys, exposure and responses, and the same sightings and records.
@Suite struct SpilledSettlementTests {
    static let detectedAt = "2026-11-29T00:00:00Z"
    static let key: [UInt8] = Array(repeating: 7, count: 32)

    /// The four phones' exports of one chat, in an order that gives sightings, then the samples.
    static let inputs: [(name: String, bytes: [UInt8])] = {
        var inputs: [(String, [UInt8])] = []
        for phone in [FourPhoneChat.Phone.dave, .priya, .tom, .kate] {
            inputs.append((phone.fileName, (try? FourPhoneChat.export(phone)) ?? []))
        }
        for name in ["whatsapp-ios-briefing.txt", "whatsapp-android-shift.txt", "notes-plain.txt"] {
            let url = repository.appendingPathComponent("samples").appendingPathComponent(name)
            inputs.append((name, (try? Array(Data(contentsOf: url))) ?? []))
        }
        return inputs
    }()

    /// Settles `result`, scanning again (with `rescan`) while the watch is stale.
    static func settle(_ ledger: StateLedger, _ scan: (ContentWatch) throws -> ScanResult) throws -> AlertBatch {
        while true {
            if case .recorded(let all, _) = try ledger.record(try scan(try ledger.watch()), detectedAt: detectedAt) {
                return all
            }
        }
    }

    /// Overlapped: each chunk matched on another thread while the next is parsed, its alerts
    /// built meanwhile; and the settled alerts made ready on another thread.
    @Test(arguments: [64, 700, 1 << 20], [false, true])
    func aSpilledStreamedExportSettlesAsTheWholeFileDoes(chunkBytes: Int, overlapped: Bool) throws {
        let wholeLedger = StateLedger(database: try StateDatabase(path: ":memory:"), spool: nil)
        // Two alerts in memory at most: the settled batches spill too.
        let spilledLedger = StateLedger(
            database: try StateDatabase(path: ":memory:"), spool: nil, alertsInMemory: 2, preparesAhead: overlapped)
        let wholeScanner = ExportScanner(ruleSet: shippedRules, fingerprintKey: Self.key)
        var spillingScanner = wholeScanner
        spillingScanner.makeSpill = AlertSpillFile.maker()
        spillingScanner.overlapsMatching = overlapped
        let scratch = try MatchScratch()
        var spilledBatches = 0
        var sightings = 0
        var streamed = 0
        for (name, bytes) in Self.inputs {
            #expect(!bytes.isEmpty, "\(name) is there")
            let whole = try Self.settle(wholeLedger) { watch in
                wholeScanner.scan(
                    bytes, path: name, fileName: name, scratch: scratch, detectedAt: Self.detectedAt, watch: watch)
            }
            let spilled = try Self.settle(spilledLedger) { watch in
                var source = MemoryByteSource(bytes)
                let result = StreamingExportScanner(scanner: spillingScanner, chunkBytes: chunkBytes).scan(
                    &source, path: name, fileName: name, scratch: scratch, detectedAt: Self.detectedAt, watch: watch)
                #expect(result.failure == nil)
                // A text export streams, its alerts all on disk; a zip is read whole.
                if result.spilledAlerts != nil {
                    streamed += 1
                    #expect(result.alerts.isEmpty)
                    #expect(result.alertCount == result.spilledAlerts?.count)
                }
                return result
            }
            #expect(try spilled.alerts.collected() == whole.alerts.collected(), "\(name)")
            #expect(spilled.records == whole.records, "\(name)")
            if spilled.alerts.isSpilled { spilledBatches += 1 }
            sightings += spilled.records.filter { $0.kind == .sighting }.count
        }
        #expect(streamed >= 5, "text exports were streamed, their alerts spilled")
        #expect(spilledBatches >= 3, "settled batches were spilled")
        #expect(sightings > 0, "later phones' exports gave sightings")

        // The same file again is not settled twice: what it gave is read back from the state.
        let (name, bytes) = Self.inputs[0]
        let again = try Self.settle(spilledLedger) { watch in
            var source = MemoryByteSource(bytes)
            return StreamingExportScanner(scanner: spillingScanner, chunkBytes: chunkBytes).scan(
                &source, path: name, fileName: name, scratch: scratch, detectedAt: Self.detectedAt, watch: watch)
        }
        let first = try Self.settle(wholeLedger) { watch in
            wholeScanner.scan(
                bytes, path: name, fileName: name, scratch: scratch, detectedAt: Self.detectedAt, watch: watch)
        }
        #expect(try again.alerts.collected() == first.alerts.collected())
    }

    @Test func aSpilledScanWithoutAWatchKeepsItsAlertsOnceByID() throws {
        let ledger = StateLedger(database: try StateDatabase(path: ":memory:"), spool: nil, alertsInMemory: 1)
        var scanner = ExportScanner(ruleSet: shippedRules, fingerprintKey: Self.key)
        scanner.makeSpill = AlertSpillFile.maker()
        let scratch = try MatchScratch()
        let (name, bytes) = Self.inputs[4]
        let whole = scanner.scan(bytes, path: name, fileName: name, scratch: scratch, detectedAt: Self.detectedAt)
        var source = MemoryByteSource(bytes)
        let streamed = StreamingExportScanner(scanner: scanner, chunkBytes: 100).scan(
            &source, path: name, fileName: name, scratch: scratch, detectedAt: Self.detectedAt)
        #expect(streamed.transcripts.isEmpty)
        guard case .recorded(let all, let fresh) = try ledger.record(streamed, detectedAt: Self.detectedAt) else {
            Issue.record("not recorded")
            return
        }
        #expect(try all.alerts.collected() == whole.alerts)
        #expect(fresh.alerts.count == whole.alerts.count)
        #expect(!whole.alerts.isEmpty)
    }
}

extension SpilledSettlementTests {
    /// The same file settled again without a watch gives what it gave the first time: each alert
    /// once (its export is replayed, and its unkeyed alerts are not added a second time).
    @Test(arguments: [false, true])
    func aFileSettledAgainWithoutAWatchGivesEachAlertOnce(spilled: Bool) throws {
        let ledger = StateLedger(database: try StateDatabase(path: ":memory:"), spool: nil, alertsInMemory: 1)
        var scanner = ExportScanner(ruleSet: shippedRules, fingerprintKey: Self.key)
        scanner.makeSpill = AlertSpillFile.maker()
        let scratch = try MatchScratch()
        let (name, bytes) = Self.inputs[4]
        func scan() -> ScanResult {
            guard spilled else {
                return scanner.scan(bytes, path: name, fileName: name, scratch: scratch, detectedAt: Self.detectedAt)
            }
            var source = MemoryByteSource(bytes)
            return StreamingExportScanner(scanner: scanner, chunkBytes: 100).scan(
                &source, path: name, fileName: name, scratch: scratch, detectedAt: Self.detectedAt)
        }
        var batches: [[Alert]] = []
        for _ in 0..<2 {
            guard case .recorded(let all, _) = try ledger.record(scan(), detectedAt: Self.detectedAt) else {
                Issue.record("not recorded")
                return
            }
            batches.append(try all.alerts.collected())
        }
        #expect(!batches[0].isEmpty)
        #expect(batches[1] == batches[0])
        #expect(Set(batches[1].map(\.id)).count == batches[1].count, "no alert twice")
    }
}

/// An alert list keeps the first alerts in memory and the rest on disk, and gives them all back in
/// order; a spool takes a spilled batch a page at a time, all or nothing.
@Suite struct AlertListTests {
    static func alerts(_ count: Int) throws -> [Alert] {
        let scanner = ExportScanner(ruleSet: shippedRules, fingerprintKey: SpilledSettlementTests.key)
        let (name, bytes) = SpilledSettlementTests.inputs[4]
        let found = scanner.scan(bytes, path: name, fileName: name, scratch: try MatchScratch(), detectedAt: "t").alerts
        #expect(!found.isEmpty)
        return (0..<count).map { index in
            var alert = found[index % found.count]
            alert.id = "\(alert.id)-\(index)"
            return alert
        }
    }

    @Test(arguments: [0, 1, 5, 50])
    func alertsComeBackInOrder(memoryLimit: Int) throws {
        let alerts = try Self.alerts(40)
        var list = AlertList(memoryLimit: memoryLimit, makeSpill: AlertSpillFile.maker())
        for alert in alerts { try list.append(alert) }
        #expect(list.count == alerts.count)
        #expect(list.isSpilled == (memoryLimit < alerts.count))
        #expect(try list.collected() == alerts)
        // A copy reads what it counted, even when the original grows on.
        let copy = list
        try list.append(alerts[0])
        #expect(try copy.collected() == alerts)
        #expect(try list.collected() == alerts + [alerts[0]])
        var empty = list.emptyCopy()
        #expect(empty.isEmpty)
        try empty.append(alerts[1])
        #expect(try empty.collected() == [alerts[1]])
    }

    /// A line given with an alert comes back as it was given, in memory or spilled, without the
    /// alert; alerts given without one get theirs made; the alerts read back are unchanged.
    @Test(arguments: [0, 5, 50])
    func jsonLinesGivenWithAlertsComeBackAsGiven(memoryLimit: Int) throws {
        let alerts = try Self.alerts(20)
        var list = AlertList(memoryLimit: memoryLimit, makeSpill: AlertSpillFile.maker())
        for (index, alert) in alerts.enumerated() {
            try list.append(alert, jsonLine: index.isMultiple(of: 2) ? "given \(index)" : nil)
        }
        var lines: [String] = []
        var ids: [String] = []
        try list.forEachJSONLine { id, line in
            ids.append(id)
            lines.append(line)
        }
        #expect(ids == alerts.map(\.id))
        #expect(
            lines
                == alerts.enumerated().map { index, alert in
                    index.isMultiple(of: 2) ? "given \(index)" : AlertFormatting.jsonLine(alert)
                })
        #expect(try list.collected() == alerts)
        var reader = try list.makeReader()
        var readIDs: [String] = []
        while let id = try reader.nextID() { readIDs.append(id) }
        #expect(readIDs == alerts.map(\.id))
    }

    @Test func aSpoolWritesASpilledBatchAPageAtATime() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("spool-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var configuration = AlertSpool.Configuration(directory: directory.path)
        configuration.pageBytes = 2048
        let spool = try AlertSpool(configuration)
        let alerts = try Self.alerts(300)
        var list = AlertList(memoryLimit: 10, makeSpill: AlertSpillFile.maker())
        for alert in alerts { try list.append(alert) }
        try spool.deliver(AlertBatch(alerts: list))
        try spool.deliver(AlertBatch(alerts: list))  // nothing new: nothing written twice
        let lines = try String(contentsOf: directory.appendingPathComponent("alerts.jsonl"), encoding: .utf8)
            .split(separator: "\n").map(String.init)
        #expect(lines == alerts.map(AlertFormatting.jsonLine))
        #expect(try spool.unseen(AlertBatch(alerts: list)).isEmpty)
    }
}
