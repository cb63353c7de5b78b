import Foundation
import Testing

@Suite struct RulesCommandTests {
    @Test func shippedRulesCheckCleanAndPassTheirExamples() throws {
        let check = try CommandLine.run(["rules", "check", "--rules", "rules"])
        #expect(check.status == 0, "\(check.stdout)")
        let test = try CommandLine.run(["rules", "test", "--rules", "rules"])
        #expect(test.status == 0, "\(test.stdout)")
        #expect(test.stdout.contains(" 0 failed"))
    }

    @Test func shippedRulesUseOnlyTheDocumentedCategories() throws {
        let list = try CommandLine.run(["rules", "list", "--rules", "rules"])
        let categories = Set(list.lines.map { $0.split(separator: "\t")[1] })
        let allowed: Set<Substring> = [
            "crime-scene-media", "location", "case-reference", "protective-marking", "personal-data", "intelligence",
            "conduct",
        ]
        #expect(categories.isSubset(of: allowed))
        #expect(categories.isSuperset(of: ["crime-scene-media", "location", "case-reference", "protective-marking"]))
    }

    @Test func checkReportsEveryProblemAsFileLineColumnRuleMessage() throws {
        let directory = try TemporaryDirectory()
        try directory.write("a-bad-yaml.yml", "- id: x.one\n  title: [oops\n")
        try directory.write(
            "b-bad-pattern.yml",
            """
            - id: x.pattern
              title: Bad pattern
              category: location
              severity: low
              pattern: 'a(b'
              examples:
                match: ['ab']
            """)
        try directory.write(
            "c-duplicate.yml",
            """
            - id: x.pattern
              title: Duplicate
              category: location
              severity: low
              pattern: 'ab'
              examples:
                no-match: ['zz']
            """)
        let result = try CommandLine.run(["rules", "check", "--rules", directory.url.path])
        #expect(result.status == 1)
        let base = directory.url.path
        #expect(result.lines.contains { $0.hasPrefix("\(base)/a-bad-yaml.yml:3:1: -: YAML error") })
        #expect(
            result.lines.contains(
                "\(base)/b-bad-pattern.yml:5:12: x.pattern: pattern does not compile: missing closing parenthesis at offset 3 in the pattern"
            ))
        #expect(
            result.lines.contains("\(base)/c-duplicate.yml:7:5: x.pattern: at least one 'match' example is required"))
        #expect(
            result.lines.contains { $0.hasPrefix("\(base)/c-duplicate.yml:1:3: x.pattern: duplicate id 'x.pattern'") })
    }

    @Test func testNamesTheFailingRuleAndExample() throws {
        let directory = try TemporaryDirectory()
        try directory.write(
            "r.yml",
            """
            - id: location.postcode-ish
              title: Postcode-ish
              category: location
              severity: low
              pattern: '[A-Z]{2}\\d \\d[A-Z]{2}'
              examples:
                match: ['LS6 2AB', 'ls6 2ab']
                no-match: ['nothing']
            """)
        let result = try CommandLine.run(["rules", "test", "--rules", directory.url.path])
        #expect(result.status == 1)
        #expect(
            result.lines.contains(
                "FAIL \(directory.url.path)/r.yml:7:24: location.postcode-ish: example \"ls6 2ab\" should match but did not"
            ))
        #expect(result.lines.last == "1 rules, 3 examples: 2 passed, 1 failed (1 rule(s) failing)")
    }

    @Test func adminDirectoryOverridesAndDisables() throws {
        let admin = try TemporaryDirectory()
        try admin.write("local.yml", "disable: [protective-marking.secret]\n")
        let list = try CommandLine.run(["rules", "list", "--rules", "rules", "--rules", admin.url.path])
        #expect(list.status == 0)
        #expect(!list.stdout.contains("protective-marking.secret\t"))
        #expect(list.stdout.contains("protective-marking.top-secret\t"))
    }
}

@Suite struct ParseCommandTests {
    @Test func parseShowsFormatSendersAndMessages() throws {
        let result = try CommandLine.run(["parse", "samples/whatsapp-android-shift.txt"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("format:       whatsapp-android"))
        #expect(result.stdout.contains("date order:   d/m/y"))
        #expect(result.stdout.contains("PC Kev Marsh"))
        let json = try CommandLine.run(["parse", "--format", "json", "samples/whatsapp-ios-briefing.txt"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(object["format"] as? String == "whatsapp-ios")
        let messages = try #require(object["messages"] as? [[String: Any]])
        #expect(messages.first?["line"] as? Int == 1)
    }

    /// Forced to stream in small chunks, `parse` prints exactly what it prints reading the file
    /// whole, in both formats; a JSON export is read whole either way.
    @Test(arguments: [
        "samples/whatsapp-ios-briefing.txt", "samples/whatsapp-android-shift.txt", "samples/notes-plain.txt",
        "Tests/LeakwatchCoreTests/Golden/whatsapp/android-12h-mdy.txt",
        "Tests/LeakwatchCoreTests/Golden/telegram/full_export.json",
    ])
    func aStreamedParsePrintsWhatAWholeOnePrints(file: String) throws {
        for format in ["json", "text"] {
            let whole = try CommandLine.run(["parse", "--format", format, file])
            let streamed = try CommandLine.run([
                "parse", "--format", format, "--stream-threshold", "0", "--chunk-size", "64", file,
            ])
            #expect(whole.status == 0)
            #expect(streamed.status == 0)
            #expect(!whole.stdout.isEmpty)
            #expect(streamed.stdout == whole.stdout, "\(file) as \(format)")
            #expect(streamed.stderr == whole.stderr)
        }
    }

    @Test func parseOfAMissingFileNamesItAndFails() throws {
        let result = try CommandLine.run(["parse", "no/such/file.txt"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("no/such/file.txt: cannot open: No such file or directory"))
    }
}
