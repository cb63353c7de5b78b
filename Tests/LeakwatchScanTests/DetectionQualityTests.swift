import Foundation
import Testing

/// Floors on measured detection quality, through `leakwatch eval` as an admin runs it: a rule
/// change that loses recall or precision fails here.
@Suite struct DetectionQualityTests {
    static let corpus = CommandLine.repository.appendingPathComponent("bench/corpus")

    /// The project's own labelled corpus: recall and precision at least 0.90 overall, recall at
    /// least 0.80 in every category.
    @Test func theDevelopmentCorpusMeetsItsFloors() throws {
        let result = try CommandLine.run([
            "eval", "--labels", Self.corpus.appendingPathComponent("labels.json").path, "--rules", "rules",
            Self.corpus.appendingPathComponent("exports").path, "--min-recall", "0.90", "--min-precision", "0.90",
            "--min-recall", "each=0.80", "--format", "json",
        ])
        let report = try #require(
            try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], "\(result.stderr)")
        let checks = report["checks"] as? [[String: Any]] ?? []
        for check in checks where check["holds"] as? Bool != true {
            Issue.record("floor missed: \(check)")
        }
        #expect(checks.count == 2 + 7, "overall recall and precision, and recall of each of the seven categories")
        #expect(result.status == 0, "\(result.stderr)")
        // Every category has enough positives to be measured.
        for entry in report["categories"] as? [[String: Any]] ?? [] {
            let score = entry["score"] as? [String: Any]
            #expect((score?["positives"] as? Int ?? 0) >= 40, "\(entry["category"] ?? "?")")
        }
        #expect((report["messages"] as? Int ?? 0) > 5000)
        #expect((report["warnings"] as? [String] ?? []).isEmpty, "labels all land on messages")
    }

    /// The EDOS dev split (`../shared/data/edos`), written out as a Telegram export by
    /// `bench/edos_export.py` into a temporary directory, never into the project.
    private func edos() throws -> (export: String, labels: String, directory: TemporaryDirectory)? {
        let csv = CommandLine.repository.appendingPathComponent("../shared/data/edos/edos-train-dev.csv").path
        guard FileManager.default.fileExists(atPath: csv) else {
            print("skipped: \(csv) is absent")
            return nil
        }
        let directory = try TemporaryDirectory()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "python3", CommandLine.repository.appendingPathComponent("bench/edos_export.py").path, csv, "dev",
            directory.url.path,
        ]
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0)
        return (
            directory.url.appendingPathComponent("edos-dev.json").path,
            directory.url.appendingPathComponent("edos-dev.labels.json").path, directory
        )
    }

    /// Conduct rules aimed at misogyny, "sexist" posts as positives: precision at least 0.75 and
    /// recall at least 0.35 (a slur list alone reaches about 0.74 at 0.23).
    @Test func edosDevMisogynyFloors() throws {
        guard let edos = try edos() else { return }
        let result = try CommandLine.run([
            "eval", "--labels", edos.labels, "--rules", "rules", edos.export, "--category", "conduct", "--tag",
            "misogyny", "--min-precision", "0.75", "--min-recall", "0.35",
        ])
        #expect(result.status == 0, "\(result.stdout.split(separator: "\n").prefix(12).joined(separator: "\n"))")
    }

    /// Ordinary posts do not set off the other six categories: alerts of any category but conduct
    /// on fewer than 1% of the non-sexist dev posts.
    @Test func edosDevBenignPostsRaiseFewNonConductAlerts() throws {
        guard let edos = try edos() else { return }
        let others = [
            "crime-scene-media", "location", "case-reference", "protective-marking", "personal-data", "intelligence",
        ]
        let result = try CommandLine.run(
            ["eval", "--labels", edos.labels, "--rules", "rules", edos.export, "--format", "json"]
                + others.flatMap { ["--category", $0] })
        let report = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let flagged = Set((report["false_positives"] as? [[String: Any]] ?? []).compactMap { $0["locator"] as? String })
        let messages = report["messages"] as? Int ?? 0
        #expect(messages == 2000)
        // 1,514 of the 2,000 dev posts are not sexist; every flagged post counts against the floor.
        #expect(Double(flagged.count) < 0.01 * 1514, "\(flagged.count) posts flagged")
    }
}
