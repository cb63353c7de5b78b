import Foundation
import Testing

/// `leakwatch scan --stats`: what each rule cost and the totals, on stderr, through the binary.
@Suite(.serialized) struct ScanStatsTests {
    let keyDirectory: TemporaryDirectory
    init() throws { keyDirectory = try TemporaryDirectory() }
    var keyArguments: [String] { ["--key", keyDirectory.path("fingerprint.key")] }

    /// The ids of the shipped rules, from `leakwatch rules list`.
    func shippedRuleIDs() throws -> [String] {
        let list = try CommandLine.run(["rules", "list", "--rules", "rules"])
        #expect(list.status == 0, "\(list.stderr)")
        return list.lines.compactMap { $0.split(separator: "\t").first.map(String.init) }
    }

    /// The ids of the alerts in JSON output.
    func alertIDs(_ jsonLines: [String]) throws -> [String] {
        try jsonLines.compactMap { line in
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            return object["schema"] as? String == "leakwatch.alert.v1" ? object["id"] as? String : nil
        }
    }

    func alertCount(_ jsonLines: [String]) throws -> Int { try alertIDs(jsonLines).count }

    @Test func theTableNamesEveryRuleSlowestFirstWithTheTotals() throws {
        let plain = try CommandLine.run(["scan", "--rules", "rules", "--format", "json", "samples"] + keyArguments)
        let result = try CommandLine.run(
            ["scan", "--rules", "rules", "--format", "json", "--stats", "samples"] + keyArguments)
        #expect(result.status == 1, "\(result.stderr)")
        // The alerts are those of a scan without --stats; the statistics go to stderr only.
        #expect(try alertIDs(result.lines) == alertIDs(plain.lines))
        let lines = result.stderr.split(separator: "\n").map(String.init)
        let header = try #require(lines.firstIndex(of: "rule\tms\tms/MB\tshare\tcalls\thits"), "\(result.stderr)")
        let rows = lines[(header + 1)...].map { $0.split(separator: "\t").map(String.init) }
            .prefix { $0.count == 6 && $0[0] != "total" }
        let ruleIDs = try shippedRuleIDs()
        #expect(!ruleIDs.isEmpty)
        #expect(Set(rows.map { $0[0] }) == Set(ruleIDs))
        #expect(rows.count == ruleIDs.count)
        let times = rows.map { Double($0[1]) ?? -1 }
        #expect(times.allSatisfy { $0 >= 0 })
        #expect(times == times.sorted(by: >), "slowest first")
        #expect(rows.allSatisfy { $0[3].hasSuffix("%") && Int($0[4]) != nil && Int($0[5]) != nil })
        let total = try #require(lines.first { $0.hasPrefix("total\t") }).split(separator: "\t")
        #expect(Int(total[4]) == rows.reduce(0) { $0 + (Int($1[4]) ?? 0) }, "calls add up")
        #expect(Int(total[4]) ?? 0 > 0)
        let alerts = try alertCount(plain.lines)
        let summary = try #require(lines.last)
        #expect(summary.hasPrefix("3 file(s), "), "\(summary)")
        #expect(summary.contains(", \(alerts) alerts in "), "\(summary)")
        #expect(summary.hasSuffix(" MB/s"), "\(summary)")
    }

    @Test func theJSONFormIsOneObjectWithEveryRule() throws {
        let result = try CommandLine.run(
            ["scan", "--rules", "rules", "--format", "json", "--stats", "--stats-format", "json", "samples"]
                + keyArguments)
        #expect(result.status == 1, "\(result.stderr)")
        let line = try #require(result.stderr.split(separator: "\n").last)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(object["files"] as? Int == 3)
        #expect(object["alerts"] as? Int == (try alertCount(result.lines)))
        let sampleBytes = try FileManager.default.contentsOfDirectory(
            atPath: CommandLine.repository.appendingPathComponent("samples").path
        ).reduce(0) { sum, name in
            let path = CommandLine.repository.appendingPathComponent("samples/\(name)").path
            return sum + ((try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0)
        }
        #expect(object["bytes"] as? Int == sampleBytes)
        #expect((object["messages"] as? Int ?? 0) > 0)
        #expect(object["wall_seconds"] as? NSNumber != nil)
        let rules = try #require(object["rules"] as? [[String: Any]])
        #expect(Set(rules.compactMap { $0["rule"] as? String }) == Set(try shippedRuleIDs()))
        let total = try #require(object["total"] as? [String: Any])
        #expect(total["calls"] as? Int == rules.reduce(0) { $0 + ($1["calls"] as? Int ?? 0) })
        let shares = rules.compactMap { ($0["share"] as? NSNumber)?.doubleValue }
        #expect(shares.count == rules.count)
        #expect(abs(shares.reduce(0, +) - 1) < 0.001)
    }
}
