import Testing

@testable import LeakwatchCore

@Suite struct SubstringByteSearchTests {
    /// (haystack, needle, what comes before the first match; nil when there is none).
    static let cases: [(String, String, String?)] = [
        ("Dave added Sam", " added ", "Dave"),
        ("Ann a ajouté Bob", " a ajouté ", "Ann"),
        ("Zoë añadió a Renée", " añadió a ", "Zoë"),
        ("Mo joined", " joined", "Mo"),
        ("joined", " joined", nil),
        (" added  added ", " added ", ""),
        ("ab", "abc", nil),
        ("", "a", nil),
        ("abc", "", nil),
        ("aaab", "aab", "a"),
        ("Ünïcödé 🚓 added 🚔", " added ", "Ünïcödé 🚓"),
        ("e\u{301} added x", " added ", "e\u{301}"),
    ]

    @Test("finds the first occurrence, byte for byte", arguments: cases)
    func firstRange(_ haystack: String, _ needle: String, _ before: String?) {
        let found = haystack.firstRange(ofBytes: needle)
        #expect(found.map { String(haystack[..<$0.lowerBound]) } == before)
        if let found { #expect(String(haystack[found]) == needle) }
    }

    @Test("searches only inside a substring, and answers in its indices")
    func insideASubstring() throws {
        let line = "Dave added Sam and Lee and Kim"
        let tail = line[
            try #require(line.firstRange(ofBytes: "Sam"))
                .lowerBound...]
        let found = try #require(tail.firstRange(ofBytes: " and "))
        #expect(tail[..<found.lowerBound] == "Sam")
        #expect(tail[found.upperBound...] == "Lee and Kim")
        #expect(line[line.startIndex..<tail.startIndex].firstRange(ofBytes: "Sam") == nil)
    }
}
