import Foundation
import Testing

/// `leakwatch rules export-patterns`, run as a user would.
@Suite struct ExportPatternsCommandTests {
    /// Rules whose options change what they match: each example passes only with its options.
    static let optionRules = #"""
        - id: case-reference.keep-k
          title: caseless, \K and a case-sensitive group
          category: case-reference
          severity: low
          pattern: 'ref\s*:\s*\K(?-i:[A-Z]{2})\d{3}'
          options: [caseless]
          examples:
            match: ['REF: AB123', 'Ref:AB123']
            no-match: ['ref: ab123']
        - id: location.ucp-word
          title: ucp makes \w see accented letters
          category: location
          severity: low
          pattern: '^\w+$'
          options: [ucp]
          examples:
            match: ['café']
            no-match: ['two words']
        - id: protective-marking.multiline
          title: multiline anchors
          category: protective-marking
          severity: low
          pattern: '^OFFICIAL$'
          options: [multiline]
          examples:
            match: ["note\nOFFICIAL\nmore"]
            no-match: ['not OFFICIAL here']
        - id: protective-marking.lookbehind
          title: lookbehind on letters, UTF
          category: protective-marking
          severity: low
          pattern: '(?<![\p{L}\p{N}])SECRET(?![\p{L}\p{N}])'
          examples:
            match: ['a SECRET b', 'SECRET']
            no-match: ['éSECRET', 'SECRETS']
        - id: location.dotall
          title: dotall
          category: location
          severity: low
          pattern: 'from.to'
          options: [dotall, caseless]
          examples:
            match: ["FROM\nTO"]
            no-match: ['fromto']
        - id: location.extended
          title: extended, with a comment
          category: location
          severity: low
          pattern: 'grid \s+ ref   # the label'
          options: [extended]
          examples:
            match: ['grid  ref']
            no-match: ['gridref']
        - id: location.line-break
          title: a line break in the pattern
          category: location
          severity: low
          pattern: "one\ntwo"
          examples:
            match: ["one\ntwo"]
            no-match: ['one two']
        """#

    @Test func pcre2LinesStandAloneWithTheRulesOptionsInline() throws {
        let original = try TemporaryDirectory()
        try original.write("options.yml", Self.optionRules)
        let before = try CommandLine.run(["rules", "test", "--rules", original.url.path])
        #expect(before.status == 0, "\(before.stdout)")

        let export = try CommandLine.run(["rules", "export-patterns", "--rules", original.url.path])
        #expect(export.status == 0, "\(export.stderr)")
        #expect(export.stderr.isEmpty)
        #expect(
            export.lines == [
                #"(*UTF)(?i)ref\s*:\s*\K(?-i:[A-Z]{2})\d{3}"#, #"(*UTF)(*UCP)^\w+$"#, "(*UTF)(?m)^OFFICIAL$",
                #"(*UTF)(?<![\p{L}\p{N}])SECRET(?![\p{L}\p{N}])"#, "(*UTF)(?is)from.to",
                #"(*UTF)(?x)grid \s+ ref   # the label"#, #"(*UTF)one\ntwo"#,
            ])

        // The same rules with the exported lines as patterns and no options pass the same examples.
        var standalone = Self.optionRules
        let originalPatterns = [
            #"'ref\s*:\s*\K(?-i:[A-Z]{2})\d{3}'"#, #"'^\w+$'"#, "'^OFFICIAL$'",
            #"'(?<![\p{L}\p{N}])SECRET(?![\p{L}\p{N}])'"#, "'from.to'", #"'grid \s+ ref   # the label'"#,
            #""one\ntwo""#,
        ]
        for (pattern, line) in zip(originalPatterns, export.lines) {
            standalone = standalone.replacingOccurrences(
                of: "pattern: \(pattern)", with: "pattern: '\(line.replacingOccurrences(of: "'", with: "''"))'")
        }
        standalone = standalone.split(separator: "\n", omittingEmptySubsequences: false)
            .filter { !$0.hasPrefix("  options:") }.joined(separator: "\n")
        let rewritten = try TemporaryDirectory()
        try rewritten.write("standalone.yml", standalone)
        let after = try CommandLine.run(["rules", "test", "--rules", rewritten.url.path])
        #expect(after.status == 0, "\(after.stdout)\n\(standalone)")
        #expect(after.stdout.contains("7 rules") && after.stdout.contains(" 0 failed"))
    }

    struct RustCase: Sendable, CustomTestStringConvertible {
        var pattern: String
        var options: String = "[]"
        /// The exported line, or nil when the pattern is left out.
        var line: String?
        var reason: String?
        var testDescription: String { pattern }
    }

    static let rustCases: [RustCase] = [
        RustCase(pattern: #"\bfoo\d+\w\s"#, line: #"(?-u:\b)foo[0-9]+[0-9A-Za-z_][\t\n\x0B\x0C\r ]"#),
        RustCase(pattern: #"\bfoo\d+\w\s"#, options: "[ucp, caseless]", line: #"(?i)\bfoo\d+\w\s"#),
        RustCase(pattern: #"(*UTF)(*UCP)\d"#, line: #"\d"#),
        RustCase(pattern: #"ref\s*\K\d{3}"#, options: "[caseless]", line: #"(?i)ref[\t\n\x0B\x0C\r ]*[0-9]{3}"#),
        RustCase(pattern: #"(?<unit>\d)(?-i:AB)(?i:c)"#, line: #"(?P<unit>[0-9])(?-i:AB)(?i:c)"#),
        RustCase(pattern: #"[\w\-.]+@[^\d\s]"#, line: #"[0-9A-Za-z_\-.]+@[^0-9\t\n\x0B\x0C\r ]"#),
        RustCase(pattern: #"[\x{2010}-\x{2015}\]a-c[&~]"#, line: "[‐-―\\]a-c\\[\\&\\~]"),
        RustCase(pattern: #"a{,3}\/\'b{2,}?"#, line: #"a\{,3\}/'b{2,}?"#),
        RustCase(pattern: #"\Qa.b\E+\x41\e"#, line: #"a\.b+A\x{1B}"#),
        RustCase(
            pattern: #"\Agrid \s+ ref \z # comment"#, options: "[extended]", line: #"^grid[\t\n\x0B\x0C\r ]+ref$"#),
        RustCase(pattern: #"a b(?x) c d (?-x: e )f"#, line: "a bcd(?: e )f"),
        RustCase(
            pattern: #"\h\N\p{L}\P{^N}"#, options: "[ucp]",
            line: #"[\t \x{A0}\x{1680}\x{180E}\x{2000}-\x{200A}\x{202F}\x{205F}\x{3000}][^\n]\p{L}\p{N}"#),
        RustCase(pattern: "(?<![a-z])b", reason: "lookbehind"),
        RustCase(pattern: "a(?!b)", reason: "lookahead"),
        RustCase(pattern: #"(a)\1"#, reason: "backreference"),
        RustCase(pattern: #"(?<n>a)\k<n>"#, reason: "backreference"),
        RustCase(pattern: "(?>a+)b", reason: "atomic group"),
        RustCase(pattern: "a++b", reason: "possessive quantifier"),
        RustCase(pattern: "(a|b(?1))", reason: "recursion or subroutine call"),
        RustCase(pattern: #"\Ga"#, reason: #"\G"#),
        RustCase(pattern: #"a\p{Xan}"#, reason: #"PCRE2-only property \p{Xan}"#),
    ]

    @Test(arguments: rustCases) func rustLinesKeepWhichLinesMatchOrSayWhy(_ rustCase: RustCase) throws {
        let directory = try TemporaryDirectory()
        try directory.write(
            "r.yml",
            """
            - id: location.case
              title: case
              category: location
              severity: low
              pattern: '\(rustCase.pattern.replacingOccurrences(of: "'", with: "''"))'
              options: \(rustCase.options)
              examples:
                match: ['anything']
            """)
        let result = try CommandLine.run([
            "rules", "export-patterns", "--engine", "rust", "--rules", directory.url.path,
        ])
        #expect(result.status == 0, "\(result.stderr)")
        if let line = rustCase.line {
            #expect(result.lines == [line])
            #expect(result.stderr.isEmpty)
        } else {
            #expect(result.stdout.isEmpty)
            let reason = try #require(rustCase.reason)
            #expect(
                result.stderr
                    == "left out location.case: \(reason)\n0 of 1 patterns written for rust; 1 left out (\(reason) 1)\n"
            )
        }
    }

    @Test func shippedRulesExportOneLinePerRuleAndAccountForEveryOneLeftOut() throws {
        let list = try CommandLine.run(["rules", "list", "--rules", "rules"])
        let ruleCount = list.lines.count
        #expect(ruleCount > 20)

        let pcre2 = try CommandLine.run(["rules", "export-patterns", "--rules", "rules"])
        #expect(pcre2.status == 0)
        #expect(pcre2.stderr.isEmpty, "\(pcre2.stderr)")
        #expect(pcre2.lines.count == ruleCount)
        #expect(pcre2.lines.allSatisfy { $0.hasPrefix("(*UTF)") })

        let rust = try CommandLine.run(["rules", "export-patterns", "--engine", "rust", "--rules", "rules"])
        #expect(rust.status == 0)
        let stderrLines = rust.stderr.split(separator: "\n").map(String.init)
        let leftOut = stderrLines.filter { $0.hasPrefix("left out ") }
        #expect(rust.lines.count + leftOut.count == ruleCount)
        #expect(
            stderrLines.last?.hasPrefix(
                "\(rust.lines.count) of \(ruleCount) patterns written for rust; \(leftOut.count) left out (")
                == true, "\(rust.stderr)")
        #expect(rust.lines.allSatisfy { !$0.contains(#"\K"#) && !$0.contains("(?<") && !$0.contains("(*") })
    }

    /// With ripgrep and pcre2grep installed (`make bench` installs them): every line written for
    /// Rust compiles in ripgrep and counts the same lines as the rule's PCRE2 line does in
    /// pcre2grep, over the bundled samples and the development corpus.
    @Test(.enabled(if: Self.tool("rg") != nil && Self.tool("pcre2grep") != nil))
    func rustLinesCountTheSameLinesInRipgrepAsPCRE2LinesInPcre2grep() throws {
        let pcre2 = try CommandLine.run(["rules", "export-patterns", "--rules", "rules"])
        let rust = try CommandLine.run(["rules", "export-patterns", "--engine", "rust", "--rules", "rules"])
        let leftOut = Set(
            rust.stderr.split(separator: "\n").compactMap { line -> String? in
                guard line.hasPrefix("left out ") else { return nil }
                return String(line.dropFirst("left out ".count).prefix { $0 != ":" })
            })
        let ids = try CommandLine.run(["rules", "list", "--rules", "rules"]).lines.map {
            String($0.prefix { $0 != "\t" })
        }
        let kept = zip(ids, pcre2.lines).filter { !leftOut.contains($0.0) }.map(\.1)
        #expect(kept.count == rust.lines.count)

        let subjects = try TemporaryDirectory()
        var text = ""
        for directory in ["samples", "bench/corpus/exports"] {
            let url = CommandLine.repository.appendingPathComponent(directory)
            for name in try FileManager.default.contentsOfDirectory(atPath: url.path).sorted()
            where name.hasSuffix(".txt") {
                text += try String(contentsOf: url.appendingPathComponent(name), encoding: .utf8)
            }
        }
        let subject = try subjects.write("subject.txt", text)
        #expect(text.count > 10_000)
        var matchedSomewhere = 0
        for (pcre2Line, rustLine) in zip(kept, rust.lines) {
            let patterns = try subjects.write("p.txt", pcre2Line + "\n")
            let rustPatterns = try subjects.write("r.txt", rustLine + "\n")
            let pcre2Count = try Self.count(Self.tool("pcre2grep")!, ["-U", "-c", "-f", patterns.path, subject.path])
            let rustCount = try Self.count(
                Self.tool("rg")!, ["-c", "--no-config", "-f", rustPatterns.path, subject.path])
            #expect(pcre2Count == rustCount, "\(rustLine)")
            if pcre2Count > 0 { matchedSomewhere += 1 }
        }
        #expect(matchedSomewhere > kept.count / 2)
    }

    static func tool(_ name: String) -> String? {
        ["/usr/bin/", "/usr/local/bin/", "/bin/"].map { $0 + name }.first {
            FileManager.default.isExecutableFile(atPath: $0)
        }
    }

    /// The line count a grep tool prints with `-c` (0 when it finds nothing and prints nothing).
    static func count(_ executable: String, _ arguments: [String]) throws -> Int {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus <= 1, "\(executable) \(arguments)")
        return Int(String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
    }
}
