import Crypto
import Foundation
import Testing

@testable import LeakwatchCore

@Suite struct AlertBuilderTests {
    let key: [UInt8] = Array(repeating: 7, count: 32)

    func alerts(_ texts: [String], rules yaml: String, path: String = "chat.txt") throws -> [Alert] {
        let set = try ruleSet(yaml)
        let bytes = Array(texts.joined(separator: "\n").utf8)
        let scanner = ExportScanner(ruleSet: set, fingerprintKey: key)
        return scanner.scan(
            bytes, path: path, fileName: path, scratch: try MatchScratch(), detectedAt: "2026-01-01T00:00:00Z"
        ).alerts
    }

    static let postcode = rule(
        id: "location.uk-postcode", pattern: #"\b[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}\b"#, options: "[caseless]")

    /// Line breaks and tabs become spaces as `Character`s do: `"\r\n"` is a `Character` of its own.
    @Test(arguments: ["a\nb", "a\r\nb", "\r\r\n\n\t", "x\r", "\ny", "é\u{301}\n\u{301}", "tab\there 👍\r\n"])
    func excerptsShowLineBreaksAndTabsAsSpaces(text: String) {
        let builder = AlertBuilder(fingerprintKey: key)
        let bytes = Array(text.utf8)
        let expected = String(text.map { $0 == "\n" || $0 == "\r" || $0 == "\t" ? " " : $0 })
        #expect(builder.excerpt(of: bytes, around: 0..<bytes.count, masking: []) == expected)
    }

    @Test func excerptMasksEveryRedactedSpanInTheMessage() throws {
        let found = try alerts(["victim lives at SW1A 1AA, moved from n1 9gu last week"], rules: Self.postcode)
        #expect(found.count == 2)
        #expect(found[0].match.excerpt == "victim lives at [REDACTED], moved from [REDACTED] last week")
        #expect(found[0].match.excerpt == found[1].match.excerpt)
        #expect(!found.contains { $0.match.excerpt.contains("SW1A") || $0.match.excerpt.lowercased().contains("9gu") })
    }

    @Test func redactFalseShowsTheMatch() throws {
        let yaml = Self.postcode + "\n  redact: false"
        let found = try alerts(["at SW1A 1AA"], rules: yaml)
        #expect(found.first?.match.excerpt == "at SW1A 1AA")
        #expect(found.first?.match.redacted == false)
    }

    @Test func longMessagesAreCutAroundTheMatch() throws {
        let text = String(repeating: "word ", count: 40) + "SW1A 1AA" + String(repeating: " tail", count: 40)
        let excerpt = try #require(try alerts([text], rules: Self.postcode).first).match.excerpt
        #expect(excerpt.hasPrefix("…"))
        #expect(excerpt.hasSuffix("…"))
        #expect(excerpt.contains("[REDACTED]"))
        #expect(excerpt.count < 150)
    }

    @Test func idsAreStableForTheSameBytesAndRuleRevisionAndNotThePath() throws {
        let first = try alerts(["at SW1A 1AA", "and N1 9GU"], rules: Self.postcode, path: "a.txt")
        let again = try alerts(["at SW1A 1AA", "and N1 9GU"], rules: Self.postcode, path: "b.txt")
        #expect(first.map(\.id) == again.map(\.id))
        #expect(Set(first.map(\.id)).count == 2)
        let changedRule = try alerts(
            ["at SW1A 1AA", "and N1 9GU"], rules: Self.postcode.replacingOccurrences(of: "high", with: "low"))
        #expect(Set(changedRule.map(\.id)).isDisjoint(with: first.map(\.id)))
        let changedBytes = try alerts(["at SW1A 1AA", "and N1 9GU "], rules: Self.postcode)
        #expect(Set(changedBytes.map(\.id)).isDisjoint(with: first.map(\.id)))
    }

    @Test(arguments: [0, 4, 32, 63, 64, 65, 100])
    func thePreparedHMACIsHMACSHA256(keyLength: Int) {
        let key = (0..<keyLength).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
        let prepared = PreparedHMAC(key: key)
        for message in ["", "sw1a1aa", String(repeating: "long message ", count: 40)] {
            let expected = HMAC<SHA256>.authenticationCode(for: Array(message.utf8), using: SymmetricKey(data: key))
            #expect(Array(prepared.code(for: Array(message.utf8))) == Array(expected))
        }
    }

    /// The ASCII shortcut keeps what the Unicode properties keep.
    @Test(arguments: ["SW1A 1AA", "  --  ", "", "AB12 CDE", "07700 900123", "x_y.z!9"])
    func asciiFingerprintsNormalizeAsUnicodeOnesDo(text: String) {
        let builder = AlertBuilder(fingerprintKey: key)
        let kept = String(
            String.UnicodeScalarView(
                text.lowercased().unicodeScalars.filter {
                    $0.properties.isAlphabetic || $0.properties.numericType != nil
                }))
        let input = kept.isEmpty ? text.lowercased() : kept
        let expected = HMAC<SHA256>.authenticationCode(for: Array(input.utf8), using: SymmetricKey(data: key))
        #expect(builder.fingerprint(of: Array(text.utf8)) == IdentityHash.hex(expected))
    }

    @Test func fingerprintsNormalizeAndAreKeyed() throws {
        let builder = AlertBuilder(fingerprintKey: key)
        #expect(builder.fingerprint(of: Array("SW1A 1AA".utf8)) == builder.fingerprint(of: Array("sw1a1aa".utf8)))
        #expect(builder.fingerprint(of: Array("SW1A 1AA".utf8)) != builder.fingerprint(of: Array("SW1A 1AB".utf8)))
        let other = AlertBuilder(fingerprintKey: Array(repeating: 8, count: 32))
        #expect(builder.fingerprint(of: Array("SW1A 1AA".utf8)) != other.fingerprint(of: Array("SW1A 1AA".utf8)))
    }

    @Test func jsonCarriesEverySchemaFieldWithExplicitNulls() throws {
        let alert = try #require(try alerts(["at SW1A 1AA"], rules: Self.postcode).first)
        let json = try #require(
            try JSONSerialization.jsonObject(with: Data(AlertFormatting.jsonLine(alert).utf8)) as? [String: Any])
        #expect(json["schema"] as? String == "leakwatch.alert.v1")
        #expect(
            Set(json.keys) == [
                "schema", "id", "detected_at", "rule", "source", "message", "match", "exposure", "responses",
            ])
        // Without a state database and for a rule that collects no responses: null, never left out.
        #expect(json["exposure"] is NSNull)
        #expect(json["responses"] is NSNull)
        let source = try #require(json["source"] as? [String: Any])
        #expect(Set(source.keys).isSuperset(of: ["path", "sha256", "format", "entry", "chat"]))
        #expect(source["entry"] is NSNull)
        let message = try #require(json["message"] as? [String: Any])
        #expect(Set(message.keys).isSuperset(of: ["line", "id", "sent", "sender", "kind", "key"]))
        #expect(message["key"] is NSNull)
        let match = try #require(json["match"] as? [String: Any])
        #expect(Set(match.keys).isSuperset(of: ["field", "excerpt", "fingerprint"]))
        let ruleInfo = try #require(json["rule"] as? [String: Any])
        #expect(Set(ruleInfo.keys).isSuperset(of: ["id", "title", "category", "severity"]))
        #expect(!AlertFormatting.jsonLine(alert).contains("SW1A"))
    }
}
