import Testing

@testable import LeakwatchCore

@Suite struct RuleFileParserTests {
    static let goodRule = """
        - id: location.uk-postcode
          title: UK postcode
          category: location
          severity: medium
          pattern: '\\b[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2}\\b'
          options: [caseless]
          keywords: [road, street]
          examples:
            match: ['12 Acacia Road SW1A 1AA']
            no-match: ['nothing here']
        """

    @Test func parsesARuleWithEveryField() throws {
        let text = """
            - id: crime-scene.photo
              title: Photo at a scene
              category: crime-scene-media
              severity: high
              pattern: '\\.(jpe?g|png|mp4)$'
              options: [caseless]
              applies-to: attachment
              keywords: [scene]
              context:
                pattern: '\\b(scene|body)\\b'
                options: [caseless]
                window: 2
              redact: false
              description: A photo near crime-scene words.
              examples:
                match:
                  - {text: 'at the scene', attachments: ['IMG-1.jpg']}
                no-match:
                  - 'IMG-2.jpg'
            """
        let file = RuleFileParser.parse(text, path: "rules/x.yml")
        #expect(file.problems.isEmpty, "\(file.problems)")
        let rule = try #require(file.rules.first)
        #expect(rule.id == "crime-scene.photo")
        #expect(rule.category == .crimeSceneMedia)
        #expect(rule.severity == .high)
        #expect(rule.appliesTo == [.attachment])
        #expect(rule.keywords == ["scene"])
        #expect(rule.context == RuleContext(pattern: #"\b(scene|body)\b"#, options: [.caseless], window: 2))
        #expect(rule.redact == false)
        #expect(rule.examples.match.first?.attachments == ["IMG-1.jpg"])
        #expect(rule.examples.noMatch.first?.text == "IMG-2.jpg")
        #expect(rule.location == SourceLocation(path: "rules/x.yml", line: 1, column: 3))
    }

    @Test func reportsYAMLSyntaxErrorsWithLineAndColumn() {
        let file = RuleFileParser.parse("- id: a\n  title: [unclosed\n", path: "bad.yml")
        #expect(file.problems.count == 1)
        let problem = file.problems[0]
        #expect(problem.description.hasPrefix("bad.yml:3:1: -: YAML error"))
    }

    @Test func reportsEveryProblemAtOnce() {
        let text = """
            - id: a.one
              title: One
              category: gossip
              severity: urgent
              pattern: 'x'
              colour: red
              examples:
                no-match: ['y']
            - title: no id
              category: location
            """
        let problems = RuleFileParser.parse(text, path: "r.yml").problems.map(\.description)
        #expect(problems.contains { $0.hasPrefix("r.yml:3:13: a.one: unknown category 'gossip'") })
        #expect(problems.contains { $0.hasPrefix("r.yml:4:13: a.one: unknown severity 'urgent'") })
        #expect(problems.contains { $0.hasPrefix("r.yml:6:3: a.one: unknown field 'colour'") })
        #expect(problems.contains { $0.contains("a.one: at least one 'match' example is required") })
        #expect(problems.contains { $0.hasPrefix("r.yml:9:3: -: missing required field 'id'") })
    }

    @Test func acceptsAMappingWithRulesAndDisable() {
        let text =
            "disable: [location.uk-postcode]\nrules:\n"
            + Self.goodRule.split(separator: "\n").map { "  " + $0 }.joined(separator: "\n")
        let file = RuleFileParser.parse(text, path: "local.yml")
        #expect(file.problems.isEmpty, "\(file.problems)")
        #expect(file.disable.map(\.id) == ["location.uk-postcode"])
        #expect(file.rules.count == 1)
    }
}

@Suite struct RuleSetBuildingTests {
    @Test func compileErrorsNamePCRE2sMessageAndOffset() {
        let text = RuleFileParserTests.goodRule.replacingOccurrences(
            of: "pattern: '\\b[A-Z]{1,2}", with: "pattern: '(\\b[A-Z]{1,2}")
        let build = RuleSet.build(layers: [[RuleFileSource(path: "p.yml", text: text)]])
        #expect(build.ruleSet == nil)
        #expect(
            build.problems.map(\.description) == [
                "p.yml:5:12: location.uk-postcode: pattern does not compile: missing closing parenthesis at offset 44 in the pattern"
            ])
    }

    @Test func duplicateIDsAcrossFilesAreReportedWithTheFirstDefinition() {
        let build = RuleSet.build(layers: [
            [
                RuleFileSource(path: "a.yml", text: RuleFileParserTests.goodRule),
                RuleFileSource(path: "b.yml", text: RuleFileParserTests.goodRule),
            ]
        ])
        #expect(
            build.problems.map(\.description) == [
                "b.yml:1:3: location.uk-postcode: duplicate id 'location.uk-postcode' (first defined at a.yml:1:3)"
            ])
    }

    @Test func adminFileWithTheSameNameReplacesTheShippedOne() throws {
        let admin = RuleFileParserTests.goodRule.replacingOccurrences(
            of: "severity: medium", with: "severity: critical")
        let build = RuleSet.build(layers: [
            [RuleFileSource(path: "shipped/location.yml", text: RuleFileParserTests.goodRule)],
            [RuleFileSource(path: "admin/location.yml", text: admin)],
        ])
        let set = try #require(build.ruleSet)
        #expect(set.rules.map(\.definition.severity) == [.critical])
        #expect(set.files == ["admin/location.yml"])
    }

    @Test func disableTurnsShippedRulesOffEvenWhenBroken() throws {
        let broken = RuleFileParserTests.goodRule.replacingOccurrences(of: "pattern: '", with: "pattern: '(")
        let build = RuleSet.build(layers: [
            [RuleFileSource(path: "shipped/location.yml", text: broken)],
            [RuleFileSource(path: "admin/off.yml", text: "disable: [location.uk-postcode, no.such-rule]")],
        ])
        let set = try #require(build.ruleSet, "\(build.problems)")
        #expect(set.rules.isEmpty)
        #expect(set.disabled == ["location.uk-postcode", "no.such-rule"])
        #expect(build.warnings.contains { $0.contains("no.such-rule") })
    }

    @Test func interpreterFallbackGivesIdenticalResults() throws {
        let sources = [[RuleFileSource(path: "a.yml", text: RuleFileParserTests.goodRule)]]
        let jit = try #require(RuleSet.build(layers: sources, jit: true).ruleSet)
        let interpreted = try #require(RuleSet.build(layers: sources, jit: false).ruleSet)
        #expect(interpreted.rules.allSatisfy { !$0.isJITCompiled })
        let messages = (0..<50).map {
            Message(sent: "", sender: "A", text: "house \($0) Acacia Road, N\($0 % 9 + 1) 2AB", kind: .text)
        }
        let scratch = try MatchScratch()
        let a = ExportMatcher(ruleSet: jit).match(messages, scratch: scratch).hits
        let b = ExportMatcher(ruleSet: interpreted).match(messages, scratch: scratch).hits
        #expect(a == b)
        #expect(a.count == 50)
    }
}
