import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `STATE/metrics/leakwatch.prom`: the Prometheus text exposition format, written by the daemon
/// at start, after processed files and at stop, read here as node_exporter's textfile collector
/// would.
@Suite(.serialized) struct DaemonMetricsTests {
    /// One parsed exposition file: samples by name and labels, and the declared families.
    struct Exposition {
        struct Sample: Hashable {
            var name: String
            var labels: [String: String]
            var value: Double
        }
        var samples: [Sample] = []
        var help: Set<String> = []
        var types: [String: String] = [:]

        /// Parses the text strictly: `# HELP name text`, `# TYPE name type`, or
        /// `name{label="value",...} value`, and every sample's family declared before it.
        init(_ text: String) throws {
            #expect(text.hasSuffix("\n"))
            for line in text.split(separator: "\n", omittingEmptySubsequences: false).dropLast() {
                if line.hasPrefix("# HELP ") {
                    let parts = line.split(separator: " ", maxSplits: 3)
                    try #require(parts.count == 4, "\(line)")
                    help.insert(String(parts[2]))
                    continue
                }
                if line.hasPrefix("# TYPE ") {
                    let parts = line.split(separator: " ")
                    try #require(parts.count == 4, "\(line)")
                    try #require(["counter", "gauge", "histogram"].contains(parts[3]), "\(line)")
                    types[String(parts[2])] = String(parts[3])
                    continue
                }
                let sample = try #require(Self.parseSample(String(line)), "not a sample line: \(line)")
                var family = sample.name
                for suffix in ["_bucket", "_sum", "_count"] where types[family] == nil && family.hasSuffix(suffix) {
                    family = String(family.dropLast(suffix.count))
                }
                try #require(types[family] != nil && help.contains(family), "no HELP/TYPE before \(line)")
                samples.append(sample)
            }
        }

        static func parseSample(_ line: String) -> Sample? {
            var rest = Substring(line)
            let name = rest.prefix { $0.isLetter || $0.isNumber || $0 == "_" || $0 == ":" }
            guard !name.isEmpty, name.first?.isNumber == false else { return nil }
            rest = rest.dropFirst(name.count)
            var labels: [String: String] = [:]
            if rest.first == "{" {
                rest = rest.dropFirst()
                while rest.first != "}" {
                    let key = rest.prefix { $0.isLetter || $0.isNumber || $0 == "_" }
                    guard !key.isEmpty else { return nil }
                    rest = rest.dropFirst(key.count)
                    guard rest.hasPrefix("=\"") else { return nil }
                    rest = rest.dropFirst(2)
                    var value = ""
                    while let character = rest.first, character != "\"" {
                        rest = rest.dropFirst()
                        if character == "\\" {
                            guard let escaped = rest.first else { return nil }
                            rest = rest.dropFirst()
                            value.append(escaped == "n" ? "\n" : escaped)
                        } else {
                            value.append(character)
                        }
                    }
                    guard rest.first == "\"" else { return nil }
                    rest = rest.dropFirst()
                    labels[String(key)] = value
                    if rest.first == "," { rest = rest.dropFirst() }
                }
                rest = rest.dropFirst()
            }
            guard rest.first == " " else { return nil }
            let valueText = rest.dropFirst()
            let value: Double? = valueText == "+Inf" ? .infinity : Double(valueText)
            guard let value, !valueText.contains(" ") else { return nil }
            return Sample(name: String(name), labels: labels, value: value)
        }

        func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
            samples.first { $0.name == name && $0.labels == labels }?.value
        }

        func all(_ name: String) -> [Sample] { samples.filter { $0.name == name } }
    }

    func metrics(_ daemon: DaemonHarness) -> String { daemon.state + "/metrics/leakwatch.prom" }

    func read(_ daemon: DaemonHarness) throws -> Exposition? {
        guard let data = FileManager.default.contents(atPath: metrics(daemon)) else { return nil }
        return try Exposition(String(decoding: data, as: UTF8.self))
    }

    @Test func theDaemonWritesParsableMetricsThatCountWhatItDid() throws {
        let daemon = try DaemonHarness()
        try daemon.startReady()
        // At start: nothing processed yet, the rules in force, their load a success.
        let atStart = try #require(try read(daemon), "no metrics file at start; log: \(daemon.log)")
        #expect(atStart.value("leakwatch_files_processed_total") == 0)
        #expect(atStart.value("leakwatch_rules") == Double(try DaemonHarness.shippedRuleCount()))
        #expect(atStart.value("leakwatch_last_reload_success") == 1)
        #expect((atStart.value("leakwatch_last_reload_timestamp_seconds") ?? 0) > 1_600_000_000)
        #expect(atStart.all("leakwatch_alerts_total").count == (try DaemonHarness.shippedRuleCount()))
        var info = stat()
        stat(daemon.state + "/metrics", &info)
        #expect(info.st_mode & 0o777 == 0o750)
        stat(metrics(daemon), &info)
        #expect(info.st_mode & 0o777 == 0o640)

        let sample = try daemon.sampleData("whatsapp-android-shift.txt")
        try daemon.drop("whatsapp-android-shift.txt", contents: sample)
        symlink("/etc/passwd", daemon.drop + "/passwd-link")
        let expectedAlerts = try DaemonHarness.alertCount("whatsapp-android-shift.txt")
        #expect(expectedAlerts > 0)
        #expect(try eventually { try daemon.spoolAlertIDs().count == expectedAlerts })
        var current: Exposition?
        let counted = try eventually(timeout: .seconds(60)) {
            current = try read(daemon)
            return current?.value("leakwatch_files_processed_total") == 1
                && current?.value("leakwatch_files_quarantined_total", ["reason": "not-regular-file"]) == 1
        }
        #expect(counted, "\(String(describing: try? String(contentsOfFile: metrics(daemon), encoding: .utf8)))")
        let after = try #require(current)
        #expect(after.value("leakwatch_scanned_bytes_total") == Double(sample.count))
        #expect((after.value("leakwatch_messages_total") ?? 0) > 0)
        let alerts = after.all("leakwatch_alerts_total")
        #expect(alerts.reduce(0) { $0 + $1.value } == Double(expectedAlerts))
        #expect(alerts.allSatisfy { $0.labels["category"] != nil && $0.labels["rule"] != nil })
        // Alerts by category: each alerting rule's category is one of the spool's.
        let spoolCategories = Set(
            try daemon.spoolObjects().compactMap { ($0["rule"] as? [String: Any])?["category"] as? String })
        #expect(Set(alerts.filter { $0.value > 0 }.compactMap { $0.labels["category"] }) == spoolCategories)
        // The histogram: one export, cumulative buckets ending in +Inf.
        #expect(after.types["leakwatch_scan_seconds"] == "histogram")
        #expect(after.value("leakwatch_scan_seconds_count") == 1)
        #expect(after.value("leakwatch_scan_seconds_bucket", ["le": "+Inf"]) == 1)
        let buckets = after.all("leakwatch_scan_seconds_bucket").map(\.value)
        #expect(buckets.count > 2 && buckets == buckets.sorted())
        #expect((after.value("leakwatch_scan_seconds_sum") ?? -1) > 0)
        #expect(after.value("leakwatch_queue_depth") != nil)
        #expect(after.types["leakwatch_rule_errors_total"] == "counter")
        #expect(after.all("leakwatch_rule_errors_total").isEmpty)
        // The spool's size, once the writes after the last delivery are out.
        let spoolSize = Double(
            (try FileManager.default.attributesOfItem(atPath: daemon.spoolFile)[.size] as? Int) ?? -1)
        #expect(try eventually { try read(daemon)?.value("leakwatch_spool_bytes") == spoolSize })
        // Written by rename: no temporary file is left beside it.
        #expect(
            eventually {
                (try? FileManager.default.contentsOfDirectory(atPath: daemon.state + "/metrics")) == ["leakwatch.prom"]
            })

        #expect(daemon.stop() == 0)
        let atStop = try #require(try read(daemon))
        #expect(atStop.value("leakwatch_files_processed_total") == 1)
    }

    @Test func aRejectedReloadShowsInTheMetrics() throws {
        let daemon = try DaemonHarness()
        try daemon.startReady()
        let before = try #require(try read(daemon)?.value("leakwatch_last_reload_timestamp_seconds"))
        try "- id: x\n  title: [broken\n".write(toFile: daemon.rules + "/local.yml", atomically: true, encoding: .utf8)
        kill(daemon.pid, SIGHUP)
        var after: Exposition?
        #expect(
            try eventually {
                after = try read(daemon)
                return after?.value("leakwatch_last_reload_success") == 0
            })
        #expect((after?.value("leakwatch_last_reload_timestamp_seconds") ?? 0) >= before)
        #expect(after?.value("leakwatch_rules") == Double(try DaemonHarness.shippedRuleCount()))
        #expect(daemon.stop() == 0)
    }
}
