import Foundation
import LeakwatchCore
import LeakwatchReport
import LeakwatchState
import LeakwatchTestSupport
import Testing

/// One leak, one alert: the four phones' exports of the team's chat, settled in any order against a
/// real SQLite state, give each leak one alert (in the first export that holds it) and a sighting in
/// every other; exposure follows joins and leaves; responses are classified as written. An unrelated
/// chat that shares messages is never merged.
@Suite struct FourPhoneLedgerTests {
    typealias Phone = FourPhoneChat.Phone

    /// What scanning each export alone gives: the union of leaks is what the four together must give,
    /// each once.
    static let separately: [Phone: [Alert]] = {
        var out: [Phone: [Alert]] = [:]
        for phone in Phone.allCases {
            out[phone] = (try? LedgerRun().settle(phone).alerts) ?? []
        }
        return out
    }()

    static let orders: [[Phone]] = [
        [.dave, .priya, .tom, .kate], [.kate, .tom, .priya, .dave], [.tom, .kate, .dave, .priya],
        [.priya, .dave, .kate, .tom],
    ]

    @Test(arguments: orders)
    func eachLeakGivesOneAlertAndASightingPerOtherExport(order: [Phone]) throws {
        let run = try LedgerRun()
        var alerts: [Alert] = []
        var sightings: [ScanRecord] = []
        let other = try run.settle(FourPhoneChat.otherChat(), name: FourPhoneChat.otherChatFileName)
        for phone in order {
            let settled = try run.settle(phone)
            alerts += settled.alerts
            sightings += settled.sightings
        }
        #expect(other.alerts.count == 1)
        #expect(other.sightings.isEmpty, "the other chat is not the team's")

        let union = Set(Self.separately.values.flatMap { $0.map(leakIdentity) })
        let separateCount = Self.separately.values.reduce(0) { $0 + $1.count }
        #expect(!union.isEmpty)
        #expect(alerts.count == union.count, "one alert per leak")
        #expect(Set(alerts.map(leakIdentity)) == union)
        #expect(sightings.count == separateCount - union.count, "a sighting for every other export holding it")
        #expect(Set(sightings.map(\.id)).count == sightings.count)

        // Every leak: one alert in the first export (in this order) that holds it; the same key in all.
        for leak in FourPhoneChat.leaks {
            let found = alerts.filter { $0.rule.id == leak.rule && groupMinute(of: $0) == leak.sentAt }
            try #require(found.count == 1, "\(leak.rule) at \(leak.sentAt): \(found.count) alerts")
            let alert = found[0]
            let firstPhone = try #require(order.first { leak.phones.contains($0) })
            #expect(Phone(fileName: alert.source.path) == firstPhone)
            let key = try #require(alert.message.key)
            let seen = sightings.filter { $0.alert == alert.id }
            #expect(Set(seen.compactMap { Phone(fileName: $0.source.path) }) == leak.phones.subtracting([firstPhone]))
            #expect(seen.allSatisfy { $0.messageKey == key })
            // Each sighting names the sender as that phone writes them.
            for sighting in seen {
                let phone = try #require(Phone(fileName: sighting.source.path))
                #expect(sighting.sender.flatMap { phone.person(named: $0) } == leak.sender, "\(sighting)")
            }
        }
    }

    @Test(arguments: orders)
    func exposureFollowsJoinsAndLeavesAndResponsesAreClassified(order: [Phone]) throws {
        let run = try LedgerRun()
        var alerts: [Alert] = []
        for phone in order { alerts += try run.settle(phone).alerts }
        for leak in FourPhoneChat.leaks {
            let alert = try #require(alerts.first { $0.rule.id == leak.rule && groupMinute(of: $0) == leak.sentAt })
            let phone = try #require(Phone(fileName: alert.source.path))
            let exposure = Set((alert.exposure ?? []).compactMap { phone.person(named: $0)?.id })
            #expect(exposure.count == alert.exposure?.count, "every name is a member: \(alert.exposure ?? [])")
            if phone == .kate {
                // Kate's export alone cannot tell who left before she joined: no one who left shows up.
                #expect(exposure.isSubset(of: leak.exposure), "\(leak.rule): \(exposure.sorted())")
            } else {
                #expect(exposure == leak.exposure, "\(leak.rule) at \(leak.sentAt) from \(phone)")
            }
            let responses = (alert.responses ?? []).map { response in
                (response.sender.flatMap { phone.person(named: $0)?.id } ?? "?", response.kind.rawValue)
            }
            #expect(responses.map(\.0) == leak.responses.map(\.0.id), "\(leak.rule)")
            #expect(responses.map(\.1) == leak.responses.map(\.1), "\(leak.rule)")
            #expect((alert.responses ?? []).allSatisfy { $0.key != nil && $0.line != nil })
            let collects = leak.rule.hasPrefix("conduct.") || leak.rule.hasPrefix("crime-scene-media.")
            #expect((alert.responses != nil) == collects)
        }
    }

    /// A forwarded joke that twenty unrelated chats hold is boilerplate: it neither merges them nor
    /// keeps the team's four phones from being one chat (and settling stays linear in the chats).
    @Test func manyChatsSharingAForwardedMessageStaySeparate() throws {
        let run = try LedgerRun()
        let other = String(decoding: FourPhoneChat.otherChat(), as: UTF8.self)
        for club in 0..<20 {
            let chat = other.replacingOccurrences(of: "Pitch booked", with: "Club \(club) pitch booked")
            let settled = try run.settle(Array(chat.utf8), name: "WhatsApp Chat with Club \(club).txt")
            #expect(settled.alerts.count == 1, "club \(club)")
            #expect(settled.sightings.isEmpty, "club \(club)")
        }
        var alerts: [Alert] = []
        var sightings: [ScanRecord] = []
        for phone in Phone.allCases {
            let settled = try run.settle(phone)
            alerts += settled.alerts
            sightings += settled.sightings
        }
        let union = Set(Self.separately.values.flatMap { $0.map(leakIdentity) })
        let separateCount = Self.separately.values.reduce(0) { $0 + $1.count }
        #expect(alerts.count == union.count, "one alert per leak")
        #expect(sightings.count == separateCount - union.count)
    }

    @Test func theReportCombinesEveryExport() throws {
        let run = try LedgerRun()
        for phone in [Phone.kate, .tom, .priya, .dave] { _ = try run.settle(phone) }
        _ = try run.settle(FourPhoneChat.otherChat(), name: FourPhoneChat.otherChatFileName)
        let chats = try ChatReport.chats(in: run.ledger.database)
        #expect(chats.count == 2)
        let team = try #require(chats.max { $0.exports < $1.exports })
        #expect(team.exports == 4)
        let report = try ChatReport.load(chat: team.id, from: run.ledger.database)
        let union = Set(Self.separately.values.flatMap { $0.map(leakIdentity) })
        #expect(report.entries.count == union.count)
        #expect(report.participants.map(\.name).sorted() == FourPhoneChat.everyone.map(\.name).sorted())
        #expect(
            report.participants.first { $0.name == "Sam Jones" }?.aliases.sorted() == ["Sam", "Sam J", "Sammy"])
        #expect(Set(report.exports.compactMap(\.owner)) == ["Dave Smith", "Priya Patel", "Tom Hughes", "Kate Wilson"])
        #expect(report.exports.first { $0.path == Phone.dave.fileName }?.clockOffset == 0)
        // Kate's export started the chat, on her (UK) clock: Tom's phone is an hour behind it.
        #expect(report.exports.first { $0.path == Phone.tom.fileName }?.clockOffset == 60)
        // Exposure in the report is the union of every export: Kate's own alerts now see who left.
        for leak in FourPhoneChat.leaks {
            let entry = try #require(
                report.entries.first {
                    $0.alert.rule.id == leak.rule
                        && $0.time.hasPrefix(leak.sentAt.replacingOccurrences(of: "T", with: " "))
                })
            let names = Set(entry.exposure)
            let expected = Set(FourPhoneChat.everyone.filter { leak.exposure.contains($0.id) }.map(\.name))
            #expect(names == expected, "\(leak.rule) at \(leak.sentAt)")
            #expect(entry.sightings.count == leak.phones.count - 1)
        }
        let changes = report.membership.map { "\($0.name) \($0.verb)" }
        for change in ["Mo Ahmed left", "Jess Green removed", "Kate Wilson added", "Lee Carter added"] {
            #expect(changes.contains(change), "\(changes)")
        }
        #expect(report.byCategory.reduce(0) { $0 + $1.count } == report.entries.count)
        let kate = try #require(report.responseTally.first { $0.name == "Kate Wilson" })
        #expect(kate.challenges >= 2 && kate.endorsements == 0)
    }

    /// A phone's clock may step back (a time-zone or DST change): the last line is then earlier
    /// than the first. The export still settles, its span from its earliest to its latest minute.
    @Test func anExportWhoseClockStepsBackSettles() throws {
        let run = try LedgerRun()
        let text = """
            08/11/2021, 09:05 - PC Kev Marsh: OFFICIAL-SENSITIVE briefing for the early turn
            08/11/2021, 09:06 - PC Aisha Bello: victim lives at 12 Acacia Road, LS6 2AB
            07/11/2021, 10:00 - PC A: purple elephant

            """
        let settled = try run.settle(Array(text.utf8), name: "clock.txt")
        #expect(!settled.alerts.isEmpty)
        let span = try run.ledger.database.read { db in
            try db.statement("SELECT first_minute <= last_minute FROM export").map { $0.int(0) }
        }
        #expect(span == [1])
    }

    @Test func theSameExportAgainIsNeitherNewAlertsNorSightings() throws {
        let run = try LedgerRun()
        let first = try run.settle(.priya)
        let again = try run.settle(.priya)
        #expect(again.alerts.map(\.id) == first.alerts.map(\.id))
        #expect(again.sightings.isEmpty)
        let stats = try run.ledger.database.read { try $0.scalarInt("SELECT count(*) FROM export") }
        #expect(stats == 1)
    }

    @Test func anAlertedMessageIsSightedWhereNoRuleFiresOnIt() throws {
        // Dave's export with every rule; Priya's with the crime-scene rules turned off: her copies of
        // the photos raise no alert, but they are the same messages, so they are sightings.
        let run = try LedgerRun()
        _ = try run.settle(.dave)
        let directory = repository.appendingPathComponent("rules").path
        let shipped = try FileManager.default.contentsOfDirectory(atPath: directory).filter { !$0.hasSuffix(".md") }.map
        {
            RuleFileSource(
                path: directory + "/" + $0, text: try String(contentsOfFile: directory + "/" + $0, encoding: .utf8))
        }
        let ids = shippedRules.rules.filter { $0.definition.category == .crimeSceneMedia }.map(\.id)
        let disable = RuleFileSource(path: "admin/zz-disable.yml", text: "disable: [\(ids.joined(separator: ", "))]\n")
        let build = RuleSet.build(layers: [shipped, [disable]])
        let reduced = try #require(build.ruleSet, "\(build.problems)")
        let scanner = ExportScanner(ruleSet: reduced, fingerprintKey: Array(repeating: 7, count: 32))
        let priya = try run.settle(try FourPhoneChat.export(.priya), name: Phone.priya.fileName, scanner: scanner)
        #expect(!priya.alerts.contains { $0.rule.category == "crime-scene-media" })
        let photoSightings = priya.sightings.filter { $0.rule?.hasPrefix("crime-scene-media.") == true }
        #expect(photoSightings.count == 2)
        #expect(photoSightings.allSatisfy { $0.sender != nil && $0.line != nil })
    }

    @Test func aLedgerRecordIsStaleWhenAnotherExportOfTheChatAddedAnAlertMeanwhile() throws {
        let run = try LedgerRun()
        let watch = try run.ledger.watch()  // taken before Dave's export is settled
        _ = try run.settle(.dave)
        let result = run.scanner.scan(
            try FourPhoneChat.export(.priya), path: Phone.priya.fileName, fileName: Phone.priya.fileName,
            scratch: try MatchScratch(), detectedAt: "", watch: watch)
        guard case .stale = try run.ledger.record(result) else {
            Issue.record("a scan that did not watch for Dave's alerts must be done again")
            return
        }
        // Nothing of it was kept.
        #expect(try run.ledger.database.read { try $0.scalarInt("SELECT count(*) FROM export") } == 1)
    }
}
