import Foundation
import LeakwatchTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `leakwatch scan` over the four phones' exports of the team chat (and an unrelated chat), in any
/// order, then `leakwatch report` and `leakwatch state check` on what it kept: the real binary.
@Suite(.serialized) struct FourPhoneScanTests {
    typealias Phone = FourPhoneChat.Phone
    let directory: TemporaryDirectory

    init() throws {
        directory = try TemporaryDirectory()
        try FourPhoneChat.write(to: directory.url)
        try directory.write(FourPhoneChat.otherChatFileName, Data(FourPhoneChat.otherChat()))
    }

    var key: [String] { ["--key", directory.path("fingerprint.key")] }

    /// The JSON objects `scan --format json` printed.
    static func objects(_ result: CommandLine.Result) throws -> [[String: Any]] {
        try result.lines.map { try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
    }

    /// An alert's leak, whatever export it came from: chat, rule, field, sender and minute on the
    /// group's clock.
    static func identity(_ alert: [String: Any]) -> String {
        let source = alert["source"] as? [String: Any] ?? [:]
        let message = alert["message"] as? [String: Any] ?? [:]
        let rule = (alert["rule"] as? [String: Any])?["id"] as? String ?? ""
        let field = (alert["match"] as? [String: Any])?["field"] as? String ?? ""
        let path = source["path"] as? String ?? ""
        let phone = Phone(fileName: path)
        let sender = (message["sender"] as? String).map { phone?.person(named: $0)?.id ?? $0 } ?? ""
        var minute = String((message["sent_local"] as? String ?? "").prefix(16))
        if let phone, phone.clockOffset != 0, let date = Self.parse(minute) {
            minute = Self.format(date.addingTimeInterval(TimeInterval(phone.clockOffset * 60)))
        }
        return "\(phone == nil ? path : "team")|\(rule)|\(field)|\(sender)|\(minute)"
    }

    static func parse(_ minute: String) -> Date? {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd'T'HH:mm"
        return formatter.date(from: minute)
    }

    static func format(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd'T'HH:mm"
        return formatter.string(from: date)
    }

    func scan(_ files: [String], extra: [String] = []) throws -> CommandLine.Result {
        try CommandLine.run(
            ["scan", "--rules", "rules", "--format", "json"] + key + extra + files.map { directory.path($0) })
    }

    static let orders: [[Phone]] = [
        [.dave, .priya, .tom, .kate], [.kate, .tom, .dave, .priya], [.tom, .priya, .kate, .dave],
    ]

    @Test(arguments: orders)
    func severalExportsOfOneChatGiveOneAlertPerLeak(order: [Phone]) throws {
        // Each export on its own: the union of their leaks is what they must give together.
        var separate: [[String: Any]] = []
        for file in Phone.allCases.map(\.fileName) + [FourPhoneChat.otherChatFileName] {
            let alone = try scan([file])
            #expect(alone.status == 1, "\(alone.stderr)")
            separate += try Self.objects(alone).filter { $0["schema"] as? String == "leakwatch.alert.v1" }
        }
        let union = Set(separate.map(Self.identity))

        let files = order.map(\.fileName) + [FourPhoneChat.otherChatFileName]
        let together = try scan(files, extra: ["--workers", "2"])
        #expect(together.status == 1, "\(together.stderr)")
        let objects = try Self.objects(together)
        let alerts = objects.filter { $0["schema"] as? String == "leakwatch.alert.v1" }
        let sightings = objects.filter { $0["kind"] as? String == "sighting" }
        #expect(alerts.count == union.count)
        #expect(Set(alerts.map(Self.identity)) == union)
        #expect(sightings.count == separate.count - union.count)
        // A sighting names its alert, and every alert it names was printed (first) in this run.
        let ids = Set(alerts.compactMap { $0["id"] as? String })
        #expect(
            sightings.allSatisfy {
                ids.contains($0["alert"] as? String ?? "") && $0["schema"] as? String == "leakwatch.record.v1"
            })
        // Every alert of the team's chat has a key, and exposure.
        for alert in alerts {
            let message = try #require(alert["message"] as? [String: Any])
            #expect((message["key"] as? String)?.count == 32)
            #expect(alert["exposure"] is [String])
            #expect(alert.keys.contains("responses"))
        }
        // The unrelated chat's copy of the forwarded joke is its own alert.
        let jokes = alerts.filter {
            ($0["match"] as? [String: Any])?["excerpt"] as? String ?? ""
                == "Forwarded: [REDACTED] to worry about 😂 #mondaymotivation"
        }
        #expect(jokes.count == 2)
    }

    @Test func theReportOfTheKeptStateAsTextAndAsAPageThatARealBrowserRenders() throws {
        let state = directory.path("state.sqlite")
        let files = [Phone.dave, .priya, .tom, .kate].map(\.fileName) + [FourPhoneChat.otherChatFileName]
        let scanned = try scan(files, extra: ["--state", state])
        #expect(scanned.status == 1, "\(scanned.stderr)")
        let objects = try Self.objects(scanned)
        let alertCount = objects.filter { $0["schema"] as? String == "leakwatch.alert.v1" }.count
        let sightingCount = objects.filter { $0["kind"] as? String == "sighting" }.count

        let list = try CommandLine.run(["report", "--state", state, "--list"])
        #expect(list.status == 0, "\(list.stderr)")
        #expect(list.lines.count == 2)
        let team = try #require(
            list.lines.first { $0.contains("4 exports") }?.split(separator: "\t").first.map(String.init))

        let text = try CommandLine.run(["report", "--state", state, "--chat", team])
        #expect(text.status == 0, "\(text.stderr)")
        for heading in [
            "Exports", "Participants", "Alerts by category", "Alerts by sender", "Timeline", "Joins and leaves",
            "Responses by participant",
        ] {
            #expect(text.lines.contains(heading), "\(heading)")
        }
        #expect(text.stdout.contains("Mo Ahmed left"))
        #expect(text.stdout.contains("Kate Wilson added by Dave Smith"))
        #expect(text.stdout.contains("Jess Green removed by Dave Smith"))
        #expect(text.stdout.contains("Sam Jones  (also: Sam, Sam J, Sammy)"))

        let page = directory.path("report.html")
        let html = try CommandLine.run(["report", "--state", state, "--format", "html", "--output", page])
        #expect(html.status == 0, "\(html.stderr)")
        let source = try String(contentsOfFile: page, encoding: .utf8)
        #expect(!source.contains("<script"))
        #expect(!source.contains("http://") && !source.contains("https://"), "no external assets (and no map links)")
        for secret in Self.secrets { #expect(!source.contains(secret), "\(secret) in the page") }

        guard let chromium = Self.chromium else {
            print("skipped: no chromium or chromium-browser here (make test installs Debian's chromium)")
            return
        }
        let dom = try Self.run(chromium, Self.chromiumFlags(directory) + ["--dump-dom", "file://\(page)"])
        #expect(dom.status == 0, "\(dom.error)")
        for section in ["summary", "timeline", "exposure", "responses", "sightings", "exports", "participants"] {
            #expect(dom.output.contains("id=\"chat-\(team)-\(section)\""), "\(section)")
        }
        let teamAlerts = alertCount - 1  // the other chat has one
        #expect(dom.output.contains("<dd data-count=\"alerts\">\(teamAlerts)</dd>"))
        #expect(dom.output.contains("<dd data-count=\"sightings\">\(sightingCount)</dd>"))
        #expect(dom.output.contains("<dd data-count=\"exports\">4</dd>"))
        #expect(dom.output.contains("<dd data-count=\"participants\">8</dd>"))
        #expect(dom.output.components(separatedBy: "<article class=\"alert").count - 1 == alertCount)
        for secret in Self.secrets { #expect(!dom.output.contains(secret), "\(secret) rendered") }

        // It prints: a PDF of several pages.
        let pdf = directory.path("report.pdf")
        let printed = try Self.run(
            chromium,
            Self.chromiumFlags(directory) + ["--print-to-pdf=\(pdf)", "--no-pdf-header-footer", "file://\(page)"])
        #expect(printed.status == 0, "\(printed.error)")
        let bytes = try Data(contentsOf: URL(fileURLWithPath: pdf))
        #expect(bytes.starts(with: Array("%PDF".utf8)))
        #expect(
            String(decoding: bytes, as: UTF8.self).components(separatedBy: "/Type /Page\n").count > 2
                || String(decoding: bytes, as: UTF8.self).components(separatedBy: "/Type /Page").count > 3)
    }

    @Test func stateCheckIsCleanAfterAScanThatKeptState() throws {
        let state = directory.path("state.sqlite")
        _ = try scan([Phone.priya.fileName, Phone.kate.fileName], extra: ["--state", state])
        let check = try CommandLine.run(["state", "check", "--state", state])
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
        #expect(check.lines.last == "ok")
        // The same again: the export is known, nothing new, the same alerts printed.
        let again = try scan([Phone.priya.fileName], extra: ["--state", state])
        #expect(try Self.objects(again).filter { $0["kind"] as? String == "sighting" }.isEmpty)
        let missing = try CommandLine.run(["report", "--state", directory.path("nothing.sqlite")])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("no state database here"))
    }

    /// What must never appear in clear: the matched values of masking rules in the test chat.
    static let secrets = [
        "14 Elm Grove", "LS6 1AB", "12/34567/21", "women shouldn't be allowed", "the jumper made a right mess",
        "one less junkie", "53.8190", "-1.5700",
    ]

    static var chromium: String? {
        for name in ["/usr/bin/chromium", "/usr/bin/chromium-browser"] where access(name, X_OK) == 0 { return name }
        return nil
    }

    static func chromiumFlags(_ directory: TemporaryDirectory) -> [String] {
        [
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
            "--user-data-dir=\(directory.path("chromium-profile"))", "--disable-extensions", "--mute-audio",
        ]
    }

    /// Runs a program, collecting stdout and stderr.
    static func run(_ program: String, _ arguments: [String]) throws -> (status: Int32, output: String, error: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = arguments
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        nonisolated(unsafe) var errData = Data()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async {
            errData = err.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        return (
            process.terminationStatus, String(decoding: outData, as: UTF8.self),
            String(decoding: errData, as: UTF8.self)
        )
    }
}
