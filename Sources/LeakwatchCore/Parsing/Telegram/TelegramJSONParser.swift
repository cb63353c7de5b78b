import Foundation

/// Telegram Desktop's JSON export (`result.json`): a single-chat export
/// (`{name, type, id, messages}`) or a full export (`{..., chats: {list: [...]}, left_chats: ...}`).
///
/// One `ParsedExport` per chat. Decisions worth knowing:
/// - `text` is the visible text: plain strings and the `text` of every entity object, in order.
///   A `text_link` entity whose hidden URL differs from its visible text is rendered
///   `text (url)`, so a rule still sees the URL.
/// - `forwarded_from` is left out of the text; the sender stays `from` (who put it in the chat).
/// - Attachments (`photo`, `file`, `contact_vcard`; kind `.attachment` also for a bare `media_type`) are named by the path
///   as written (`photos/photo_1@27-03-2022_21-41-55.jpg`). `present` is `nil` (unknown) in a bare
///   `result.json`, `false` when Telegram wrote "(File not included...)" instead of a path; the zip
///   reader fills in `present`/`size` for files it finds beside the JSON.
/// - Service messages (`type: "service"`) are kind `.system`, sender = `actor`, text = a readable
///   rendering of `action` with its `title`/`members`/... .
/// - Telegram writes some control characters as `\xHH` inside strings (not JSON); they are read as
///   `\u00HH`. Decoded with `JSONDecoder` into lenient structs (a field of an unexpected type
///   counts as absent): about 4-6 s for 90 MB in a release build here.
public enum TelegramJSONParser {
    /// Parses `bytes` as a Telegram export; `nil` when the bytes are not one (another JSON, or no
    /// JSON at all). Throws `unparseable` when the bytes are clearly a broken Telegram export.
    public static func parse(_ bytes: [UInt8]) throws(ExportError) -> [ParsedExport]? {
        var body = bytes[...]
        if body.starts(with: TextDecoding.utf8BOM) { body = body.dropFirst(3) }
        guard let first = body.first(where: { !isJSONWhitespace($0) }), first == UInt8(ascii: "{") else {
            return nil
        }
        // The JSON reader fails (or drops the string) on invalid UTF-8: repair it first (U+FFFD),
        // and say so.
        var notes: [ParseNote] = []
        var json = body
        if !TextDecoding.isValidUTF8(body) {
            let decoded = TextDecoding.decode(Array(body))
            notes = decoded.notes
            json = Array(decoded.text.utf8)[...]
        }
        let root: Root
        switch decodeRoot(escapeHexBytes(json)) {
        case .success(let decoded):
            root = decoded
        case .failure(.notAnObject):
            return nil
        case .failure(.broken(let why)):
            guard looksLikeTelegram(body) else { return nil }
            throw ExportError(
                code: "unparseable", message: "looks like a Telegram JSON export but is not valid JSON: \(why)")
        }

        var chats: [Chat] = []
        if root.hasMessages {
            guard let messages = root.messages else {
                throw ExportError(code: "unparseable", message: "Telegram export: `messages` is not a list")
            }
            chats.append(Chat(name: root.name, messages: messages))
        } else if root.hasChats || root.hasLeftChats {
            for (key, present, list) in [
                ("chats", root.hasChats, root.chats), ("left_chats", root.hasLeftChats, root.leftChats),
            ] where present {
                guard let list else {
                    throw ExportError(
                        code: "unparseable", message: "Telegram export: `\(key).list` is not a list of chats")
                }
                chats.append(contentsOf: list)
            }
        } else {
            return nil
        }
        return chats.map { chat in
            var export = parseChat(chat)
            export.notes.insert(contentsOf: notes, at: 0)
            return export
        }
    }

    // MARK: - Decoding (lenient Codable: a field of an unexpected type is treated as absent)

    enum RootFailure: Error { case notAnObject, broken(String) }

    static func decodeRoot(_ data: Data) -> Result<Root, RootFailure> {
        do {
            return .success(try JSONDecoder().decode(Root.self, from: data))
        } catch DecodingError.typeMismatch {
            return .failure(.notAnObject)
        } catch {
            return .failure(.broken(describe(error)))
        }
    }

    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ string: String) { stringValue = string }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    struct Root: Decodable {
        var name: String?
        var hasMessages: Bool
        var messages: [Lenient<TelegramMessage>]?
        var hasChats: Bool
        var chats: [Chat]?
        var hasLeftChats: Bool
        var leftChats: [Chat]?

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: Key.self)
            name = container.lenient("name")
            hasMessages = container.contains(Key("messages"))
            messages = container.lenient("messages")
            hasChats = container.contains(Key("chats"))
            chats = container.lenient(ChatList.self, "chats")?.list
            hasLeftChats = container.contains(Key("left_chats"))
            leftChats = container.lenient(ChatList.self, "left_chats")?.list
        }
    }

    struct ChatList: Decodable {
        var list: [Chat]
    }

    struct Chat: Decodable {
        var name: String?
        var messages: [Lenient<TelegramMessage>]?

        init(name: String?, messages: [Lenient<TelegramMessage>]?) {
            self.name = name
            self.messages = messages
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: Key.self)
            name = container.lenient("name")
            messages = container.lenient("messages")
        }
    }

    /// A list element that may be of any shape: `nil` when it is not the expected object.
    struct Lenient<T: Decodable>: Decodable {
        var value: T?
        init(from decoder: any Decoder) throws { value = try? T(from: decoder) }
    }

    struct TextPart: Decodable {
        var text: String
        var href: String?

        init(from decoder: any Decoder) throws {
            if let string = try? decoder.singleValueContainer().decode(String.self) {
                text = string
                return
            }
            let container = try decoder.container(keyedBy: Key.self)
            text = container.lenient("text") ?? ""
            href = container.lenient("href")
        }
    }

    enum Text: Decodable {
        case string(String)
        case parts([Lenient<TextPart>])

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let string = try? container.decode(String.self) {
                self = .string(string)
            } else {
                self = .parts(try container.decode([Lenient<TextPart>].self))
            }
        }
    }

    struct Coordinates: Decodable {
        var latitude: Double?
        var longitude: Double?
        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: Key.self)
            latitude = container.flexibleDouble("latitude")
            longitude = container.flexibleDouble("longitude")
        }
    }

    struct Contact: Decodable {
        var firstName: String?
        var lastName: String?
        var phoneNumber: String?
        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: Key.self)
            firstName = container.lenient("first_name")
            lastName = container.lenient("last_name")
            phoneNumber = container.lenient("phone_number")
        }
    }

    struct Poll: Decodable {
        var question: String?
        var answers: [Lenient<TextPart>]
        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: Key.self)
            question = container.lenient("question")
            answers = container.lenient("answers") ?? []
        }
    }

    struct TelegramMessage: Decodable {
        var id: String?
        var type: String?
        var date: String?
        var from: String?
        var actor: String?
        var action: String?
        var title: String?
        var members: [String?]?
        var inviter: String?
        var pinnedMessageID: String?
        var durationSeconds: Int?
        var discardReason: String?
        var text: Text?
        var textEntities: [Lenient<TextPart>]?
        var photo: String?
        var photoFileSize: Int?
        var file: String?
        var fileName: String?
        var fileSize: Int?
        var contactVCard: String?
        var mediaType: String?
        var location: Coordinates?
        var placeName: String?
        var address: String?
        var contact: Contact?
        var poll: Poll?

        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: Key.self)
            id = c.flexibleString("id")
            type = c.lenient("type")
            date = c.lenient("date")
            from = c.lenient("from")
            actor = c.lenient("actor")
            action = c.lenient("action")
            title = c.lenient("title")
            members = c.lenient("members")
            inviter = c.lenient("inviter")
            pinnedMessageID = c.flexibleString("message_id")
            durationSeconds = c.flexibleInt("duration_seconds")
            discardReason = c.lenient("discard_reason")
            text = c.lenient("text")
            // `text_entities` repeats `text`: read only when `text` is missing.
            if text == nil { textEntities = c.lenient("text_entities") }
            photo = c.lenient("photo")
            photoFileSize = c.flexibleInt("photo_file_size")
            file = c.lenient("file")
            fileName = c.lenient("file_name")
            fileSize = c.flexibleInt("file_size")
            contactVCard = c.lenient("contact_vcard")
            mediaType = c.lenient("media_type")
            location = c.lenient("location_information")
            placeName = c.lenient("place_name")
            address = c.lenient("address")
            contact = c.lenient("contact_information")
            poll = c.lenient("poll")
        }
    }

    // MARK: - Chats and messages

    static func parseChat(_ chat: Chat) -> ParsedExport {
        var participants = Participants()
        let raw = chat.messages ?? []
        var messages: [Message] = []
        messages.reserveCapacity(raw.count)
        var skipped = 0
        for slot in raw {
            guard let object = slot.value else {
                skipped += 1
                continue
            }
            messages.append(message(from: object, participants: &participants))
        }
        var notes: [ParseNote] = []
        if skipped > 0 {
            notes.append(
                ParseNote(
                    code: "unplaced-messages",
                    message: "\(skipped) entr(y/ies) of `messages` were not message objects and were skipped"))
        }
        return ParsedExport(
            format: .telegramJSON, chat: chat.name, entry: nil, participants: participants.names, messages: messages,
            notes: notes)
    }

    static func message(from object: TelegramMessage, participants: inout Participants) -> Message {
        let sent = object.date ?? ""
        let timestamp = parseTimestamp(sent)
        var text = renderText(object.text, entities: object.textEntities)

        if object.type == "service" {
            participants.add(object.actor)
            let members = (object.members ?? []).compactMap { $0 }
            for member in members { participants.add(member) }
            let rendering = renderAction(object, members: members)
            if text.isEmpty {
                text = rendering
            } else if !rendering.isEmpty {
                text = rendering + "\n" + text
            }
            return Message(
                id: object.id, sent: sent, timestamp: timestamp, sender: object.actor, text: text, kind: .system)
        }

        participants.add(object.from)
        var kind = MessageKind.text
        var attachments: [Attachment] = []
        var location: Location?

        if let path = object.photo, !path.isEmpty {
            attachments.append(attachment(path: path, fileName: nil, size: object.photoFileSize))
        }
        if let path = object.file, !path.isEmpty {
            attachments.append(attachment(path: path, fileName: object.fileName, size: object.fileSize))
        }
        if let path = object.contactVCard, !path.isEmpty {
            attachments.append(attachment(path: path, fileName: nil, size: nil))
        }
        if !attachments.isEmpty || object.mediaType != nil {
            kind = .attachment
        }

        if let info = object.location {
            var parts: [String] = []
            for value in [object.placeName, object.address] {
                if let value, !value.isEmpty { parts.append(value) }
            }
            if let latitude = info.latitude, let longitude = info.longitude {
                parts.append("\(latitude), \(longitude)")
            }
            location = Location(latitude: info.latitude, longitude: info.longitude, text: parts.joined(separator: ", "))
            kind = .location
        }

        if let contact = object.contact {
            let names = [contact.firstName, contact.lastName].compactMap { $0 }.filter { !$0.isEmpty }
            var rendering = names.joined(separator: " ")
            if let phone = contact.phoneNumber, !phone.isEmpty {
                rendering += rendering.isEmpty ? phone : " (\(phone))"
            }
            if !rendering.isEmpty { text = text.isEmpty ? rendering : text + "\n" + rendering }
            kind = .contact
        }

        if let poll = object.poll {
            var lines: [String] = []
            if let question = poll.question { lines.append(question) }
            for answer in poll.answers {
                if let answer = answer.value { lines.append(answer.text) }
            }
            let rendering = lines.joined(separator: "\n")
            text = text.isEmpty ? rendering : text + "\n" + rendering
            kind = .poll
        }

        return Message(
            id: object.id, sent: sent, timestamp: timestamp, sender: object.from, text: text, attachments: attachments,
            location: location, kind: kind)
    }

    /// Telegram writes a parenthesised sentence instead of a path when a file was left out.
    static func attachment(path: String, fileName: String?, size: Int?) -> Attachment {
        if path.hasPrefix("(") && path.hasSuffix(")") {
            return Attachment(name: fileName.flatMap { $0.isEmpty ? nil : $0 } ?? path, size: size, present: false)
        }
        return Attachment(name: path, size: size, present: nil)
    }

    /// `text`: a string, or an array of strings and entity objects `{type, text, href?}`.
    /// Falls back to `text_entities` when `text` is missing.
    static func renderText(_ value: Text?, entities: [Lenient<TextPart>]?) -> String {
        switch value {
        case .string(let string): return string
        case .parts(let parts): return renderParts(parts)
        case nil: return renderParts(entities ?? [])
        }
    }

    private static func renderParts(_ parts: [Lenient<TextPart>]) -> String {
        var result = ""
        for part in parts {
            guard let part = part.value else { continue }
            result += part.text
            if let href = part.href, !href.isEmpty, href != part.text {
                result += " (\(href))"
            }
        }
        return result
    }

    /// A readable sentence for a service message's `action`.
    static func renderAction(_ object: TelegramMessage, members: [String]) -> String {
        let action = object.action ?? ""
        let title = object.title
        let memberList = members.joined(separator: ", ")
        switch action {
        case "create_group", "create_channel", "migrate_from_group":
            var text = action == "create_channel" ? "created channel" : "created group"
            if let title { text += " «\(title)»" }
            if !members.isEmpty { text += " with \(memberList)" }
            return text
        case "invite_members":
            return "invited \(memberList)"
        case "remove_members":
            return "removed \(memberList)"
        case "join_group_by_link":
            if let inviter = object.inviter { return "joined the group via a link from \(inviter)" }
            return "joined the group via an invite link"
        case "join_group_by_request":
            return "joined the group by request"
        case "edit_group_title":
            return "changed the group title to «\(title ?? "")»"
        case "edit_group_photo":
            return "changed the group photo"
        case "delete_group_photo":
            return "removed the group photo"
        case "pin_message":
            if let pinned = object.pinnedMessageID { return "pinned message \(pinned)" }
            return "pinned a message"
        case "phone_call", "group_call":
            var text = action == "phone_call" ? "phone call" : "group call"
            if let seconds = object.durationSeconds { text += ", \(seconds) s" }
            if let reason = object.discardReason { text += " (\(reason))" }
            return text
        default:
            var text = action.replacingOccurrences(of: "_", with: " ")
            if let title { text += " «\(title)»" }
            if !members.isEmpty { text += ": \(memberList)" }
            return text
        }
    }

    // MARK: - Helpers

    /// Names in first-seen order, each once.
    struct Participants {
        private(set) var names: [String] = []
        private var seen: Set<String> = []
        mutating func add(_ name: String?) {
            guard let name, !name.isEmpty, seen.insert(name).inserted else { return }
            names.append(name)
        }
    }

    /// `2022-03-27T21:41:55` → calendar fields; `nil` for anything else.
    static func parseTimestamp(_ text: String) -> LocalTimestamp? {
        let utf8 = Array(text.utf8)
        guard utf8.count >= 19 else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for index in range {
                let byte = utf8[index]
                guard byte >= 0x30 && byte <= 0x39 else { return nil }
                value = value * 10 + Int(byte - 0x30)
            }
            return value
        }
        guard utf8[4] == UInt8(ascii: "-"), utf8[7] == UInt8(ascii: "-"),
            utf8[10] == UInt8(ascii: "T") || utf8[10] == UInt8(ascii: " "),
            utf8[13] == UInt8(ascii: ":"), utf8[16] == UInt8(ascii: ":"),
            let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
            let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19),
            (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61
        else { return nil }
        return LocalTimestamp(year: year, month: month, day: day, hour: hour, minute: minute, second: second)
    }

    private static func describe(_ error: any Error) -> String {
        if case DecodingError.dataCorrupted(let context) = error {
            let underlying = context.underlyingError.map { " (\(describe($0)))" } ?? ""
            return context.debugDescription + underlying
        }
        let ns = error as NSError
        if let detail = ns.userInfo[NSDebugDescriptionErrorKey] as? String { return detail }
        return "\(error)"
    }

    private static func isJSONWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09
    }

    /// Keys that only Telegram's exports have near their start.
    static func looksLikeTelegram(_ bytes: ArraySlice<UInt8>) -> Bool {
        let head = String(decoding: bytes.prefix(64 * 1024), as: UTF8.self)
        return head.contains("\"messages\"") || head.contains("\"personal_information\"")
            || head.contains("\"chats\"") || head.contains("\"left_chats\"")
    }

    /// Rewrites Telegram's `\xHH` escapes inside strings to JSON's `\u00HH`. Other escapes,
    /// `\\x` among them, are copied untouched. Copies only when there is something to rewrite.
    static func escapeHexBytes(_ bytes: ArraySlice<UInt8>) -> Data {
        let backslash = UInt8(ascii: "\\"), quote = UInt8(ascii: "\""), x = UInt8(ascii: "x")
        func isHex(_ byte: UInt8) -> Bool {
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x46) || (byte >= 0x61 && byte <= 0x66)
        }
        // First pass: is there any `\x` escape at all? (Escapes only occur inside strings.)
        var needsRewrite = false
        var index = bytes.startIndex
        while index < bytes.endIndex {
            if bytes[index] == backslash {
                if index + 1 < bytes.endIndex && bytes[index + 1] == x {
                    needsRewrite = true
                    break
                }
                index += 2
            } else {
                index += 1
            }
        }
        guard needsRewrite else { return Data(bytes) }

        var output: [UInt8] = []
        output.reserveCapacity(bytes.count + 64)
        var inString = false
        index = bytes.startIndex
        while index < bytes.endIndex {
            let byte = bytes[index]
            if !inString {
                if byte == quote { inString = true }
                output.append(byte)
                index += 1
                continue
            }
            if byte == quote {
                inString = false
                output.append(byte)
                index += 1
            } else if byte == backslash, index + 1 < bytes.endIndex {
                let next = bytes[index + 1]
                if next == x, index + 3 < bytes.endIndex, isHex(bytes[index + 2]), isHex(bytes[index + 3]) {
                    output.append(contentsOf: [
                        backslash, UInt8(ascii: "u"), 0x30, 0x30, bytes[index + 2], bytes[index + 3],
                    ])
                    index += 4
                } else {
                    output.append(byte)
                    output.append(next)
                    index += 2
                }
            } else {
                output.append(byte)
                index += 1
            }
        }
        return Data(output)
    }
}

extension KeyedDecodingContainer where K == TelegramJSONParser.Key {
    /// The value under `key` when it has type `T`; `nil` when absent, `null` or of another type.
    func lenient<T: Decodable>(_ type: T.Type = T.self, _ key: String) -> T? {
        (try? decodeIfPresent(T.self, forKey: TelegramJSONParser.Key(key))) ?? nil
    }

    func lenient<T: Decodable>(_ key: String) -> T? { lenient(T.self, key) }

    /// A string, or a number written as one (`id` is a number, `from_id` a string, ...).
    func flexibleString(_ key: String) -> String? {
        if let int: Int = lenient(key) { return String(int) }
        if let string: String = lenient(key) { return string }
        if let double: Double = lenient(key) { return String(double) }
        return nil
    }

    func flexibleInt(_ key: String) -> Int? {
        if let int: Int = lenient(key) { return int }
        if let string: String = lenient(key) { return Int(string) }
        return nil
    }

    func flexibleDouble(_ key: String) -> Double? {
        if let double: Double = lenient(key) { return double }
        if let string: String = lenient(key) { return Double(string) }
        return nil
    }
}
