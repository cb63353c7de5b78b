import Foundation
import LeakwatchTestSupport
import Testing

@testable import LeakwatchCore

/// Message content, keys, membership lines, presence and alignment across exports.
struct MessageIdentityTests {
    static func message(_ text: String, kind: MessageKind = .text, attachments: [String] = []) -> Message {
        Message(sent: "", sender: "Dave", text: text, attachments: attachments.map { Attachment(name: $0) }, kind: kind)
    }

    /// Pairs of messages that every export of a chat writes differently and that are the same message.
    static let sameMessage: [(String, Message, Message)] = [
        (
            "media placeholders", message("", kind: .attachment, attachments: ["<Media omitted>"]),
            message("", kind: .attachment, attachments: ["image omitted"])
        ),
        (
            "attached files", message("", kind: .attachment, attachments: ["IMG-20240113-WA0019.jpg"]),
            message("", kind: .attachment, attachments: ["00000019-PHOTO-2024-01-13-10-02-33.jpg"])
        ),
        (
            "caption with a file", message("the kitchen", kind: .attachment, attachments: ["<Media omitted>"]),
            message("the  kitchen", kind: .attachment, attachments: ["<attached: x.jpg>"])
        ),
        (
            "deleted, by you or by them", message("You deleted this message", kind: .deleted),
            message("This message was deleted.", kind: .deleted)
        ),
        (
            "direction marks and isolates", message("\u{200E}ask \u{2068}@Anna\u{2069} about it"),
            message("ask @Anna about it")
        ),
        ("no-break and doubled spaces, line ends", message("call\u{00A0}back  at\r\n6"), message("call back at\n6")),
        ("ASCII case", message("CRN 12/34567/21"), message("crn 12/34567/21")),
        (
            "locations", message("Location: https://maps.google.com/?q=53.8,-1.5", kind: .location),
            message("location: https://maps.google.com/?q=53.8,-1.5", kind: .location)
        ),
    ]

    @Test(arguments: sameMessage.map { ($0.0, $0.1, $0.2) })
    func contentIsTheSameWhateverTheExportCallsIt(_ what: String, _ first: Message, _ second: Message) {
        #expect(MessageContent(of: first) == MessageContent(of: second), "\(what)")
    }

    @Test func differentMessagesHaveDifferentContent() {
        let texts = ["ok", "ok!", "okay", "👍", "👍👍", "send more", "send more please", ""]
        let hashes = Set(texts.map { MessageContent(of: Self.message($0)).hash })
        #expect(hashes.count == texts.count)
        #expect(
            MessageContent(of: Self.message("x", kind: .attachment, attachments: ["a.jpg"]))
                != MessageContent(of: Self.message("x")))
        #expect(!MessageContent(of: Self.message("ok")).isDistinctive)
        #expect(!MessageContent(of: Self.message("👍👍👍")).isDistinctive)
        #expect(MessageContent(of: Self.message("Who has the van keys for nights")).isDistinctive)
    }

    @Test func keysDependOnChatMinuteContentAndOrdinal() {
        let base = MessageKey.make(chatOrigin: "chat", chatMinute: 100, content: 7, ordinal: 0)
        #expect(base.count == 32)
        #expect(base == MessageKey.make(chatOrigin: "chat", chatMinute: 100, content: 7, ordinal: 0))
        for other in [
            MessageKey.make(chatOrigin: "other", chatMinute: 100, content: 7, ordinal: 0),
            MessageKey.make(chatOrigin: "chat", chatMinute: 101, content: 7, ordinal: 0),
            MessageKey.make(chatOrigin: "chat", chatMinute: 100, content: 8, ordinal: 0),
            MessageKey.make(chatOrigin: "chat", chatMinute: 100, content: 7, ordinal: 1),
        ] {
            #expect(other != base)
        }
    }

    static let membershipLines: [(String, MembershipEvent.Change, [String], String?)] = [
        ("Dave added Sam and Lee", .joined, ["Sam", "Lee"], "Dave"),
        (
            "Dave added Priya P, you, Sammy, Mo Ahmed and +44 7700 900789", .joined,
            ["Priya P", ExportOwner.name, "Sammy", "Mo Ahmed", "+44 7700 900789"], "Dave"
        ),
        ("You added Kate Wilson", .joined, ["Kate Wilson"], ExportOwner.name),
        ("Dave Smith added you", .joined, [ExportOwner.name], "Dave Smith"),
        ("Sam joined using this group's invite link", .joined, ["Sam"], nil),
        ("You created group “Response Team 4”", .joined, [ExportOwner.name], nil),
        ("Mo left", .left, ["Mo"], nil),
        ("You left", .left, [ExportOwner.name], nil),
        ("Dave removed Jess Green", .left, ["Jess Green"], "Dave"),
        ("Du hast Mallory hinzugefügt.", .joined, ["Mallory"], nil),
        // Blank ends (tab, no-break and narrow no-break spaces are Unicode space separators) and
        // the marks around a number's name.
        ("\t\u{00A0}Dave added ~\u{202A}+44 7700 900123\u{202C}.\u{202F}", .joined, ["+44 7700 900123"], "Dave"),
        ("Zoë added Renée and Jürgen", .joined, ["Renée", "Jürgen"], "Zoë"),
        ("Ann a ajouté Bob et Chloé", .joined, ["Bob", "Chloé"], nil),
    ]

    @Test(arguments: membershipLines.map { ($0.0, $0.1, $0.2, $0.3) })
    func membershipChangesAreReadFromSystemLines(
        _ text: String, _ change: MembershipEvent.Change, _ people: [String], _ actor: String?
    ) throws {
        let line = Message(
            line: 7, sent: "", timestamp: LocalTimestamp(year: 2024, month: 1, day: 12, hour: 9, minute: 0),
            sender: nil, text: text, kind: .system)
        let event = try #require(MembershipEventReader.event(in: line, index: 3))
        #expect(event.change == change)
        #expect(event.people == people)
        #expect(event.actor == actor)
        #expect(event.line == 7)
        #expect(
            event.minute == MessageFacts.minute(of: LocalTimestamp(year: 2024, month: 1, day: 12, hour: 9, minute: 0)))
    }

    @Test func otherSystemLinesAreNoMembershipChange() {
        for text in [
            "Messages and calls are end-to-end encrypted.", "Dave changed the subject to “Nights”",
            "Your security code with Sam changed.",
        ] {
            #expect(
                MembershipEventReader.event(in: Message(sent: "", sender: nil, text: text, kind: .system), index: 0)
                    == nil)
        }
    }

    /// (evidence, minute, present): participant 1 throughout.
    static let presenceCases: [(String, [PresenceEvidence], Int, [Int])] = [
        ("joined before", [.init(participant: 1, minute: 10, kind: .joined)], 20, [1]),
        ("joined after", [.init(participant: 1, minute: 30, kind: .joined)], 20, []),
        (
            "left before",
            [.init(participant: 1, minute: 0, kind: .wrote), .init(participant: 1, minute: 10, kind: .left)], 20, []
        ),
        ("left after: there before", [.init(participant: 1, minute: 30, kind: .left)], 20, [1]),
        ("wrote later, no join seen", [.init(participant: 1, minute: 30, kind: .wrote)], 20, [1]),
        (
            "left then wrote again",
            [.init(participant: 1, minute: 5, kind: .left), .init(participant: 1, minute: 15, kind: .wrote)], 20, [1]
        ),
        ("same minute as leaving", [.init(participant: 1, minute: 20, kind: .left)], 20, [1]),
        ("own export starts later", [.init(participant: 1, minute: 30, kind: .exported)], 20, []),
        (
            "rejoined",
            [.init(participant: 1, minute: 5, kind: .left), .init(participant: 1, minute: 12, kind: .joined)], 20, [1]
        ),
    ]

    @Test(arguments: presenceCases.map { ($0.0, $0.1, $0.2, $0.3) })
    func presenceFollowsJoinsLeavesAndMessages(
        _ what: String, _ evidence: [PresenceEvidence], _ minute: Int, _ present: [Int]
    ) {
        #expect(Presence.present(at: minute, evidence: evidence) == present, "\(what)")
    }

    /// The rule as first written: every piece of evidence looked at for every question.
    static func presentByScanning(at minute: Int, evidence: [PresenceEvidence]) -> [Int] {
        var byParticipant: [Int: (before: PresenceEvidence?, same: Bool, after: PresenceEvidence?)] = [:]
        for item in evidence {
            var entry = byParticipant[item.participant] ?? (nil, false, nil)
            if item.minute == minute {
                entry.same = true
            } else if item.minute < minute {
                if let before = entry.before, !Presence.isLater(item, than: before) {} else { entry.before = item }
            } else if let after = entry.after, !Presence.isLater(after, than: item) {
            } else {
                entry.after = item
            }
            byParticipant[item.participant] = entry
        }
        return byParticipant.compactMap { participant, entry -> Int? in
            if entry.same { return participant }
            if let before = entry.before { return before.kind == .left ? nil : participant }
            if let after = entry.after { return after.kind == .joined || after.kind == .exported ? nil : participant }
            return nil
        }.sorted()
    }

    @Test func presenceBuiltOnceAnswersAsScanningEveryPieceOfEvidence() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<300 {
            let evidence = (0..<Int.random(in: 0...40, using: &generator)).map { _ in
                PresenceEvidence(
                    participant: Int.random(in: 0...5, using: &generator),
                    minute: Int.random(in: 0...30, using: &generator),
                    kind: PresenceEvidence.Kind.allCases.randomElement(using: &generator)!)
            }
            let presence = Presence(evidence: evidence)
            for minute in -1...31 {
                #expect(
                    presence.present(at: minute) == Self.presentByScanning(at: minute, evidence: evidence),
                    "minute \(minute), evidence \(evidence)")
            }
        }
    }

    // MARK: - Alignment of real exports

    static func transcript(_ bytes: [UInt8], name: String) throws -> (ExportTranscript, ParsedExport) {
        let export = try #require(try ExportParsing.parse(bytes, fileName: name).first)
        var builder = TranscriptBuilder(watch: ContentWatch())
        builder.add(export.messages, startingAt: 0)
        return (builder.transcript, export)
    }

    /// The chat as a first export makes it: its anchors on its own clock, senders numbered.
    static func chatAnchors(_ transcript: ExportTranscript) -> (anchors: [ChatAnchor], senders: [String: Int]) {
        var senders: [String: Int] = [:]
        let anchors = transcript.anchors.map { facts -> ChatAnchor in
            let id = facts.sender.map { name in
                senders[name]
                    ?? {
                        senders[name] = senders.count; return senders.count - 1
                    }()
            }
            return ChatAnchor(
                minute: facts.minute!, content: facts.content.hash, ordinal: facts.ordinal, participant: id)
        }
        return (anchors, senders)
    }

    /// Each phone against Dave's: the clock offset (minutes to add to the phone's times) and how the
    /// phone names three people Dave's phone names.
    static let phoneAlignments: [(FourPhoneChat.Phone, Int, [String: String])] = [
        (.priya, 0, ["Dave": "Dave Smith", "Tommy H": "Tom Hughes", "+44 7700 900456": "Lee Carter"]),
        (.tom, 60, ["Sarge": "Dave Smith", "Sammy": "Sam Jones", "Priya P": "Priya Patel"]),
        (.kate, 0, ["Dave Smith": "Dave Smith", "Tom": "Tom Hughes", "Lee": "Lee Carter"]),
    ]

    @Test(arguments: phoneAlignments.map { ($0.0, $0.1, $0.2) })
    func anotherPhonesExportAlignsWithTheClockOffsetAndNames(
        _ phone: FourPhoneChat.Phone, _ offset: Int, _ names: [String: String]
    ) throws {
        let (dave, _) = try Self.transcript(try FourPhoneChat.export(.dave), name: FourPhoneChat.Phone.dave.fileName)
        let chat = Self.chatAnchors(dave)
        let (other, _) = try Self.transcript(try FourPhoneChat.export(phone), name: phone.fileName)
        let alignment = try #require(
            ExportAlignment.align(
                exportAnchors: other.anchors, exportLevel: other.anchorLevel,
                exportSpan: other.firstMinute!...other.lastMinute!, chatAnchors: chat.anchors, chatLevel: 0))
        #expect(alignment.offset == offset)
        #expect(alignment.coverage > 0.9)
        #expect(alignment.senderAgreement == 1)
        for (written, onDavesPhone) in names {
            #expect(alignment.senders[written] == chat.senders[onDavesPhone], "\(written) is \(onDavesPhone)")
        }
    }

    @Test func chatsThatShareOnlySomeMessagesDoNotAlign() throws {
        let (dave, _) = try Self.transcript(try FourPhoneChat.export(.dave), name: FourPhoneChat.Phone.dave.fileName)
        let (other, export) = try Self.transcript(FourPhoneChat.otherChat(), name: FourPhoneChat.otherChatFileName)
        // They do share messages at the same minutes: "ok", "👍" and the forwarded joke.
        let shared = Set(dave.anchors.map(\.content.hash)).intersection(other.anchors.map(\.content.hash))
        #expect(shared.count == 1)
        #expect(export.messages.contains { $0.text == "ok" } && export.messages.contains { $0.text == "👍" })
        let chat = Self.chatAnchors(dave)
        #expect(
            ExportAlignment.align(
                exportAnchors: other.anchors, exportLevel: other.anchorLevel,
                exportSpan: other.firstMinute!...other.lastMinute!, chatAnchors: chat.anchors, chatLevel: 0) == nil)
    }

    @Test func aShiftedCopyOfTheSameSendersIsNotTheSameChat() throws {
        // The same texts a day later, by the same names: the offset is outside any time zone.
        let (dave, _) = try Self.transcript(try FourPhoneChat.export(.dave), name: FourPhoneChat.Phone.dave.fileName)
        let chat = Self.chatAnchors(dave)
        let shifted = dave.anchors.map { facts -> MessageFacts in
            var moved = facts
            moved.minute = facts.minute! + 3 * 24 * 60
            return moved
        }
        #expect(
            ExportAlignment.align(
                exportAnchors: shifted, exportLevel: 0,
                exportSpan: shifted.first!.minute!...shifted.last!.minute!, chatAnchors: chat.anchors, chatLevel: 0)
                == nil)
    }

    @Test func anchorsAreSampledConsistentlyPastTheCap() throws {
        var builder = TranscriptBuilder(watch: ContentWatch(), anchorCap: 40)
        let (_, export) = try Self.transcript(try FourPhoneChat.export(.dave), name: FourPhoneChat.Phone.dave.fileName)
        builder.add(export.messages, startingAt: 0)
        let transcript = builder.transcript
        #expect(transcript.anchorLevel > 0)
        #expect(transcript.anchors.count <= 40)
        #expect(
            transcript.anchors.allSatisfy { ExportTranscript.isSampled($0.content.hash, level: transcript.anchorLevel) }
        )
    }
}

/// A streamed scan learns what a whole one does about the export's messages.
struct StreamedTranscriptTests {
    @Test(arguments: [200, 1500, 1 << 20])
    func aStreamedScanKeepsTheSameTranscript(chunkBytes: Int) throws {
        let build = RuleSet.build(layers: [
            try FileManager.default.contentsOfDirectory(atPath: Self.rules).filter { !$0.hasSuffix(".md") }.map {
                RuleFileSource(
                    path: Self.rules + "/" + $0,
                    text: try String(contentsOfFile: Self.rules + "/" + $0, encoding: .utf8))
            }
        ])
        let ruleSet = try #require(build.ruleSet, "\(build.problems)")
        let scanner = ExportScanner(ruleSet: ruleSet, fingerprintKey: Array(repeating: 3, count: 32))
        let bytes = try FourPhoneChat.export(.tom)
        let whole = scanner.scan(
            bytes, path: "t.txt", fileName: "t.txt", scratch: try MatchScratch(), detectedAt: "",
            watch: ContentWatch(hashes: [MessageContent(of: MessageIdentityTests.message("ok")).hash]))
        var source = MemoryByteSource(bytes)
        let streamed = StreamingExportScanner(scanner: scanner, chunkBytes: chunkBytes).scan(
            &source, path: "t.txt", fileName: "t.txt", scratch: try MatchScratch(), detectedAt: "",
            wholeFileLimit: .max,
            watch: ContentWatch(hashes: [MessageContent(of: MessageIdentityTests.message("ok")).hash]))
        let a = try #require(whole.transcripts.first)
        let b = try #require(streamed.transcripts.first)
        #expect(!a.alerted.isEmpty && !a.watched.isEmpty && !a.events.isEmpty && !a.responders.isEmpty)
        #expect(a.messageCount == b.messageCount)
        #expect(a.anchors == b.anchors)
        #expect(a.events == b.events)
        #expect(a.senders == b.senders)
        #expect(a.watched == b.watched)
        #expect(a.alerted == b.alerted)
        #expect(a.responders == b.responders)
        #expect(a.responses == b.responses)
        #expect(whole.alerts.map(\.responses) == streamed.alerts.map(\.responses))
    }

    static let rules = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("rules").path
}
