import PCRE2
import Testing

@Suite struct PCRE2PatternTests {
    @Test func compilesAndMatchesWithByteOffsets() throws {
        let pattern = try PCRE2Pattern(#"\bSW1A ?1AA\b"#, options: [.caseless])
        let scratch = try #require(PCRE2Scratch())
        // "é" is two bytes: offsets are byte offsets.
        #expect(scratch.firstMatch(of: pattern, in: "é sw1a 1aa") == .match(3..<11))
        #expect(scratch.firstMatch(of: pattern, in: "nothing here") == .noMatch)
    }

    @Test func compileErrorCarriesMessageAndOffset() {
        #expect {
            _ = try PCRE2Pattern("ab(c")
        } throws: { error in
            guard let error = error as? PCRE2Error else { return false }
            return error.offset == 4 && error.message.contains("missing closing parenthesis")
        }
    }

    @Test func invalidUTF8StillMatchesAroundTheBadBytes() throws {
        let pattern = try PCRE2Pattern(#"OFFICIAL[- ]SENSITIVE"#)
        let scratch = try #require(PCRE2Scratch())
        let bytes: [UInt8] = [0xFF, 0xC3, 0x28] + Array(" OFFICIAL-SENSITIVE".utf8)
        let result = bytes.withUnsafeBufferPointer { scratch.firstMatch(of: pattern, in: $0, from: 0) }
        #expect(result == .match(4..<22))
    }

    @Test func catastrophicBacktrackingIsAnErrorNotANoMatch() throws {
        let pattern = try PCRE2Pattern(#"(a+)+$"#)
        let scratch = try #require(PCRE2Scratch(limits: PCRE2MatchLimits(matchLimit: 100_000)))
        let result = scratch.firstMatch(of: pattern, in: String(repeating: "a", count: 40) + "!")
        guard case .failure(let error) = result else {
            Issue.record("expected a limit failure, got \(result)")
            return
        }
        #expect(error.isLimit)
    }

    @Test func interpreterGivesTheSameResultsAsJIT() throws {
        let jit = try PCRE2Pattern(#"\d{2}/\d{6,7}/\d{2}"#, jit: true)
        let interpreted = try PCRE2Pattern(#"\d{2}/\d{6,7}/\d{2}"#, jit: false)
        #expect(!interpreted.isJITCompiled)
        let scratch = try #require(PCRE2Scratch())
        for subject in ["crime ref 12/345678/21 ok", "none", "1/1/1"] {
            #expect(scratch.firstMatch(of: jit, in: subject) == scratch.firstMatch(of: interpreted, in: subject))
        }
    }

    @Test func confinedLengthKeepsAMatchInsideAPrefix() throws {
        let pattern = try PCRE2Pattern(#"ab+"#)
        let scratch = try #require(PCRE2Scratch())
        let bytes = Array("xxab\nbbb".utf8)
        let whole = bytes.withUnsafeBufferPointer { scratch.firstMatch(of: pattern, in: $0, from: 0) }
        let confined = bytes.withUnsafeBufferPointer { scratch.firstMatch(of: pattern, in: $0, length: 3, from: 0) }
        #expect(whole == .match(2..<4))
        #expect(confined == .noMatch)
    }

    @Test func escapeMakesLiterals() throws {
        let pattern = try PCRE2Pattern(PCRE2Pattern.escape("c.s.i (scene)"), options: [.caseless])
        let scratch = try #require(PCRE2Scratch())
        #expect(scratch.firstMatch(of: pattern, in: "the C.S.I (Scene) team") == .match(4..<17))
        #expect(scratch.firstMatch(of: pattern, in: "cxsxi scene") == .noMatch)
    }
}
