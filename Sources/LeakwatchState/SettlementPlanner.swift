import Foundation
import LeakwatchCore
import LeakwatchOutputs
import SQLite

/// Settles one scanned file against the state database, inside the caller's write transaction:
/// each export is lined up with the chat it belongs to (or starts a new chat), its alerted
/// messages get their keys, a leak already alerted on in another export of the chat becomes a
/// `sighting` record instead of a second alert, and new alerts get their `exposure` and the keys
/// of their responses. What the export teaches about the chat (anchors, participants and their
/// names here, joins and leaves) is written down for the next export.
///
/// An export already in the database (the same bytes again, or a redo after a crash) is not
/// settled twice: what it gave the first time is returned again.
struct SettlementPlanner {
    let db: SQLiteConnection
    let result: ScanResult
    let watch: ContentWatch
    let detectedAt: String

    /// Everything this file amounts to: its alerts (new, or as first delivered), its sightings and
    /// its other records.
    private(set) var batch = AlertBatch()

    /// How many alerts of a spilled result the batch keeps in memory.
    let alertsInMemory: Int
    /// Exports settled before whose stored alerts were put in the batch again (`replay`).
    private var replayed = Set<Int>()
    /// Whether an export's alerts are made ready on another thread while the earlier ones are
    /// settled (for a caller with a spare core).
    let preparesAhead: Bool

    init(
        db: SQLiteConnection, result: ScanResult, watch: ContentWatch, detectedAt: String,
        alertsInMemory: Int = AlertList.defaultMemoryLimit, preparesAhead: Bool = false
    ) {
        self.db = db
        self.result = result
        self.watch = watch
        self.detectedAt = detectedAt
        self.alertsInMemory = alertsInMemory
        self.preparesAhead = preparesAhead
    }

    /// Thrown when the scan's watch missed an alert that another export of the same chat added
    /// since: the file must be scanned again (the transaction is rolled back).
    struct StaleWatch: Error {}

    mutating func settle() throws {
        if let spilled = result.spilledAlerts {
            try settleSpilled(spilled)
            return
        }
        var settled = Set<String>()
        for (index, summary) in result.exports.enumerated() {
            let transcript = index < result.transcripts.count ? result.transcripts[index] : nil
            let alerts = result.alerts.filter { transcript?.alerted[$0.id] != nil }
            settled.formUnion(alerts.map(\.id))
            var entries = Entries(alerts.compactMap { transcript?.entry(for: $0) })
            try settle(exportIndex: index, summary: summary, transcript: transcript, entries: &entries)
        }
        // Alerts no transcript knows (a scan without one): kept once by id.
        let rest = result.alerts.filter { !settled.contains($0.id) }
        if !rest.isEmpty {
            let exportID = try exportRow(index: 0, summary: result.exports.first, chat: nil, transcript: nil)
            for alert in rest { try keepUnkeyed(alert, exportID: exportID) }
        }
        batch.records += result.records
    }

    /// Settles a streamed export whose alerts wait on disk, reading them one at a time; the
    /// batch spills too, so memory does not grow with the alerts.
    private mutating func settleSpilled(_ spilled: SpilledAlerts) throws {
        batch.alerts = AlertList(memoryLimit: alertsInMemory, makeSpill: AlertSpillFile.maker())
        var entries = Entries(try spilled.entries())
        if let summary = result.exports.first {
            try settle(exportIndex: 0, summary: summary, transcript: result.transcripts.first, entries: &entries)
        }
        // Alerts no transcript knows (a scan without one): kept once by id, as above. A second
        // pass over the spill only when the first passed some by (with a transcript, every alert
        // has its notes).
        guard entries.skipped > 0 || result.exports.isEmpty else {
            batch.records += result.records
            return
        }
        var rest = Entries(try spilled.entries(), withoutTranscript: true)
        var exportID: Int?
        while let entry = try rest.next() {
            if exportID == nil {
                exportID = try exportRow(index: 0, summary: result.exports.first, chat: nil, transcript: nil)
            }
            try keepUnkeyed(entry.alert, exportID: exportID ?? 0)
        }
        batch.records += result.records
    }

    /// One export's alerts with what its transcript noted of them, read one at a time: from
    /// memory, or from disk for a streamed export's spilled alerts.
    private struct Entries {
        private var memory: [AlertSpillEntry] = []
        private var position = 0
        private var spilled: SpilledAlerts.Reader?
        /// Whether to read the alerts no transcript knows (else those it does).
        private var withoutTranscript = false
        /// Entries read from disk and passed by (the other kind).
        private(set) var skipped = 0

        init(_ entries: [AlertSpillEntry]) { memory = entries }

        init(_ spilled: SpilledAlerts.Reader, withoutTranscript: Bool = false) {
            self.spilled = spilled
            self.withoutTranscript = withoutTranscript
        }

        mutating func next() throws(LeakwatchError) -> AlertSpillEntry? {
            if position < memory.count {
                position += 1
                return memory[position - 1]
            }
            while let entry = try spilled?.next() {
                if (entry.alerted == nil) == withoutTranscript { return entry }
                skipped += 1
            }
            return nil
        }
    }

    /// An alert of an export being settled, made ready without the database: keyed in its chat,
    /// with its exposure and the keys of its responses, and written out as the JSON line it is
    /// stored with. Whether it is new or a sighting is for the database to say.
    enum PreparedAlert: Sendable {
        /// An alert without a time to key it by: kept once by its id.
        case unkeyed(Alert)
        case keyed(final: Alert, alerted: AlertedMessage, chatMinute: Int, leak: String, json: String)
    }

    /// Makes `PreparedAlert`s of one export's entries, in order.
    struct AlertPreparer: Sendable {
        let chat: ChatAssignment
        let presence: Presence
        let names: [Int: String]
        private var lastPresent: [Int]?
        private var lastExposure: [String] = []

        init(chat: ChatAssignment, presence: Presence, names: [Int: String]) {
            self.chat = chat
            self.presence = presence
            self.names = names
        }

        /// `nil` for an entry without the transcript's notes (settled by id elsewhere).
        mutating func prepare(_ entry: AlertSpillEntry) -> PreparedAlert? {
            let alert = entry.alert
            guard let alerted = entry.alerted else { return nil }
            guard let minute = alerted.facts.minute else { return .unkeyed(alert) }
            let chatMinute = minute + chat.offset
            let key = MessageKey.make(
                chatOrigin: chat.origin, chatMinute: chatMinute, content: alerted.facts.content.hash,
                ordinal: alerted.facts.ordinal)
            let leak = "\(chat.id)|\(key)|\(alerted.match)"
            var final = alert
            final.message.key = key
            // Who was there changes only with joins and leaves: alerts share one list while it
            // stays the same (one copy in memory, not one per alert).
            let present = presence.present(at: chatMinute)
            if present != lastPresent {
                lastPresent = present
                lastExposure = present.map { names[$0] ?? "?" }.sorted()
            }
            final.exposure = lastExposure
            if var responses = final.responses {
                for (position, facts) in entry.responders.enumerated() where position < responses.count {
                    guard let replyMinute = facts.minute else { continue }
                    responses[position].key = MessageKey.make(
                        chatOrigin: chat.origin, chatMinute: replyMinute + chat.offset, content: facts.content.hash,
                        ordinal: facts.ordinal)
                }
                final.responses = responses
            }
            return .keyed(
                final: final, alerted: alerted, chatMinute: chatMinute, leak: leak,
                json: AlertFormatting.jsonLine(final))
        }
    }

    /// An export's entries while another thread reads them (`ProducedAhead`).
    ///
    /// `@unchecked Sendable`: `entries` is used by the producer thread only, from its start until
    /// `ProducedAhead.finish()` has waited for it to return; the caller reads it after that.
    private final class EntriesBox: @unchecked Sendable {
        var entries: Entries
        init(_ entries: Entries) { self.entries = entries }
    }

    // MARK: - One export

    private mutating func settle(
        exportIndex: Int, summary: ScanResult.ExportSummary, transcript: ExportTranscript?, entries: inout Entries
    ) throws {
        if let known = try db.statement("SELECT id FROM export WHERE sha256 = ?1 AND entry = ?2 AND export_index = ?3")
            .first(result.file.sha256, summary.entry ?? "", exportIndex, transform: { $0.int(0) })
        {
            try replay(exportID: known)
            return
        }
        guard let transcript, let first = transcript.firstMinute, let last = transcript.lastMinute,
            summary.format != ExportFormat.plain.rawValue
        else {
            let exportID = try exportRow(index: exportIndex, summary: summary, chat: nil, transcript: transcript)
            while let entry = try entries.next() { try keepUnkeyed(entry.alert, exportID: exportID) }
            return
        }
        let chat = try assignChat(
            transcript: transcript, summary: summary, exportIndex: exportIndex,
            span: min(first, last)...max(first, last))
        let exportID = try exportRow(index: exportIndex, summary: summary, chat: chat, transcript: transcript)
        var people = PeopleMap(
            db: db, chatID: chat.id, exportID: exportID, known: chat.senders, chatIsNew: chat.isNew)
        try learn(transcript: transcript, chat: chat, exportID: exportID, people: &people)
        // Who exported a chat is read from other exports' accounts of the same events: a new
        // chat has none yet.
        if !chat.isNew { try resolveOwners(chatID: chat.id) }

        let presence = Presence(evidence: try presenceEvidence(chatID: chat.id))
        let names = try participantNames(chatID: chat.id, exportID: exportID)
        var preparer = AlertPreparer(chat: chat, presence: presence, names: names)
        func settle(_ prepared: PreparedAlert) throws {
            switch prepared {
            case .unkeyed(let alert):
                try keepUnkeyed(alert, exportID: exportID)
            case .keyed(let final, let alerted, let chatMinute, let leak, let json):
                if let existing = try storedAlert(leak: leak) {
                    try sight(existing, facts: alerted.facts, exportID: exportID, summary: summary, people: people)
                    return
                }
                try db.run(
                    """
                    INSERT INTO alert(id, chat_id, leak, message_key, content, minute, rule_id, category, severity,
                                      participant_id, export_id, line, json)
                    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
                    """, final.id, chat.id, leak, final.message.key, alerted.facts.content.hash, chatMinute,
                    final.rule.id, final.rule.category, final.rule.severity,
                    try alerted.facts.sender.map { try people.participant($0) }, exportID, final.message.line, json)
                try batch.alerts.append(final, jsonLine: json)
            }
        }
        if preparesAhead {
            // The alerts are read back, keyed and written out as JSON on another thread while
            // this one settles the ones before.
            let reading = EntriesBox(entries)
            let ahead = ProducedAhead<PreparedAlert> { [preparer] emit in
                var preparer = preparer
                while let entry = try reading.entries.next() {
                    if let prepared = preparer.prepare(entry) { try emit(prepared) }
                }
            }
            defer {
                ahead.finish()
                entries = reading.entries
            }
            while let prepared = try ahead.next() {
                for item in prepared { try settle(item) }
            }
        } else {
            while let entry = try entries.next() {
                if let prepared = preparer.prepare(entry) { try settle(prepared) }
            }
        }
        // Alerted messages of earlier exports that this export holds, whether or not a rule
        // fired on them here.
        for facts in transcript.watched {
            guard let minute = facts.minute else { continue }
            let key = MessageKey.make(
                chatOrigin: chat.origin, chatMinute: minute + chat.offset, content: facts.content.hash,
                ordinal: facts.ordinal)
            let stored = try db.statement(
                "SELECT json FROM alert WHERE chat_id = ?1 AND message_key = ?2 AND export_id != ?3 ORDER BY seq"
            ).map(chat.id, key, exportID) { $0.text(0) }
            for json in stored {
                try sight(
                    try Self.decodeAlert(json), facts: facts, exportID: exportID, summary: summary, people: people)
            }
        }
    }

    /// What an export already settled gave: its alerts and sightings as stored.
    private mutating func replay(exportID: Int) throws {
        replayed.insert(exportID)
        // A page at a time: a streamed export's may be millions.
        var after = 0
        while true {
            let page = try db.statement(
                "SELECT seq, json FROM alert WHERE export_id = ?1 AND seq > ?2 ORDER BY seq LIMIT 1000"
            ).map(exportID, after) { ($0.int(0), $0.text(1)) }
            for (seq, json) in page {
                try batch.alerts.append(try Self.decodeAlert(json))
                after = seq
            }
            if page.count < 1000 { break }
        }
        let sightings = try db.statement("SELECT json FROM sighting WHERE export_id = ?1 ORDER BY rowid").map(exportID)
        {
            $0.text(0)
        }
        for json in sightings { batch.records.append(try Self.decodeRecord(json)) }
    }

    /// An alert with no key (no chat layout, no resolved time): kept once by its id.
    private mutating func keepUnkeyed(_ alert: Alert, exportID: Int) throws {
        if let (stored, storedExport) = try db.statement("SELECT json, export_id FROM alert WHERE id = ?1").first(
            alert.id, transform: { ($0.text(0), $0.int(1)) })
        {
            // An export replayed above has its stored alerts in the batch already.
            if !replayed.contains(storedExport) { try batch.alerts.append(try Self.decodeAlert(stored)) }
            return
        }
        try db.run(
            """
            INSERT INTO alert(id, rule_id, category, severity, export_id, line, json)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
            """, alert.id, alert.rule.id, alert.rule.category, alert.rule.severity, exportID, alert.message.line,
            AlertFormatting.jsonLine(alert))
        try batch.alerts.append(alert)
    }

    private func storedAlert(leak: String) throws -> Alert? {
        try db.statement("SELECT json FROM alert WHERE leak = ?1").first(leak) { $0.text(0) }.map(Self.decodeAlert)
    }

    /// A `sighting` of `alert` in this export (once per alert and export).
    private mutating func sight(
        _ alert: Alert, facts: MessageFacts, exportID: Int, summary: ScanResult.ExportSummary, people: PeopleMap
    ) throws {
        let exists = try db.scalarInt(
            "SELECT 1 FROM sighting WHERE alert_id = ?1 AND export_id = ?2", alert.id, exportID)
        guard exists == nil else { return }
        let record = ScanRecord.sighting(
            of: alert, detectedAt: detectedAt,
            source: ScanRecord.Source(
                path: result.file.path, sha256: result.file.sha256, format: summary.format, entry: summary.entry,
                chat: summary.chat), line: facts.line, messageID: facts.id, sender: facts.sender)
        try db.run(
            """
            INSERT INTO sighting(id, alert_id, export_id, line, sender, participant_id, json)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
            """, record.id, alert.id, exportID, facts.line, facts.sender,
            facts.sender.flatMap { people.known[$0] }, AlertFormatting.jsonLine(record))
        batch.records.append(record)
    }

    // MARK: - Chats

    /// The chat an export belongs to, and how its clock and names map onto it.
    struct ChatAssignment {
        var id: Int
        var origin: String
        var offset: Int
        var pairs: Int
        /// Sender names matched by the alignment.
        var senders: [String: Int]
        /// Made for this export just now: nothing is known of it yet (no samples, anchors or
        /// names to look a sender up by).
        var isNew = false
    }

    /// A message content held by more chats than this is not counted as evidence of a chat.
    static let boilerplateChats = 16

    /// Lines the export up with each chat that shares enough distinctive messages with it, and
    /// takes the best alignment; a new chat when none holds.
    private func assignChat(
        transcript: ExportTranscript, summary: ScanResult.ExportSummary, exportIndex: Int, span: ClosedRange<Int>
    ) throws -> ChatAssignment {
        var shared: [Int: Int] = [:]
        let contents = Array(Set(transcript.anchors.map(\.content.hash)))
        // A content found in many chats is boilerplate ("Happy birthday mate!"), not a sign of
        // the same chat; looking further would make a scan of many exports quadratic.
        let lookup = try db.statement(
            "SELECT DISTINCT chat_id FROM anchor WHERE content = ?1 LIMIT \(Self.boilerplateChats + 1)")
        var chats: [Int] = []
        for content in contents {
            chats.removeAll(keepingCapacity: true)
            try lookup.forEach([content]) { row in chats.append(row.int(0)) }
            guard chats.count <= Self.boilerplateChats else { continue }
            for chat in chats { shared[chat, default: 0] += 1 }
        }
        var best: (chat: Int, alignment: ExportAlignment)?
        for (chatID, count) in shared.sorted(by: { ($0.value, -$0.key) > ($1.value, -$1.key) }).prefix(8)
        where count >= ExportAlignment.minimumPairs {
            var level = 0
            let anchors = try db.statement(
                "SELECT minute, content, ordinal, participant_id, level FROM anchor WHERE chat_id = ?1"
            ).map(chatID) { row -> ChatAnchor in
                level = max(level, row.int(4))
                return ChatAnchor(
                    minute: row.int(0), content: row.uint64(1), ordinal: row.int(2), participant: row.optionalInt(3))
            }
            guard
                let alignment = ExportAlignment.align(
                    exportAnchors: transcript.anchors, exportLevel: transcript.anchorLevel, exportSpan: span,
                    chatAnchors: anchors, chatLevel: level)
            else { continue }
            if best == nil || alignment.pairs.count > best!.alignment.pairs.count { best = (chatID, alignment) }
        }
        if let best {
            try checkWatch(chatID: best.chat)
            let origin = try db.scalarText("SELECT origin FROM chat WHERE id = ?1", best.chat) ?? ""
            return ChatAssignment(
                id: best.chat, origin: origin, offset: best.alignment.offset, pairs: best.alignment.pairs.count,
                senders: best.alignment.senders)
        }
        let origin = "\(result.file.sha256):\(summary.entry ?? ""):\(exportIndex)"
        try db.run(
            "INSERT INTO chat(origin, name, created_at) VALUES (?1, ?2, ?3)", origin, summary.chat, detectedAt)
        return ChatAssignment(
            id: Int(db.lastInsertRowID), origin: origin, offset: 0, pairs: 0, senders: [:], isNew: true)
    }

    /// A scan's watch must cover every alert of the chat: an alert added by another export since
    /// the scan began may be in this export too, unseen.
    private func checkWatch(chatID: Int) throws {
        let newer = try db.statement(
            "SELECT content FROM alert WHERE chat_id = ?1 AND seq > ?2 AND content IS NOT NULL"
        )
        .map(chatID, watch.sequence) { $0.uint64(0) }
        if newer.contains(where: { !watch.hashes.contains($0) }) { throw StaleWatch() }
    }

    private func exportRow(
        index: Int, summary: ScanResult.ExportSummary?, chat: ChatAssignment?, transcript: ExportTranscript?
    ) throws -> Int {
        if let existing = try db.statement(
            "SELECT id FROM export WHERE sha256 = ?1 AND entry = ?2 AND export_index = ?3"
        ).first(result.file.sha256, summary?.entry ?? "", index, transform: { $0.int(0) }) {
            return existing
        }
        try db.run(
            """
            INSERT INTO export(sha256, entry, export_index, path, format, chat_name, chat_id, clock_offset,
                               aligned_pairs, messages, first_minute, last_minute, scanned_at)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
            """, result.file.sha256, summary?.entry ?? "", index, result.file.path, summary?.format ?? "",
            summary?.chat, chat?.id, chat?.offset ?? 0, chat?.pairs ?? 0,
            transcript?.messageCount ?? summary?.messages ?? 0, transcript?.firstMinute, transcript?.lastMinute,
            detectedAt)
        return Int(db.lastInsertRowID)
    }

    // MARK: - What an export teaches

    /// Writes the export's names, anchors, samples, first and last messages, joins and leaves.
    private func learn(transcript: ExportTranscript, chat: ChatAssignment, exportID: Int, people: inout PeopleMap)
        throws
    {
        // Senders the alignment did not place: by a few of their messages, then by name. A new
        // chat has no messages to vote with.
        for sender in transcript.senders where !chat.isNew && people.known[sender.name] == nil {
            var votes: [Int: Int] = [:]
            for sample in sender.samples {
                guard let minute = sample.minute else { continue }
                let found = try db.statement(
                    """
                    SELECT participant_id FROM sample WHERE chat_id = ?1 AND minute BETWEEN ?2 - 1 AND ?2 + 1
                        AND content = ?3 AND ordinal = ?4
                    UNION ALL
                    SELECT participant_id FROM anchor WHERE chat_id = ?1 AND minute BETWEEN ?2 - 1 AND ?2 + 1
                        AND content = ?3 AND ordinal = ?4 AND participant_id IS NOT NULL
                    """
                ).map(chat.id, minute + chat.offset, sample.content.hash, sample.ordinal) { $0.int(0) }
                for participant in Set(found) { votes[participant, default: 0] += 1 }
            }
            if let best = votes.max(by: { ($0.value, -$0.key) < ($1.value, -$1.key) }),
                best.value * 2 > sender.samples.count, !people.isTaken(best.key)
            {
                people.known[sender.name] = best.key
            }
        }
        // Rows go in a few statements per table (`insert(_:row:_:)`), in the order they are made.
        var wrote: [[any SQLiteBindable]] = []
        var samples: [[any SQLiteBindable]] = []
        for sender in transcript.senders {
            let participant = try people.participant(sender.name)
            for (minute, line) in [(sender.firstMinute, sender.firstLine), (sender.lastMinute, sender.lastLine)] {
                guard let minute else { continue }
                wrote.append([chat.id, participant, minute + chat.offset, exportID, line])
            }
            for sample in sender.samples {
                guard let minute = sample.minute else { continue }
                samples.append([chat.id, minute + chat.offset, sample.content.hash, sample.ordinal, participant])
            }
        }
        try db.insert(
            "INSERT INTO presence(chat_id, participant_id, minute, kind, export_id, line) VALUES",
            row: "(?, ?, ?, 'wrote', ?, ?)", wrote)
        try db.insert(
            "INSERT OR IGNORE INTO sample(chat_id, minute, content, ordinal, participant_id) VALUES",
            row: "(?, ?, ?, ?, ?)", samples)
        var anchors: [[any SQLiteBindable]] = []
        for anchor in transcript.anchors {
            guard let minute = anchor.minute else { continue }
            anchors.append([
                chat.id, minute + chat.offset, anchor.content.hash, anchor.ordinal,
                try anchor.sender.map { try people.participant($0) }, transcript.anchorLevel,
            ])
        }
        try db.insert(
            "INSERT OR IGNORE INTO anchor(chat_id, minute, content, ordinal, participant_id, level) VALUES",
            row: "(?, ?, ?, ?, ?, ?)", anchors)
        for event in transcript.events {
            guard let minute = event.minute else { continue }
            let actor = try event.actor.flatMap { $0 == ExportOwner.name ? nil : try people.participant($0) }
            // The others named in the same line are not "you".
            let named = try event.people.filter { $0 != ExportOwner.name }.map { try people.participant($0) }
            for person in event.people {
                if person == ExportOwner.name {
                    try db.run(
                        """
                        INSERT INTO owner_event(export_id, minute, kind, role, other_id, named, line)
                        VALUES (?1, ?2, ?3, 'person', ?4, ?5, ?6)
                        """, exportID, minute + chat.offset, event.change.rawValue, actor,
                        named.map(String.init).joined(separator: ","), event.line)
                    continue
                }
                let participant = try people.participant(person)
                try db.run(
                    """
                    INSERT INTO presence(chat_id, participant_id, minute, kind, export_id, line, actor_id)
                    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                    """, chat.id, participant, minute + chat.offset, event.change.rawValue, exportID, event.line, actor)
                if event.actor == ExportOwner.name {
                    try db.run(
                        "INSERT INTO owner_event(export_id, minute, kind, role, other_id, line) VALUES (?1, ?2, ?3, 'actor', ?4, ?5)",
                        exportID, minute + chat.offset, event.change.rawValue, participant, event.line)
                }
            }
        }
        try db.insert(
            "INSERT OR IGNORE INTO alias(export_id, written, participant_id) VALUES", row: "(?, ?, ?)",
            people.known.map { name, participant in [exportID, name, participant] })
    }

    /// Finds who exported each export of the chat whose owner is not known yet: the app writes
    /// "you" in the owner's own export where the other exports name them, at the same minute.
    /// The owner then counts as present over their whole export.
    private func resolveOwners(chatID: Int) throws {
        let unresolved = try db.statement(
            "SELECT id, first_minute, last_minute, clock_offset FROM export WHERE chat_id = ?1 AND owner_id IS NULL"
        ).map(chatID) { ($0.int(0), $0.optionalInt(1), $0.optionalInt(2), $0.int(3)) }
        for (exportID, first, last, offset) in unresolved {
            let events = try db.statement(
                "SELECT minute, kind, role, other_id, line, named FROM owner_event WHERE export_id = ?1"
            ).map(exportID) { row in
                (
                    row.int(0), row.text(1), row.text(2), row.optionalInt(3), row.optionalInt(4),
                    Set(row.text(5).split(separator: ",").compactMap { Int($0) })
                )
            }
            var candidates: [Int: Int] = [:]
            for (minute, kind, role, other, _, named) in events {
                // The same event told by another export: the owner is its person (or its actor).
                let sql =
                    role == "person"
                    ? """
                    SELECT participant_id FROM presence WHERE chat_id = ?1 AND export_id != ?2 AND kind = ?3
                        AND minute BETWEEN ?4 - 1 AND ?4 + 1 AND (?5 IS NULL OR actor_id = ?5)
                    """
                    : """
                    SELECT actor_id FROM presence WHERE chat_id = ?1 AND export_id != ?2 AND kind = ?3
                        AND minute BETWEEN ?4 - 1 AND ?4 + 1 AND participant_id = ?5 AND actor_id IS NOT NULL
                    """
                let found = try db.statement(sql).map(chatID, exportID, kind, minute, other) { $0.int(0) }
                for participant in Set(found).subtracting(named) { candidates[participant, default: 0] += 1 }
            }
            // The one participant every "you" line points at; no guess when two fit as well.
            let best = candidates.values.max() ?? 0
            let owners = candidates.filter { $0.value == best }.map(\.key)
            guard best > 0, owners.count == 1, let owner = owners.first else { continue }
            try db.run("UPDATE export SET owner_id = ?1 WHERE id = ?2", owner, exportID)
            for (minute, kind, role, _, line, _) in events where role == "person" {
                try db.run(
                    "INSERT INTO presence(chat_id, participant_id, minute, kind, export_id, line) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    chatID, owner, minute, kind, exportID, line)
            }
            for minute in [first, last].compactMap(\.self) {
                try db.run(
                    "INSERT INTO presence(chat_id, participant_id, minute, kind, export_id) VALUES (?1, ?2, ?3, 'exported', ?4)",
                    chatID, owner, minute + offset, exportID)
            }
        }
    }

    /// Every piece of presence evidence the chat's exports hold.
    private func presenceEvidence(chatID: Int) throws -> [PresenceEvidence] {
        try db.statement("SELECT participant_id, minute, kind FROM presence WHERE chat_id = ?1").map(chatID) { row in
            PresenceEvidence(
                participant: row.int(0), minute: row.int(1),
                kind: PresenceEvidence.Kind(rawValue: row.text(2)) ?? .wrote)
        }
    }

    /// The chat's participants by the names this export writes (else as the chat first knew them).
    private func participantNames(chatID: Int, exportID: Int) throws -> [Int: String] {
        var names: [Int: String] = [:]
        try db.statement("SELECT id, name FROM participant WHERE chat_id = ?1").forEach([chatID]) {
            names[$0.int(0)] = $0.text(1)
        }
        try db.statement("SELECT participant_id, written FROM alias WHERE export_id = ?1 ORDER BY written DESC")
            .forEach([exportID]) { names[$0.int(0)] = $0.text(1) }
        return names
    }

    // MARK: - JSON

    static func decodeAlert(_ json: String) throws -> Alert {
        try JSONDecoder().decode(Alert.self, from: Data(json.utf8))
    }

    static func decodeRecord(_ json: String) throws -> ScanRecord {
        try JSONDecoder().decode(ScanRecord.self, from: Data(json.utf8))
    }
}

/// The names an export writes, mapped to the chat's participants (created on first sight).
struct PeopleMap {
    let db: SQLiteConnection
    let chatID: Int
    let exportID: Int
    var known: [String: Int]
    /// The chat was made for this export: no other export writes a name in it yet.
    let chatIsNew: Bool

    init(db: SQLiteConnection, chatID: Int, exportID: Int, known: [String: Int], chatIsNew: Bool = false) {
        self.db = db
        self.chatID = chatID
        self.exportID = exportID
        self.known = known
        self.chatIsNew = chatIsNew
    }

    /// Whether a participant already has a name in this export.
    func isTaken(_ participant: Int) -> Bool { known.values.contains(participant) }

    /// The participant `name` stands for: as mapped; else the participant another export of the
    /// chat writes the same way; else a new participant.
    mutating func participant(_ name: String) throws -> Int {
        if let found = known[name] { return found }
        let sameName =
            chatIsNew
            ? nil
            : try db.statement(
                """
                SELECT alias.participant_id FROM alias JOIN export ON export.id = alias.export_id
                WHERE export.chat_id = ?1 AND alias.written = ?2 LIMIT 1
                """
            ).first(chatID, name) { $0.int(0) }
        if let sameName, !isTaken(sameName) {
            known[name] = sameName
            return sameName
        }
        try db.run("INSERT INTO participant(chat_id, name) VALUES (?1, ?2)", chatID, name)
        let created = Int(db.lastInsertRowID)
        known[name] = created
        return created
    }
}
