import Foundation
import Testing

@testable import LeakwatchCore

/// Header layouts, date orders, bodies and detection of `WhatsAppTextParser`, one line at a time.
@Suite("WhatsApp text parser")
struct WhatsAppParserTests {
    struct HeaderCase: CustomTestStringConvertible, Sendable {
        var line: String
        var format: ExportFormat
        var timestamp: String
        var sender: String?
        var text: String
        var testDescription: String { line }
    }

    static let headerCases: [HeaderCase] = [
        .init(
            line: "[07/11/2021, 18:14:02] Anna: hi", format: .whatsAppIOS, timestamp: "2021-11-07T18:14:02",
            sender: "Anna", text: "hi"),
        .init(
            line: "07/11/2021, 18:14 - Anna: hi", format: .whatsAppAndroid, timestamp: "2021-11-07T18:14:00",
            sender: "Anna", text: "hi"),
        .init(
            line: "13/06/15 10:59:59: Anna: hi", format: .whatsAppIOSLegacy, timestamp: "2015-06-13T10:59:59",
            sender: "Anna", text: "hi"),
        .init(
            line: "7/13/16, 4:56:55 PM: Anna: hi", format: .whatsAppIOSLegacy, timestamp: "2016-07-13T16:56:55",
            sender: "Anna", text: "hi"),
        .init(
            line: "\u{200E}[13/3/22, 9:05:01\u{202F}PM] Anna: hi", format: .whatsAppIOS,
            timestamp: "2022-03-13T21:05:01", sender: "Anna", text: "hi"),
        .init(
            line: "[13/3/22, 9:05:01\u{00A0}pm] Anna: hi", format: .whatsAppIOS, timestamp: "2022-03-13T21:05:01",
            sender: "Anna", text: "hi"),
        .init(
            line: "13/3/22, 9:05 p.m. - Anna: hi", format: .whatsAppAndroid, timestamp: "2022-03-13T21:05:00",
            sender: "Anna", text: "hi"),
        .init(
            line: "13/3/22, 9:05 p.\u{00A0}m. - Anna: hi", format: .whatsAppAndroid, timestamp: "2022-03-13T21:05:00",
            sender: "Anna", text: "hi"),
        .init(
            line: "13/3/22, 9:05 in the morning - Anna: hi", format: .whatsAppAndroid, timestamp: "2022-03-13T09:05:00",
            sender: "Anna", text: "hi"),
        .init(
            line: "13/3/22, 23:59 PM - Anna: hi", format: .whatsAppAndroid, timestamp: "2022-03-13T23:59:00",
            sender: "Anna", text: "hi"),
        .init(
            line: "13/3/22, 00:04 AM - Anna: hi", format: .whatsAppAndroid, timestamp: "2022-03-13T00:04:00",
            sender: "Anna", text: "hi"),
        .init(
            line: "2022-03-18 14:56 - Anna: hi", format: .whatsAppAndroid, timestamp: "2022-03-18T14:56:00",
            sender: "Anna", text: "hi"),
        .init(
            line: "[2022/03/18 14:56:01] Anna: hi", format: .whatsAppIOS, timestamp: "2022-03-18T14:56:01",
            sender: "Anna", text: "hi"),
        .init(
            line: "23.03.22 13:31 - Anna: hi", format: .whatsAppAndroid, timestamp: "2022-03-23T13:31:00",
            sender: "Anna", text: "hi"),
        .init(
            line: "13. 6. 2018. 10:59 - Anna: hi", format: .whatsAppAndroid, timestamp: "2018-06-13T10:59:00",
            sender: "Anna", text: "hi"),
        .init(
            line: "23-03-2022 13:31 - Anna: hi", format: .whatsAppAndroid, timestamp: "2022-03-23T13:31:00",
            sender: "Anna", text: "hi"),
        .init(
            line: "[3/18/22 14.56.01] Anna: hi", format: .whatsAppIOS, timestamp: "2022-03-18T14:56:01", sender: "Anna",
            text: "hi"),
        .init(
            line: "13.3.2017 klo 16.58 - Anna: hi", format: .whatsAppAndroid, timestamp: "2017-03-13T16:58:00",
            sender: "Anna", text: "hi"),
        .init(
            line: "[14:56:01, 3/18/22] Anna: hi", format: .whatsAppIOS, timestamp: "2022-03-18T14:56:01",
            sender: "Anna", text: "hi"),
        .init(
            line: "19:23, 28 Aug 2013 - Anna: hi", format: .whatsAppAndroid, timestamp: "2013-08-28T19:23:00",
            sender: "Anna", text: "hi"),
        .init(
            line: "[3/18/2565 BE, 14:56:01] Anna: hi", format: .whatsAppIOS, timestamp: "2022-03-18T14:56:01",
            sender: "Anna", text: "hi"),
        .init(
            line: "[3/18/R4, 14:56:01] Anna: hi", format: .whatsAppIOS, timestamp: "2022-03-18T14:56:01",
            sender: "Anna", text: "hi"),
        .init(
            line: "[\u{200F}18\u{200F}/3\u{200F}/2022\u{060C} 14:56:01] Anna: hi", format: .whatsAppIOS,
            timestamp: "2022-03-18T14:56:01",
            sender: "Anna", text: "hi"),
        .init(
            line: "[١٨\u{200F}/٣\u{200F}/٢٠٢٢، ٢:٥٦:٠٠\u{00A0}م] Anna: hi", format: .whatsAppIOS,
            timestamp: "2022-03-18T14:56:00",
            sender: "Anna", text: "hi"),
        .init(
            line: "[18/3/22 午後2:56:01] Anna: hi", format: .whatsAppIOS, timestamp: "2022-03-18T14:56:01",
            sender: "Anna", text: "hi"),
        .init(
            line: "\u{FEFF}[{\u{FEFF}29.01.18, 12:24:03] Anna: hi".replacingOccurrences(of: "{", with: ""),
            format: .whatsAppIOS,
            timestamp: "2018-01-29T12:24:03", sender: "Anna", text: "hi"),
        .init(
            line: "[29.01.18, 12:24:03] ~\u{202F}Kalle: hi", format: .whatsAppIOS, timestamp: "2018-01-29T12:24:03",
            sender: "Kalle", text: "hi"),
        .init(
            line: "[29.01.18, 12:24:03] \u{202A}+49\u{00A0}170\u{00A0}1234567\u{202C}: hi", format: .whatsAppIOS,
            timestamp: "2018-01-29T12:24:03", sender: "+49 170 1234567", text: "hi"),
        .init(
            line: "[29.01.18, 12:24:03] 🚓 Unit 7 🚓: hi", format: .whatsAppIOS, timestamp: "2018-01-29T12:24:03",
            sender: "🚓 Unit 7 🚓", text: "hi"),
        .init(
            line: "29.01.18, 12:24 - You added Mallory", format: .whatsAppAndroid, timestamp: "2018-01-29T12:24:00",
            sender: nil, text: "You added Mallory"),
        .init(
            line: "29.01.18, 12:24 - You changed the subject to \"a: b\"", format: .whatsAppAndroid,
            timestamp: "2018-01-29T12:24:00",
            sender: nil, text: "You changed the subject to \"a: b\""),
        .init(
            line: "29.01.18, 12:24 - Anna: a: b: c", format: .whatsAppAndroid, timestamp: "2018-01-29T12:24:00",
            sender: "Anna", text: "a: b: c"),
    ]

    @Test("header layouts", arguments: headerCases)
    func header(_ test: HeaderCase) throws {
        let export = try #require(WhatsAppTextParser.parse(test.line + "\n", fileName: nil))
        #expect(export.format == test.format)
        let message = try #require(export.messages.first)
        #expect(export.messages.count == 1)
        #expect(message.line == 1)
        #expect(message.timestamp?.iso8601 == test.timestamp)
        #expect(message.sender == test.sender)
        #expect(message.text == test.text)
        #expect(!message.sent.unicodeScalars.contains { [0x200E, 0x200F, 0xFEFF].contains($0.value) })
    }

    @Test("CRLF and LF give the same messages and line numbers")
    func lineEndings() throws {
        let lines = ["[07/11/2021, 18:14:02] Anna: one", "two", "", "[07/11/2021, 18:15:00] Tom: three"]
        let lf = try #require(WhatsAppTextParser.parse(lines.joined(separator: "\n"), fileName: nil))
        let crlf = try #require(WhatsAppTextParser.parse(lines.joined(separator: "\r\n") + "\r\n", fileName: nil))
        #expect(lf.messages == crlf.messages)
        #expect(lf.messages.map(\.line) == [1, 4])
        #expect(lf.messages[0].text == "one\ntwo")
    }

    @Test("day/month order is decided per file")
    func dateOrderPerFile() throws {
        // Line 1 alone would read as d/m/y; line 2 proves m/d/y for the whole file.
        let text = "1/2/22, 10:00 - Anna: a\n1/25/22, 10:00 - Anna: b\n"
        let export = try #require(WhatsAppTextParser.parse(text, fileName: nil))
        #expect(export.dateOrder?.order == .monthDayYear)
        #expect(export.dateOrder?.certainty == .certain)
        #expect(export.messages[0].timestamp?.iso8601 == "2022-01-02T10:00:00")
        #expect(export.dateOrder?.reason.contains("line 2") == true)
    }

    @Test("ambiguous dates with nothing to infer from are assumed d/m/y")
    func assumedOrder() throws {
        let export = try #require(WhatsAppTextParser.parse("01/02/22, 10:00 - Anna: a\n", fileName: nil))
        #expect(export.dateOrder?.order == .dayMonthYear)
        #expect(export.dateOrder?.certainty == .assumed)
        #expect(export.messages[0].timestamp?.iso8601 == "2022-02-01T10:00:00")
    }

    @Test(
        "text that is not an export is refused",
        arguments: [
            "",
            "just some notes\nabout nothing\n",
            "Meeting 07/11/2021 at 18:14\nbring coffee\n",
            (["intro"] + (1...10).map { "line \($0)" } + ["07/11/2021, 18:14 - Anna: hi"]).joined(separator: "\n"),
        ])
    func notAnExport(_ text: String) {
        #expect(WhatsAppTextParser.parse(text, fileName: "WhatsApp Chat with Anna.txt") == nil)
    }

    @Test("lines before the first header are kept and noted")
    func unplacedLines() throws {
        let text = "exported by tool\n[07/11/2021, 18:14:02] Anna: one\n[07/11/2021, 18:15:00] Tom: two\n"
        let export = try #require(WhatsAppTextParser.parse(text, fileName: nil))
        #expect(export.messages.count == 3)
        #expect(export.messages[0].text == "exported by tool")
        #expect(export.messages[0].sender == nil)
        #expect(export.notes.contains { $0.code == "unplaced-lines" && $0.line == 1 })
    }

    @Test(
        "chat name from the file name",
        arguments: [
            ("WhatsApp Chat with Night Shift.txt", "Night Shift"),
            ("WhatsApp Chat - Elon Musk.txt", "Elon Musk"),
            ("WhatsApp Chat mit Anna.txt", "Anna"),
            ("Chat WhatsApp s uživatelem Dmitry S.txt", "Dmitry S"),
            ("Чат WhatsApp с контактом Dmitry S.txt", "Dmitry S"),
            ("/tmp/in/WhatsApp Chat with Tom.txt", "Tom"),
            ("_chat.txt", nil),
            ("notes.txt", nil),
        ] as [(String, String?)])
    func chatName(_ fileName: String, _ expected: String?) throws {
        let export = try #require(WhatsAppTextParser.parse("[07/11/2021, 18:14:02] Anna: one\n", fileName: fileName))
        #expect(export.chat == expected)
    }

    struct BodyCase: CustomTestStringConvertible, Sendable {
        var body: String
        var kind: MessageKind
        var text: String
        var attachment: String?
        var testDescription: String { body }
    }

    static let bodyCases: [BodyCase] = [
        .init(
            body: "\u{200E}<attached: 00000012-PHOTO-2021-11-07-18-14-02.jpg>", kind: .attachment, text: "",
            attachment: "00000012-PHOTO-2021-11-07-18-14-02.jpg"),
        .init(
            body: "\u{200E}<pièce jointe : 00000012-PHOTO.jpg>", kind: .attachment, text: "",
            attachment: "00000012-PHOTO.jpg"),
        .init(
            body: "IMG-20211107-WA0003.jpg (file attached)\nthe caption", kind: .attachment, text: "the caption",
            attachment: "IMG-20211107-WA0003.jpg"),
        .init(body: "IMG-1.jpg (archivo adjunto)", kind: .attachment, text: "", attachment: "IMG-1.jpg"),
        .init(body: "<Media omitted>", kind: .attachment, text: "", attachment: "<Media omitted>"),
        .init(body: "\u{200E}image omitted", kind: .attachment, text: "", attachment: "image omitted"),
        .init(
            body: "Some file.txt \u{200E}document omitted", kind: .attachment, text: "Some file.txt",
            attachment: "Some file.txt"),
        .init(body: "\u{200E}Contact card omitted", kind: .contact, text: "", attachment: "Contact card omitted"),
        .init(body: "Alex.vcf (file attached)", kind: .contact, text: "", attachment: "Alex.vcf"),
        .init(
            body: "\u{200E}This message was deleted.", kind: .deleted, text: "This message was deleted.",
            attachment: nil),
        .init(body: "You deleted this message", kind: .deleted, text: "You deleted this message", attachment: nil),
        .init(body: "this is fine <This message was edited>", kind: .text, text: "this is fine", attachment: nil),
        .init(
            body: "POLL:\nWhere?\nOPTION: here (1 vote)", kind: .poll, text: "POLL:\nWhere?\nOPTION: here (1 vote)",
            attachment: nil),
        .init(
            body: "\u{200E}\u{200E}Your security code with Elon changed. \u{200E}Tap to learn more.", kind: .system,
            text: "Your security code with Elon changed. Tap to learn more.", attachment: nil),
        .init(body: "\u{200E}No idea, let's try", kind: .text, text: "No idea, let's try", attachment: nil),
        .init(body: "ask \u{2068}@Anna\u{2069} now", kind: .text, text: "ask @Anna now", attachment: nil),
    ]

    @Test("body kinds", arguments: bodyCases)
    func body(_ test: BodyCase) throws {
        let export = try #require(
            WhatsAppTextParser.parse("[07/11/2021, 18:14:02] Anna: \(test.body)\n", fileName: nil))
        let message = try #require(export.messages.first)
        #expect(message.kind == test.kind)
        #expect(message.text == test.text)
        #expect(message.attachments.first?.name == test.attachment)
        #expect(message.attachments.allSatisfy { $0.present == false })
        #expect(message.sender == (test.kind == .system ? nil : "Anna"))
    }

    @Test("location coordinates are read from the map link")
    func location() throws {
        let export = try #require(
            WhatsAppTextParser.parse(
                "18.03.22, 14:58 - Tom: Standort: https://maps.google.com/?q=48.137154,-11.576124\n", fileName: nil))
        let location = try #require(export.messages.first?.location)
        #expect(export.messages.first?.kind == .location)
        #expect(location.latitude == 48.137154)
        #expect(location.longitude == -11.576124)
    }

    @Test("participants: senders and people added or joined, first seen first")
    func participants() throws {
        let text = """
            29.01.18, 12:24 - You added Mallory
            29.01.18, 12:25 - Anna: hi
            29.01.18, 12:26 - Anna added Bob, Carl and Dan
            29.01.18, 12:27 - +49 170 1234567 joined using this group's invite link
            29.01.18, 12:28 - Bob: hello
            """
        let export = try #require(WhatsAppTextParser.parse(text, fileName: nil))
        #expect(export.participants == ["Mallory", "Anna", "Bob", "Carl", "Dan", "+49 170 1234567"])
    }

    /// Strings whose lowercase form is not one byte per byte: dotted capital I, sharp s, Greek
    /// sigma (final and not), title-case digraphs, Cyrillic, Armenian ligatures, combining marks,
    /// emoji, invalid-looking but valid scalars.
    static let lowercaseCases = [
        "", "Hello", "İstanbul İİ", "STRASSE Straße ẞ", "ΟΔΥΣΣΕΥΣ Σ σς", "ǅemal ǄǆǇ", "ПРИВЕТ мир",
        "Ｆｕｌｌ ｗｉｄｔｈ", "ﬃ ﬀ Ǳ", "E\u{301}E\u{301}", "My warrant card 🙄 IS SNAPPED", "\u{200E}Message",
        "Ⅻ ⓐⒶ 𐐀𐐨", "\u{10FFFF}A\u{FFFD}B",
    ]

    @Test("one lookup of a body's phrase key gives every table it is in, and no other")
    func bodyPhraseKinds() {
        let tables: [(Set<String>, WhatsAppPhrases.BodyPhraseKinds)] = [
            (WhatsAppPhrases.deleted, .deleted), (WhatsAppPhrases.omittedMedia, .omittedMedia),
            (WhatsAppPhrases.omittedContact, .omittedContact), (WhatsAppPhrases.androidOmitted, .androidOmitted),
            (WhatsAppPhrases.liveLocation, .liveLocation),
        ]
        for (table, kind) in tables {
            for phrase in table {
                let kinds = WhatsAppPhrases.kinds(of: phrase)
                for (other, otherKind) in tables { #expect(kinds.contains(otherKind) == other.contains(phrase)) }
                #expect(kinds.contains(kind))
            }
        }
        for notAPhrase in ["", "ok", "image omitted please", "this message was deleted!"] {
            #expect(WhatsAppPhrases.kinds(of: notAPhrase).isEmpty)
        }
        // A decomposed spelling is the same key (String equality is canonical).
        #expect(WhatsAppPhrases.kinds(of: "diese nachricht wurde gelo\u{308}scht").contains(.deleted))
    }

    @Test("a character kept in phrase keys is kept by trimming and lowercasing, and in no phrase")
    func keptInKey() {
        let kept = (0...0x10FFFF).compactMap { Unicode.Scalar(UInt32($0)) }.filter {
            WhatsAppUTF8.isKeptInKey($0.value)
        }
        #expect(kept.count > 1_000)
        let marks: Set<Unicode.GeneralCategory> = [.nonspacingMark, .spacingMark, .enclosingMark, .format, .control]
        for scalar in kept {
            let properties = scalar.properties
            #expect(properties.lowercaseMapping == String(scalar))
            #expect(!properties.isWhitespace && !properties.isGraphemeExtend && !properties.isEmojiModifier)
            #expect(!marks.contains(properties.generalCategory))
            #expect(String(scalar).decomposedStringWithCanonicalMapping == String(scalar))
        }
        let keptSet = Set(kept)
        for phrase in WhatsAppPhrases.bodyPhrases {
            #expect(phrase.decomposedStringWithCanonicalMapping.unicodeScalars.allSatisfy { !keptSet.contains($0) })
        }
    }

    @Test(
        "a first line told no phrase without its key has a key that is no phrase",
        arguments: [
            "😂😂😂", "  🙄 right", "ok 👍", "£20 each", "Haha ☕ ", "🎂🎉 happy birthday", "this message was deleted 🙄",
            "image omitted 👍", "😂 <Media omitted>", "🙄.", "Mum 😂",
        ])
    func noPhraseKey(line: String) {
        let told = WhatsAppUTF8.isNoPhraseKey(line[...])
        #expect(told == !["Mum 😂"].contains(line))
        let key = WhatsAppBodyClassifier.phraseKey(line[...])
        if told {
            #expect(WhatsAppPhrases.kinds(of: key).isEmpty)
            #expect(key.utf8.first != UInt8(ascii: "<") && !key.hasPrefix("messages"))
        }
    }

    @Test("the name table gives one id per way a candidate is written, and names past its capacity without one")
    func nameTable() {
        var table = WhatsAppNameTable()
        func candidate(_ written: String) -> (id: Int?, name: String?) {
            let bytes = Array(written.utf8)
            var cleaned = 0
            let found = bytes.withUnsafeBufferPointer { b in
                table.candidate(b, 0, b.count) {
                    cleaned += 1
                    return written.isEmpty ? nil : written.uppercased()
                }
            }
            #expect(cleaned <= 1)
            return found
        }
        let bob = candidate("Bob")
        #expect(bob.name == "BOB" && bob.id == 0)
        #expect(candidate("Bob") == bob)
        #expect(candidate("Bo").id == 1 && candidate("Bob ").id == 2 && candidate("").name == nil)
        let long = String(repeating: "x", count: WhatsAppNameTable.maxKeyBytes + 1)
        #expect(candidate(long).id == nil && candidate(long).name == long.uppercased())
        for index in 4..<WhatsAppNameTable.capacity { #expect(candidate("n\(index)").id == index) }
        let past = candidate("one more")
        #expect(past.id == nil && past.name == "ONE MORE")
        #expect(candidate("Bob") == bob)
    }

    @Test("every AM/PM word starts with a byte its table's first-byte filter lets through")
    func meridiemFirstBytes() {
        for (table, starts) in [
            (WhatsAppPhrases.meridiemSuffixes, WhatsAppPhrases.meridiemSuffixFirstBytes),
            (WhatsAppPhrases.meridiemPrefixes, WhatsAppPhrases.meridiemPrefixFirstBytes),
        ] {
            for entry in table {
                guard let first = entry.bytes.first else {
                    Issue.record("an empty AM/PM word")
                    continue
                }
                #expect(starts[Int(first)])
                // The scanner compares ASCII letters caselessly.
                if first >= 0x61 && first <= 0x7A { #expect(starts[Int(first - 0x20)]) }
            }
        }
    }

    @Test("phrase keys lowercase exactly as String.lowercased()", arguments: lowercaseCases)
    func lowercasing(_ text: String) {
        #expect(WhatsAppUTF8.lowercased(text[...]) == text.lowercased())
        #expect(Array(WhatsAppUTF8.lowercased(text[...]).utf8) == Array(text.lowercased().utf8))
    }

    @Test("phrase keys lowercase random text exactly as String.lowercased()")
    func lowercasingRandomText() {
        var generator = SystemRandomNumberGenerator()
        let ranges: [ClosedRange<UInt32>] = [
            0x20...0x7E, 0xA0...0x24F, 0x370...0x52F, 0x1E00...0x1FFF, 0x2100...0x24FF, 0xFB00...0xFB4F,
            0x10400...0x1044F, 0x1F600...0x1F64F,
        ]
        for _ in 0..<2_000 {
            var text = ""
            for _ in 0..<Int.random(in: 0...24, using: &generator) {
                let range = ranges[Int.random(in: ranges.indices, using: &generator)]
                if let scalar = Unicode.Scalar(UInt32.random(in: range, using: &generator)) {
                    text.unicodeScalars.append(scalar)
                }
            }
            #expect(
                Array(WhatsAppUTF8.lowercased(text[...]).utf8) == Array(text.lowercased().utf8),
                "\(text.debugDescription)")
        }
    }

    @Test("a large export parses in linear time")
    func large() throws {
        var text = ""
        let count = 100_000
        text.reserveCapacity(count * 60)
        for index in 0..<count {
            let day = index / 4_000 % 28 + 1
            text +=
                "[\(day)/3/22, 10:\(index % 60 < 10 ? "0" : "")\(index % 60):00] Sender \(index % 7): message number \(index)\n"
            if index % 10 == 0 { text += "continued line \(index)\n" }
        }
        let clock = ContinuousClock()
        var export: ParsedExport?
        let elapsed = clock.measure { export = WhatsAppTextParser.parse(text, fileName: nil) }
        print("WhatsApp parser: \(text.utf8.count) bytes, \(count) messages in \(elapsed)")
        #expect(export?.messages.count == count)
        #expect(elapsed < .seconds(60))
    }
}
