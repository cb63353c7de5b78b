import Foundation
import ZIPFoundation

/// The test chat of issue 11: a WhatsApp group of a response team, about 200 messages over twelve
/// days with six leaks and the replies to them, people added, leaving and removed, written out as
/// four phones would export it:
///
/// - Dave's iPhone, en-GB, 24-hour clock with seconds, media left out (`image omitted`);
/// - Priya's Android, en-GB, her own contact names (`Dave`, `Tommy H`, `+44 7700 900456`),
///   `<Media omitted>`;
/// - Tom's Android, en-US (month first, 12-hour clock), set one hour behind, with media names
///   (`IMG-…-WA0003.jpg (file attached)`);
/// - Kate's iPhone, as a zip with `_chat.txt` and the photos, starting a week later (when she was
///   added).
///
/// And a second, unrelated chat ("Five-a-side") that shares some identical messages with it at the
/// same minutes ("ok", "👍", a forwarded joke that is itself a conduct leak), which must never be
/// taken for the same chat.
public enum FourPhoneChat {
    /// A member of the group, and the names each phone knows them by.
    public struct Person: Sendable, Hashable {
        public let id: String
        /// The profile name, as their own phone writes their messages.
        public let name: String
        let onPriya: String
        let onTom: String
        let onKate: String

        func written(on phone: Phone) -> String {
            switch phone {
            case .dave: name
            case .priya: onPriya
            case .tom: onTom
            case .kate: onKate
            }
        }
    }

    public static let dave = Person(
        id: "dave", name: "Dave Smith", onPriya: "Dave", onTom: "Sarge", onKate: "Dave Smith")
    public static let priya = Person(
        id: "priya", name: "Priya Patel", onPriya: "Priya Patel", onTom: "Priya P", onKate: "Priya")
    public static let tom = Person(
        id: "tom", name: "Tom Hughes", onPriya: "Tommy H", onTom: "Tom Hughes", onKate: "Tom")
    public static let sam = Person(id: "sam", name: "Sam Jones", onPriya: "Sam J", onTom: "Sammy", onKate: "Sam")
    public static let mo = Person(id: "mo", name: "Mo Ahmed", onPriya: "Mo", onTom: "Mo Ahmed", onKate: "Mo")
    public static let lee = Person(
        id: "lee", name: "Lee Carter", onPriya: "+44 7700 900456", onTom: "Lee Carter", onKate: "Lee")
    public static let kate = Person(
        id: "kate", name: "Kate Wilson", onPriya: "Kate W", onTom: "Kate", onKate: "Kate Wilson")
    public static let jess = Person(
        id: "jess", name: "Jess Green", onPriya: "Jess", onTom: "+44 7700 900789", onKate: "Jess Green")

    public static let everyone = [dave, priya, tom, sam, mo, lee, kate, jess]

    /// The four phones.
    public enum Phone: String, CaseIterable, Sendable {
        case dave, priya, tom, kate

        /// The phone whose export has this file name (a path is fine).
        public init?(fileName: String) {
            let name = fileName.split(separator: "/").last.map(String.init) ?? fileName
            guard let phone = Phone.allCases.first(where: { $0.fileName == name }) else { return nil }
            self = phone
        }

        /// Minutes to add to this phone's times to get the group's clock (Tom's is an hour behind).
        public var clockOffset: Int { self == .tom ? 60 : 0 }

        /// The person this phone calls `name`.
        public func person(named name: String) -> Person? {
            FourPhoneChat.everyone.first { $0.written(on: self) == name }
        }

        var owner: Person {
            switch self {
            case .dave: FourPhoneChat.dave
            case .priya: FourPhoneChat.priya
            case .tom: FourPhoneChat.tom
            case .kate: FourPhoneChat.kate
            }
        }

        /// The export's file name.
        public var fileName: String {
            switch self {
            case .dave: "WhatsApp Chat - Response Team 4.txt"
            case .priya: "WhatsApp Chat with Response Team 4.txt"
            case .tom: "WhatsApp Chat with Response Team 4 (Tom).txt"
            case .kate: "WhatsApp Chat - Response Team 4.zip"
            }
        }
    }

    /// What happens in the chat.
    enum Event {
        case text(Person, String)
        case photo(Person, caption: String)
        case deleted(Person)
        case location(Person, latitude: String, longitude: String)
        case created(Person)
        case added(Person, [Person])
        case left(Person)
        case removed(Person, Person)
    }

    /// One line of the chat, at a time on the group's clock (UK time).
    struct Line {
        var time: Date
        var event: Event
    }

    /// A leak of the chat, as the tests expect it to be found.
    public struct Leak: Sendable {
        /// The rule id that must alert on it.
        public let rule: String
        /// A piece of the message that identifies it.
        public let text: String
        /// Who sent it.
        public let sender: Person
        /// The phones whose export holds it.
        public let phones: Set<Phone>
        /// Who was in the group when it was sent.
        public let exposure: Set<String>
        /// Replies, in order: (person, kind).
        public let responses: [(Person, String)]
        /// When it was sent on the group's clock (UK time), to the minute: `2024-01-13T10:02`.
        public let sentAt: String
    }

    // MARK: - The chat

    static let calendar: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar
    }()

    static func at(_ day: Int, _ hour: Int, _ minute: Int, _ second: Int = 0) -> Date {
        calendar.date(
            from: DateComponents(year: 2024, month: 1, day: 12 + day, hour: hour, minute: minute, second: second))!
    }

    /// Who is in the group after the first `count` lines.
    static func members(after lines: [Line], upTo count: Int) -> [Person] {
        var present: [Person] = []
        for line in lines.prefix(count) {
            switch line.event {
            case .created(let person): present.append(person)
            case .added(_, let people): present += people
            case .left(let person), .removed(_, let person): present.removeAll { $0 == person }
            default: break
            }
        }
        return present
    }

    /// The leaks, with who saw them and how they were answered.
    public static let leaks: [Leak] = [
        Leak(
            rule: "crime-scene-media.image-attachment", text: "this is the kitchen", sender: tom,
            phones: [.dave, .priya, .tom], exposure: ["dave", "priya", "tom", "sam", "mo", "jess"],
            responses: [(sam, "endorsement"), (mo, "endorsement"), (priya, "challenge"), (dave, "neither")],
            sentAt: "2024-01-13T10:02"),
        Leak(
            rule: "conduct.sexist-generalisation", text: "women shouldn't be allowed", sender: sam,
            phones: [.dave, .priya, .tom], exposure: ["dave", "priya", "tom", "sam", "mo", "jess", "lee"],
            responses: [(mo, "endorsement"), (lee, "endorsement"), (jess, "challenge")], sentAt: "2024-01-15T13:20"),
        Leak(
            rule: "location.uk-postcode", text: "Victim lives at", sender: priya,
            phones: [.dave, .priya, .tom], exposure: ["dave", "priya", "tom", "sam", "jess", "lee"], responses: [],
            sentAt: "2024-01-17T11:00"),
        Leak(
            rule: "case-reference.crime-reference", text: "Crime ref for the burglary", sender: dave,
            phones: [.dave, .priya, .tom, .kate], exposure: ["dave", "priya", "tom", "sam", "jess", "lee", "kate"],
            responses: [], sentAt: "2024-01-20T09:15"),
        Leak(
            rule: "crime-scene-media.image-attachment", text: "that's the DB", sender: lee,
            phones: [.dave, .priya, .tom, .kate], exposure: ["dave", "priya", "tom", "sam", "jess", "lee", "kate"],
            responses: [(tom, "endorsement"), (kate, "challenge"), (sam, "endorsement")], sentAt: "2024-01-21T10:02"),
        Leak(
            rule: "conduct.victim-mockery", text: "the jumper made a right mess", sender: tom,
            phones: [.dave, .priya, .tom, .kate], exposure: ["dave", "priya", "tom", "sam", "lee", "kate"],
            responses: [(sam, "endorsement"), (kate, "challenge"), (lee, "endorsement")], sentAt: "2024-01-22T22:40"),
    ]

    /// The forwarded joke both chats carry (a conduct leak in each).
    public static let forwardedJoke = "Forwarded: one less junkie to worry about 😂 #mondaymotivation"

    static let story: [Line] = {
        var lines: [Line] = [
            Line(time: at(0, 9, 0, 5), event: .created(dave)),
            Line(time: at(0, 9, 0, 40), event: .added(dave, [priya, tom, sam, mo, jess])),
            Line(
                time: at(0, 9, 2, 10),
                event: .text(dave, "Morning all, new group for the team so we stop using the old one")),
            // Leak 1: a scene photo on day 1, with replies.
            Line(
                time: at(1, 10, 0, 12), event: .text(tom, "CSI just finished, this is the kitchen where he was found")),
            Line(time: at(1, 10, 2, 33), event: .photo(tom, caption: "")),
            Line(time: at(1, 10, 3, 1), event: .text(sam, "😂😂")),
            Line(time: at(1, 10, 3, 40), event: .text(mo, "lol send more")),
            Line(time: at(1, 10, 4, 55), event: .text(priya, "that's a victim mate, take it down")),
            Line(time: at(1, 10, 6, 2), event: .text(dave, "👍")),
            Line(time: at(2, 10, 5, 0), event: .added(dave, [lee])),
            Line(time: at(2, 10, 6, 30), event: .text(lee, "Cheers Sarge, glad to be on the team")),
            Line(time: at(2, 14, 20, 0), event: .deleted(mo)),
            Line(time: at(2, 16, 40, 0), event: .deleted(dave)),
            // Leak 2: a sexist remark on day 3.
            Line(time: at(3, 13, 20, 14), event: .text(sam, "honestly women shouldn't be allowed to be on response")),
            Line(time: at(3, 13, 21, 2), event: .text(mo, "haha class")),
            Line(time: at(3, 13, 21, 50), event: .text(lee, "👏👏")),
            Line(time: at(3, 13, 23, 9), event: .text(jess, "that's not on, Sam")),
            Line(time: at(4, 0, 30, 0), event: .text(tom, "anyone still up? quiet night on the north side")),
            Line(time: at(4, 18, 30, 0), event: .left(mo)),
            // Leak 3: a victim's address on day 5 (Mo has left).
            Line(
                time: at(5, 11, 0, 45),
                event: .text(priya, "Victim lives at 14 Elm Grove, Leeds LS6 1AB, she wants a call back")),
            Line(time: at(5, 11, 30, 0), event: .location(priya, latitude: "53.8190", longitude: "-1.5700")),
            Line(time: at(6, 12, 0, 20), event: .text(sam, forwardedJoke)),
            Line(time: at(6, 12, 4, 0), event: .text(dave, "ok")),
            Line(time: at(6, 12, 5, 0), event: .text(lee, "👍")),
            Line(time: at(7, 8, 0, 0), event: .added(dave, [kate])),
            Line(time: at(7, 8, 2, 30), event: .text(kate, "Hi all, Kate from the day team, thanks for having me")),
            // Leak 4: a crime reference on day 8 (Kate is in).
            Line(
                time: at(8, 9, 15, 0),
                event: .text(
                    dave, "Crime ref for the burglary at the flats is CRN 12/34567/21 if anyone needs it for statements"
                )),
            // Leak 5: another scene photo on day 9, Kate objects.
            Line(time: at(9, 10, 2, 33), event: .photo(lee, caption: "")),
            Line(time: at(9, 10, 3, 10), event: .text(lee, "that's the DB, found by the dog walker")),
            Line(time: at(9, 10, 4, 0), event: .text(tom, "🤣")),
            Line(time: at(9, 10, 5, 12), event: .text(kate, "I'm reporting this")),
            Line(time: at(9, 10, 6, 0), event: .text(sam, "lol")),
            Line(time: at(9, 17, 0, 0), event: .removed(dave, jess)),
            // Leak 6: mocking a death on day 10 (Jess has been removed).
            Line(time: at(10, 22, 40, 5), event: .text(tom, "the jumper made a right mess of the car park 😂")),
            Line(time: at(10, 22, 41, 0), event: .text(sam, "🤣🤣")),
            Line(time: at(10, 22, 42, 30), event: .text(kate, "not funny. someone's son")),
            Line(time: at(10, 22, 43, 0), event: .text(lee, "classic")),
        ]
        lines += filler(around: lines)
        return lines.sorted { $0.time < $1.time }
    }()

    /// Ordinary shift talk between the leaks, from whoever is in the group then: distinctive
    /// enough to line exports up, never a leak.
    static func filler(around story: [Line]) -> [Line] {
        let openers = [
            "Who has the van keys for", "Reminder about the briefing before", "Can someone cover the front desk during",
            "Canteen is shut again until", "Radio battery died twice during", "Sarge wants the stats done before",
            "Anyone fancy a brew before", "Traffic is horrendous on the ring road before",
            "Parking at the nick is full again for",
            "Training day got moved to", "Kit room is open late for", "Paperwork mountain to clear before",
        ]
        let endings = [
            "the early turn", "the late turn", "nights", "the weekend", "the football on Saturday", "the rest day",
            "the team meeting", "the inspection", "lunch", "the handover",
        ]
        var lines: [Line] = []
        var seed: UInt64 = 11
        func next(_ bound: Int) -> Int {
            seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((seed >> 33) % UInt64(bound))
        }
        let sorted = story.sorted { $0.time < $1.time }
        for day in 0..<12 {
            for slot in 0..<14 {
                let time = at(day, 7 + slot, next(50) + 5, next(60))
                // Keep filler out of the ten minutes after each leak, so replies stay replies.
                let nearStory = sorted.contains { abs($0.time.timeIntervalSince(time)) < 15 * 60 }
                if nearStory { continue }
                guard let index = sorted.lastIndex(where: { $0.time <= time }) else { continue }
                let present = members(after: sorted, upTo: index + 1).filter { $0 != kate || day >= 7 }
                guard !present.isEmpty else { continue }
                let who = present[next(present.count)]
                let text =
                    "\(openers[next(openers.count)]) \(endings[next(endings.count)]), day \(day + 1) slot \(slot + 1)"
                lines.append(Line(time: time, event: .text(who, text)))
            }
        }
        return lines
    }

    /// Every line of the chat on the group's clock.
    static var lines: [Line] { story }

    /// The number of messages (not counting the app's own lines).
    public static var messageCount: Int {
        lines.filter {
            switch $0.event {
            case .created, .added, .left, .removed: false
            default: true
            }
        }.count
    }

    // MARK: - Writing the exports

    /// The export of `phone`: bytes of the text file (or of the zip for Kate).
    public static func export(_ phone: Phone) throws -> [UInt8] {
        let text = render(phone)
        guard phone == .kate else { return Array(text.utf8) }
        let archive = try Archive(accessMode: .create)
        var members: [(String, [UInt8])] = [("_chat.txt", Array(text.utf8))]
        for line in visible(on: .kate) {
            if case .photo = line.event { members.append((photoName(line, phone: .kate), jpegBytes)) }
        }
        for (name, content) in members {
            try archive.addEntry(
                with: name, type: .file, uncompressedSize: Int64(content.count), compressionMethod: .deflate,
                bufferSize: 1 << 16,
                provider: { position, chunk in Data(content[Int(position)..<Int(position) + chunk]) })
        }
        guard let data = archive.data else { throw CocoaError(.fileWriteUnknown) }
        return [UInt8](data)
    }

    /// Writes the four exports into `directory`; returns their paths, in `Phone.allCases` order.
    @discardableResult
    public static func write(to directory: URL, phones: [Phone] = Phone.allCases) throws -> [URL] {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return try phones.map { phone in
            let url = directory.appendingPathComponent(phone.fileName)
            try Data(export(phone)).write(to: url)
            return url
        }
    }

    /// The lines a phone has: everything from when its owner was in the group.
    static func visible(on phone: Phone) -> [Line] {
        guard phone == .kate else { return lines }
        let joined = lines.first {
            if case .added(_, let people) = $0.event { return people.contains(kate) }
            return false
        }!.time
        return lines.filter { $0.time >= joined }
    }

    static func photoName(_ line: Line, phone: Phone) -> String {
        let index = lines.firstIndex { $0.time == line.time }!
        let stamp = format(line.time, "yyyy-MM-dd-HH-mm-ss", offset: 0)
        switch phone {
        case .tom:
            return "IMG-\(format(line.time, "yyyyMMdd", offset: -3600))-WA\(String(format: "%04d", index % 10_000)).jpg"
        default: return String(format: "%08d", index) + "-PHOTO-\(stamp).jpg"
        }
    }

    static func format(_ date: Date, _ pattern: String, offset: TimeInterval) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = pattern
        return formatter.string(from: date.addingTimeInterval(offset))
    }

    static let lrm = "\u{200E}"

    /// The export's text, as the phone writes it.
    static func render(_ phone: Phone) -> String {
        let ios = phone == .dave || phone == .kate
        let offset: TimeInterval = phone == .tom ? -3600 : 0
        func header(_ date: Date) -> String {
            switch phone {
            case .dave, .kate: "[\(format(date, "dd/MM/yyyy, HH:mm:ss", offset: offset))]"
            case .priya: "\(format(date, "dd/MM/yyyy, HH:mm", offset: offset)) -"
            case .tom: "\(format(date, "M/d/yy, h:mm a", offset: offset)) -"
            }
        }
        func name(_ person: Person) -> String {
            person == phone.owner ? "You" : person.written(on: phone)
        }
        func list(_ people: [Person]) -> String {
            let names = people.map { $0 == phone.owner ? (ios ? "you" : "you") : $0.written(on: phone) }
            guard names.count > 1 else { return names.first ?? "" }
            return names.dropLast().joined(separator: ", ") + " and " + names.last!
        }
        let chat = "Response Team 4"
        var out: [String] = []
        let visible = visible(on: phone)
        let start = visible.first!.time.addingTimeInterval(-5)
        let notice =
            "Messages and calls are end-to-end encrypted. No one outside of this chat, not even WhatsApp, can read or listen to them."
        out.append(ios ? "\(header(start)) \(chat): \(lrm)\(notice)" : "\(header(start)) \(notice) Tap to learn more.")
        for line in visible {
            let stamp = header(line.time)
            func system(_ text: String) {
                out.append(ios ? "\(lrm)\(stamp) \(chat): \(lrm)\(text)" : "\(stamp) \(text)")
            }
            func message(_ person: Person, _ text: String) {
                out.append("\(stamp) \(person.written(on: phone)): \(text)")
            }
            switch line.event {
            case .created(let person):
                system(
                    "\(name(person)) created group “\(chat)”".replacingOccurrences(
                        of: "You created", with: "You created"))
            case .added(let actor, let people):
                if people.contains(phone.owner), actor != phone.owner {
                    system("\(name(actor)) added \(list(people))")
                } else {
                    system("\(name(actor)) added \(list(people))")
                }
            case .left(let person):
                system("\(name(person)) left")
            case .removed(let actor, let person):
                system("\(name(actor)) removed \(name(person))")
            case .text(let person, let text):
                message(person, text)
            case .deleted(let person):
                message(
                    person,
                    person == phone.owner
                        ? (ios ? "\(lrm)You deleted this message." : "You deleted this message")
                        : (ios ? "\(lrm)This message was deleted." : "This message was deleted"))
            case .location(let person, let latitude, let longitude):
                let link = "https://maps.google.com/?q=\(latitude),\(longitude)"
                message(person, ios ? "\(lrm)Location: \(link)" : "location: \(link)")
            case .photo(let person, let caption):
                switch phone {
                case .dave: message(person, "\(lrm)image omitted" + (caption.isEmpty ? "" : " \(caption)"))
                case .priya: message(person, "<Media omitted>")
                case .tom:
                    message(
                        person,
                        "\(photoName(line, phone: .tom)) (file attached)" + (caption.isEmpty ? "" : "\n\(caption)"))
                case .kate:
                    out.append(
                        "\(lrm)\(stamp) \(person.written(on: phone)): \(lrm)<attached: \(photoName(line, phone: .kate))>"
                    )
                }
            }
        }
        return out.joined(separator: ios ? "\r\n" : "\n") + (ios ? "\r\n" : "\n")
    }

    /// A tiny valid JPEG (8×8 grey, written by ImageMagick): media scanning reads it whole.
    static let jpegBytes: [UInt8] = [
        0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 0x4A, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01,
        0x00, 0x00, 0xFF, 0xDB, 0x00, 0x43, 0x00, 0x10, 0x0B, 0x0C, 0x0E, 0x0C, 0x0A, 0x10, 0x0E, 0x0D, 0x0E, 0x12,
        0x11, 0x10, 0x13, 0x18, 0x28, 0x1A, 0x18, 0x16, 0x16, 0x18, 0x31, 0x23, 0x25, 0x1D, 0x28, 0x3A, 0x33, 0x3D,
        0x3C, 0x39, 0x33, 0x38, 0x37, 0x40, 0x48, 0x5C, 0x4E, 0x40, 0x44, 0x57, 0x45, 0x37, 0x38, 0x50, 0x6D, 0x51,
        0x57, 0x5F, 0x62, 0x67, 0x68, 0x67, 0x3E, 0x4D, 0x71, 0x79, 0x70, 0x64, 0x78, 0x5C, 0x65, 0x67, 0x63, 0xFF,
        0xC0, 0x00, 0x0B, 0x08, 0x00, 0x08, 0x00, 0x08, 0x01, 0x01, 0x11, 0x00, 0xFF, 0xC4, 0x00, 0x14, 0x00, 0x01,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xFF, 0xC4,
        0x00, 0x14, 0x10, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0xFF, 0xDA, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x3F, 0x00, 0x3F, 0xFF, 0xD9,
    ]

    // MARK: - The unrelated chat

    /// "Five-a-side": another group that shares "ok", "👍" and the forwarded joke with the team's
    /// chat, at the same minutes, from Rob's Android.
    public static let otherChatFileName = "WhatsApp Chat with Five-a-side.txt"

    public static func otherChat() -> [UInt8] {
        let people = ["Rob", "Gaz", "Sam J", "Deano"]
        var lines: [(Date, String, String)] = []
        for index in 0..<24 {
            let time = at(6, 8 + index / 3, (index % 3) * 17 + 3, 0)
            let who = people[index % people.count]
            lines.append((time, who, "Pitch booked for Thursday? need \(index % 5 + 6) players, round \(index + 1)"))
        }
        lines.append((at(6, 12, 0, 40), "Sam J", forwardedJoke))
        lines.append((at(6, 12, 4, 0), "Rob", "ok"))
        lines.append((at(6, 12, 5, 0), "Gaz", "👍"))
        lines.sort { $0.0 < $1.0 }
        var out = [
            "\(format(at(6, 7, 0), "dd/MM/yyyy, HH:mm", offset: 0)) - Messages and calls are end-to-end encrypted. No one outside of this chat, not even WhatsApp, can read or listen to them. Tap to learn more."
        ]
        for (time, who, text) in lines {
            out.append("\(format(time, "dd/MM/yyyy, HH:mm", offset: 0)) - \(who): \(text)")
        }
        return Array((out.joined(separator: "\n") + "\n").utf8)
    }
}
