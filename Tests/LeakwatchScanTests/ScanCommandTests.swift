import Foundation
import Testing

@Suite(.serialized) struct ScanCommandTests {
    let keyDirectory: TemporaryDirectory
    init() throws { keyDirectory = try TemporaryDirectory() }
    var keyArguments: [String] { ["--key", keyDirectory.path("fingerprint.key")] }

    /// `file:line rule field sender` per alert, from JSON output.
    func summarize(_ jsonLines: [String]) throws -> [String] {
        try jsonLines.compactMap { line in
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            guard object["schema"] as? String == "leakwatch.alert.v1" else { return nil }
            let source = try #require(object["source"] as? [String: Any])
            let message = try #require(object["message"] as? [String: Any])
            let rule = try #require(object["rule"] as? [String: Any])
            let match = try #require(object["match"] as? [String: Any])
            let file = (source["path"] as? String ?? "").split(separator: "/").last.map(String.init) ?? ""
            let lineNumber = (message["line"] as? Int).map(String.init) ?? "-"
            return
                "\(file):\(lineNumber) \(rule["id"] as? String ?? "") \(match["field"] as? String ?? "") \(message["sender"] as? String ?? "-")"
        }
    }

    @Test func samplesGiveExactlyTheExpectedAlertsInJSON() throws {
        let result = try CommandLine.run(["scan", "--rules", "rules", "--format", "json", "samples"] + keyArguments)
        #expect(result.status == 1, "\(result.stderr)")
        let expected = try String(
            contentsOf: CommandLine.repository.appendingPathComponent(
                "Tests/LeakwatchScanTests/Golden/samples.expected"),
            encoding: .utf8
        ).split(separator: "\n").map(String.init)
        #expect(try summarize(result.lines) == expected)
        // Masked: none of the sensitive values leaves the process in clear.
        for secret in ["LS6 2AB", "LS6 2AB".lowercased(), "12 Acacia", "///"] {
            #expect(!result.stdout.contains(secret), "\(secret) leaked")
        }
    }

    @Test func samplesGiveTheSameAlertsInText() throws {
        let json = try CommandLine.run(["scan", "--rules", "rules", "--format", "json", "samples"] + keyArguments)
        let text = try CommandLine.run(["scan", "--rules", "rules", "samples"] + keyArguments)
        #expect(text.status == 1)
        let textKeys = text.lines.map { line -> String in
            // "samples/x.txt:7: HIGH rule.id [...] excerpt"
            let parts = line.split(separator: " ", maxSplits: 3)
            return "\(parts[0].split(separator: "/").last ?? "")\(parts[2])"
        }
        let jsonKeys = try summarize(json.lines).map { entry -> String in
            let parts = entry.split(separator: " ")
            return "\(parts[0]):\(parts[1])"
        }
        #expect(textKeys == jsonKeys)
        #expect(!text.stdout.contains("\u{1B}["), "no colour when not on a terminal")
    }

    @Test func whenJITIsRefusedTheInterpreterGivesTheSameAlertsWithOneWarning() throws {
        let normal = try CommandLine.run(["scan", "--rules", "rules", "--format", "json", "samples"] + keyArguments)
        let denied = try CommandLine.run(
            ["scan", "--rules", "rules", "--format", "json", "samples"] + keyArguments, denyWriteExecute: true)
        guard denied.status != 77, denied.status != 127 else {
            print("skipped: prctl(PR_SET_MDWE) or python3 unavailable here")
            return
        }
        #expect(denied.status == 1)
        #expect(denied.stderr.components(separatedBy: "PCRE2 JIT refused").count == 2, "one warning: \(denied.stderr)")
        #expect(try summarize(denied.lines) == summarize(normal.lines))
        let ids = { (result: CommandLine.Result) in
            result.lines.compactMap { line in
                (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["id"] as? String
            }
        }
        #expect(ids(denied) == ids(normal))
    }

    @Test func exitCodes() throws {
        let directory = try TemporaryDirectory()
        try directory.write("clean.txt", "nothing to see here\nsee you at 18:14\n")
        try directory.write("hit.txt", "OFFICIAL-SENSITIVE briefing\n")
        let clean = try CommandLine.run(["scan", "--rules", "rules", directory.path("clean.txt")] + keyArguments)
        #expect(clean.status == 0)
        #expect(clean.stdout.isEmpty)
        let hit = try CommandLine.run(["scan", "--rules", "rules", directory.path("hit.txt")] + keyArguments)
        #expect(hit.status == 1)
        let missing = try CommandLine.run(
            ["scan", "--rules", "rules", directory.path("missing.txt"), directory.path("hit.txt")] + keyArguments)
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("missing.txt"))
        #expect(missing.stderr.contains("No such file or directory"))
        #expect(missing.lines.count == 1, "the other file is still scanned")
    }

    @Test func anUnreadableFileIsNamedAndTheOthersAreStillScanned() throws {
        guard getuid() != 0 else { return }  // root reads anything
        let directory = try TemporaryDirectory()
        let locked = try directory.write("locked.txt", "OFFICIAL-SENSITIVE\n")
        try FileManager.default.setAttributes([.posixPermissions: 0], ofItemAtPath: locked.path)
        try directory.write("open.txt", "OFFICIAL-SENSITIVE\n")
        let result = try CommandLine.run(["scan", "--rules", "rules", directory.url.path] + keyArguments)
        #expect(result.status == 2)
        #expect(result.stderr.contains("locked.txt: cannot open: Permission denied"))
        #expect(result.lines.count == 1)
    }

    @Test func headerTimestampsNeverMatchRules() throws {
        let directory = try TemporaryDirectory()
        try directory.write(
            "rules/dates.yml",
            """
            - id: case-reference.any-date
              title: Any date or time
              category: case-reference
              severity: high
              pattern: '\\d{1,2}/\\d{1,2}/\\d{2,4}|\\d{1,2}:\\d{2}'
              examples:
                match: ['07/11/2021']
            """)
        try directory.write(
            "android.txt",
            """
            07/11/2021, 18:14 - Alice: morning all
            07/11/2021, 6:15 pm - Bob: coffee?
            """)
        try directory.write(
            "ios.txt",
            "[07/11/2021, 18:16:02] Carol: nope\r\n\u{200E}[07/11/2021, 18:17:02] Dan: \u{200E}<attached: 00000012-PHOTO-2021-11-07-18-14-02.jpg>\r\n"
        )
        let result = try CommandLine.run(
            [
                "scan", "--rules", directory.path("rules"), "--format", "json", directory.path("android.txt"),
                directory.path("ios.txt"),
            ]
                + keyArguments)
        #expect(result.status == 0, "\(result.stdout)")
        // The same text in a body does match.
        try directory.write("body.txt", "07/11/2021, 18:14 - Alice: see you 08/11/2021\n")
        let body = try CommandLine.run(
            ["scan", "--rules", directory.path("rules"), directory.path("body.txt")] + keyArguments)
        #expect(body.status == 1)
    }

    @Test func catastrophicRuleAndInvalidUTF8GiveRecordsQuickly() throws {
        let directory = try TemporaryDirectory()
        try directory.write(
            "rules/evil.yml",
            """
            - id: conduct.evil
              title: Evil
              category: conduct
              severity: low
              pattern: '(a+)+\\b(?!!)'
              examples:
                match: ['aaa']
            - id: protective-marking.os
              title: OS
              category: protective-marking
              severity: high
              pattern: 'OFFICIAL-SENSITIVE'
              examples:
                match: ['OFFICIAL-SENSITIVE']
            """)
        var bytes =
            Data("07/11/2021, 18:14 - Alice: ".utf8) + Data(repeating: UInt8(ascii: "a"), count: 40) + Data("!\n".utf8)
        bytes += Data("07/11/2021, 18:15 - Bob: \u{FF}".utf8) + Data([0xFF, 0xC0]) + Data(" OFFICIAL-SENSITIVE\n".utf8)
        try directory.write("chat.txt", bytes)
        let started = Date()
        let result = try CommandLine.run(
            ["scan", "--rules", directory.path("rules"), "--format", "json", directory.path("chat.txt")] + keyArguments)
        #expect(Date().timeIntervalSince(started) < 30)
        #expect(result.status == 1)
        let records = result.lines.compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        let alerts = records.filter { $0["schema"] as? String == "leakwatch.alert.v1" }
        #expect(alerts.count == 1)
        let ruleError = try #require(records.first { $0["kind"] as? String == "rule-error" })
        #expect(ruleError["schema"] as? String == "leakwatch.record.v1")
        #expect(ruleError["rule"] as? String == "conduct.evil")
        #expect(ruleError["line"] as? Int == 1)
        #expect(records.contains { $0["code"] as? String == "invalid-utf8" })
    }
}
