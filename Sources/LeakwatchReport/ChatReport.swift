import Foundation
import LeakwatchCore
import LeakwatchState
import SQLite

/// What a professional-standards investigator needs about one chat, across all of its exports,
/// read from the state database (never by scanning again): the exports and who exported them,
/// the participants under every name the phones gave them, the alerts in time order with who was
/// in the group, how they replied and which other exports hold the same message, and the joins
/// and leaves. Excerpts are exactly the spool's (masked).
public struct ChatReport: Sendable {
    public struct Export: Sendable, Hashable {
        public var path: String
        public var entry: String?
        public var format: String
        public var messages: Int
        /// First and last message on the chat's clock.
        public var first: String?
        public var last: String?
        /// Minutes added to the export's times to reach the chat's clock.
        public var clockOffset: Int
        /// Anchors lined up with the chat (0 for the export that started the chat).
        public var alignedPairs: Int
        /// Whose phone it is, when the export's own "you" lines told.
        public var owner: String?
        public var scannedAt: String
    }

    public struct Participant: Sendable, Hashable {
        public var id: Int
        public var name: String
        /// Every other name the exports give them.
        public var aliases: [String]
    }

    public struct Response: Sendable, Hashable {
        public var name: String
        public var kind: ResponseKind
        public var line: Int?
    }

    public struct Sighting: Sendable, Hashable {
        public var path: String
        public var line: Int?
        public var sender: String?
    }

    public struct Entry: Sendable {
        public var alert: Alert
        /// On the chat's clock.
        public var time: String
        public var sender: String
        /// Everyone present when it was sent, from every export of the chat.
        public var exposure: [String]
        public var responses: [Response]
        public var sightings: [Sighting]
    }

    public struct MembershipChange: Sendable, Hashable {
        public var time: String
        public var name: String
        public var change: PresenceEvidence.Kind
        public var by: String?
        /// The exports that tell it (path:line).
        public var sources: [String]

        /// `joined`, `added`, `left` or `removed`.
        public var verb: String {
            change == .left ? (by == nil ? "left" : "removed") : (by == nil ? "joined" : "added")
        }
    }

    public var chatID: Int
    public var names: [String]
    public var exports: [Export]
    public var participants: [Participant]
    public var entries: [Entry]
    public var membership: [MembershipChange]
    /// Where the chat's clock comes from: the first export seen.
    public var clockSource: String

    /// Alerts per category, most first.
    public var byCategory: [(category: String, count: Int)] {
        Self.tally(entries.map(\.alert.rule.category))
    }

    /// Alerts per sender, most first.
    public var bySender: [(name: String, count: Int)] {
        Self.tally(entries.map(\.sender)).map { ($0.0, $0.1) }
    }

    /// Replies per participant and kind (endorsement, challenge), most endorsements first.
    public var responseTally: [(name: String, endorsements: Int, challenges: Int, neither: Int)] {
        var counts: [String: [ResponseKind: Int]] = [:]
        for entry in entries {
            for response in entry.responses { counts[response.name, default: [:]][response.kind, default: 0] += 1 }
        }
        return counts.map {
            ($0.key, $0.value[.endorsement] ?? 0, $0.value[.challenge] ?? 0, $0.value[.neither] ?? 0)
        }.sorted { ($0.endorsements, $0.challenges, $1.name) > ($1.endorsements, $1.challenges, $0.name) }
    }

    public var sightingCount: Int { entries.reduce(0) { $0 + $1.sightings.count } }

    static func tally(_ values: [String]) -> [(String, Int)] {
        var counts: [String: Int] = [:]
        for value in values { counts[value, default: 0] += 1 }
        return counts.sorted { ($0.value, $1.key) > ($1.value, $0.key) }
    }
}

extension ChatReport {
    /// The chats the database knows, with their names and number of exports and alerts.
    public static func chats(in database: StateDatabase) throws(LeakwatchError) -> [(
        id: Int, name: String, exports: Int, alerts: Int
    )] {
        try database.read { db in
            try db.statement(
                """
                SELECT chat.id, COALESCE(chat.name, ''),
                       (SELECT count(*) FROM export WHERE export.chat_id = chat.id),
                       (SELECT count(*) FROM alert WHERE alert.chat_id = chat.id)
                FROM chat ORDER BY chat.id
                """
            ).map { ($0.int(0), $0.text(1), $0.int(2), $0.int(3)) }
        }
    }

    /// The report of chat `chatID`.
    public static func load(chat chatID: Int, from database: StateDatabase) throws(LeakwatchError) -> ChatReport {
        try database.read { db in try Loader(db: db, chatID: chatID).load() }
    }

    /// Turns a minute on the chat's clock into `2024-01-13 10:02`.
    static func time(_ minute: Int?) -> String? {
        guard let minute else { return nil }
        let local = LocalTimestamp(secondsSinceEpoch: Int64(minute) * 60).iso8601
        return String(local.prefix(16)).replacingOccurrences(of: "T", with: " ")
    }
}

/// Reads one chat's report out of the database.
private struct Loader {
    let db: SQLiteConnection
    let chatID: Int

    func load() throws -> ChatReport {
        guard try db.scalarInt("SELECT id FROM chat WHERE id = ?1", chatID) != nil else {
            throw LeakwatchError(code: .invalidConfig, message: "no chat \(chatID) in the state database")
        }
        let participants = try loadParticipants()
        let name = Dictionary(uniqueKeysWithValues: participants.map { ($0.id, $0.name) })
        let exports = try db.statement(
            """
            SELECT export.id, path, entry, format, messages, first_minute, last_minute, clock_offset, aligned_pairs,
                   owner_id, scanned_at, chat_name
            FROM export WHERE chat_id = ?1 ORDER BY export.id
            """
        ).map(chatID) { row in
            (
                id: row.int(0),
                export: ChatReport.Export(
                    path: row.text(1), entry: row.text(2).isEmpty ? nil : row.text(2), format: row.text(3),
                    messages: row.int(4), first: ChatReport.time(row.optionalInt(5).map { $0 + row.int(7) }),
                    last: ChatReport.time(row.optionalInt(6).map { $0 + row.int(7) }), clockOffset: row.int(7),
                    alignedPairs: row.int(8), owner: row.optionalInt(9).flatMap { name[$0] }, scannedAt: row.text(10)),
                chatName: row.optionalText(11)
            )
        }
        let exportPath = Dictionary(
            uniqueKeysWithValues: exports.map { ($0.id, $0.export.path + ($0.export.entry.map { "!\($0)" } ?? "")) })
        let presence = Presence(
            evidence: try db.statement("SELECT participant_id, minute, kind FROM presence WHERE chat_id = ?1").map(
                chatID
            ) { row in
                PresenceEvidence(
                    participant: row.int(0), minute: row.int(1),
                    kind: PresenceEvidence.Kind(rawValue: row.text(2)) ?? .wrote)
            })
        var entries: [ChatReport.Entry] = []
        let alerts = try db.statement(
            "SELECT id, minute, participant_id, json, export_id FROM alert WHERE chat_id = ?1 ORDER BY minute, seq"
        ).map(chatID) { ($0.text(0), $0.optionalInt(1), $0.optionalInt(2), $0.text(3), $0.int(4)) }
        for (id, minute, sender, json, exportID) in alerts {
            let alert = try JSONDecoder().decode(Alert.self, from: Data(json.utf8))
            let aliases = try aliasMap(exportID: exportID)
            let responses = (alert.responses ?? []).map { response in
                ChatReport.Response(
                    name: response.sender.flatMap { aliases[$0] }.flatMap { name[$0] } ?? response.sender
                        ?? "(unknown)",
                    kind: response.kind, line: response.line)
            }
            let sightings = try db.statement(
                "SELECT export_id, line, sender FROM sighting WHERE alert_id = ?1 ORDER BY export_id, line"
            ).map(id) {
                ChatReport.Sighting(
                    path: exportPath[$0.int(0)] ?? "?", line: $0.optionalInt(1), sender: $0.optionalText(2))
            }
            entries.append(
                ChatReport.Entry(
                    alert: alert, time: ChatReport.time(minute) ?? alert.message.sent,
                    sender: sender.flatMap { name[$0] } ?? alert.message.sender ?? "(system)",
                    exposure: minute.map {
                        presence.present(at: $0).compactMap { name[$0] }.sorted()
                    }
                        ?? [],
                    responses: responses, sightings: sightings))
        }
        // Joins and leaves, each told once however many exports tell it.
        var membership: [String: ChatReport.MembershipChange] = [:]
        var order: [String] = []
        try db.statement(
            """
            SELECT participant_id, minute, kind, export_id, line, actor_id FROM presence
            WHERE chat_id = ?1 AND kind IN ('joined', 'left') ORDER BY minute, participant_id
            """
        ).forEach([chatID]) { row in
            let key = "\(row.int(0))|\(row.int(1))|\(row.text(2))"
            let source = (exportPath[row.int(3)] ?? "?") + (row.optionalInt(4).map { ":\($0)" } ?? "")
            if membership[key] == nil {
                order.append(key)
                membership[key] = ChatReport.MembershipChange(
                    time: ChatReport.time(row.int(1)) ?? "", name: name[row.int(0)] ?? "?",
                    change: PresenceEvidence.Kind(rawValue: row.text(2)) ?? .joined,
                    by: row.optionalInt(5).flatMap { name[$0] }, sources: [])
            }
            if membership[key]!.by == nil { membership[key]!.by = row.optionalInt(5).flatMap { name[$0] } }
            membership[key]!.sources.append(source)
        }
        let firstExport = exports.first?.export.path ?? ""
        return ChatReport(
            chatID: chatID,
            names: Array(
                Set(
                    exports.compactMap(\.chatName)
                        + [try db.scalarText("SELECT name FROM chat WHERE id = ?1", chatID)].compactMap(\.self))
            )
            .sorted(),
            exports: exports.map(\.export), participants: participants, entries: entries,
            membership: order.compactMap { membership[$0] }, clockSource: firstExport)
    }

    /// Participants with a display name: the name most exports give them (the longest of those,
    /// and a phone number only when nothing else is known).
    func loadParticipants() throws -> [ChatReport.Participant] {
        var aliases: [Int: [String: Int]] = [:]
        try db.statement(
            """
            SELECT alias.participant_id, alias.written FROM alias JOIN export ON export.id = alias.export_id
            WHERE export.chat_id = ?1
            """
        ).forEach([chatID]) { row in aliases[row.int(0), default: [:]][row.text(1), default: 0] += 1 }
        return try db.statement("SELECT id, name FROM participant WHERE chat_id = ?1 ORDER BY id").map(chatID) { row in
            let id = row.int(0)
            let names = aliases[id] ?? [row.text(1): 1]
            func isNumber(_ name: String) -> Bool { name.first.map { $0 == "+" || $0.isNumber } ?? false }
            let best = names.max {
                (isNumber($0.key) ? 0 : 1, $0.value, $0.key.count, $1.key)
                    < (isNumber($1.key) ? 0 : 1, $1.value, $1.key.count, $0.key)
            }!.key
            return ChatReport.Participant(id: id, name: best, aliases: names.keys.filter { $0 != best }.sorted())
        }.sorted { $0.name < $1.name }
    }

    func aliasMap(exportID: Int) throws -> [String: Int] {
        var map: [String: Int] = [:]
        try db.statement("SELECT written, participant_id FROM alias WHERE export_id = ?1").forEach([exportID]) {
            map[$0.text(0)] = $0.int(1)
        }
        return map
    }
}
