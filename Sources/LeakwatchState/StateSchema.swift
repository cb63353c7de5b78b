import SQLite

/// The state database's schema, as an ordered list of migrations. `PRAGMA user_version` holds the
/// version a database is at; opening runs the migrations after it, each in its own transaction
/// (a crash mid-migration leaves the previous version, and the next start runs it again).
/// A database from a newer leakwatch (a version above `current`) is refused, never touched.
enum StateSchema {
    /// One step from version `version - 1` to `version`.
    struct Migration {
        var version: Int
        var summary: String
        var sql: String
    }

    static let migrations: [Migration] = [
        Migration(
            version: 1, summary: "chats, exports, participants, anchors, presence, alerts, sightings, delivery",
            sql: """
                CREATE TABLE chat(
                    id INTEGER PRIMARY KEY,
                    origin TEXT NOT NULL UNIQUE,
                    name TEXT,
                    created_at TEXT NOT NULL
                );
                CREATE TABLE participant(
                    id INTEGER PRIMARY KEY,
                    chat_id INTEGER NOT NULL REFERENCES chat(id),
                    name TEXT NOT NULL
                );
                CREATE INDEX participant_by_chat ON participant(chat_id);
                CREATE TABLE export(
                    id INTEGER PRIMARY KEY,
                    sha256 TEXT NOT NULL,
                    entry TEXT NOT NULL,
                    export_index INTEGER NOT NULL,
                    path TEXT NOT NULL,
                    format TEXT NOT NULL,
                    chat_name TEXT,
                    chat_id INTEGER REFERENCES chat(id),
                    clock_offset INTEGER NOT NULL DEFAULT 0,
                    aligned_pairs INTEGER NOT NULL DEFAULT 0,
                    owner_id INTEGER REFERENCES participant(id),
                    messages INTEGER NOT NULL,
                    first_minute INTEGER,
                    last_minute INTEGER,
                    scanned_at TEXT NOT NULL,
                    UNIQUE(sha256, entry, export_index)
                );
                CREATE INDEX export_by_chat ON export(chat_id);
                CREATE TABLE alias(
                    export_id INTEGER NOT NULL REFERENCES export(id),
                    written TEXT NOT NULL,
                    participant_id INTEGER NOT NULL REFERENCES participant(id),
                    PRIMARY KEY(export_id, written)
                ) WITHOUT ROWID;
                CREATE TABLE anchor(
                    chat_id INTEGER NOT NULL REFERENCES chat(id),
                    minute INTEGER NOT NULL,
                    content INTEGER NOT NULL,
                    ordinal INTEGER NOT NULL,
                    participant_id INTEGER REFERENCES participant(id),
                    level INTEGER NOT NULL,
                    PRIMARY KEY(chat_id, minute, content, ordinal)
                ) WITHOUT ROWID;
                CREATE INDEX anchor_by_content ON anchor(content);
                CREATE TABLE presence(
                    chat_id INTEGER NOT NULL REFERENCES chat(id),
                    participant_id INTEGER NOT NULL REFERENCES participant(id),
                    minute INTEGER NOT NULL,
                    kind TEXT NOT NULL CHECK(kind IN ('joined', 'left', 'wrote', 'exported')),
                    export_id INTEGER NOT NULL REFERENCES export(id),
                    line INTEGER,
                    actor_id INTEGER REFERENCES participant(id)
                );
                CREATE INDEX presence_by_chat ON presence(chat_id, minute);
                CREATE TABLE sample(
                    chat_id INTEGER NOT NULL REFERENCES chat(id),
                    minute INTEGER NOT NULL,
                    content INTEGER NOT NULL,
                    ordinal INTEGER NOT NULL,
                    participant_id INTEGER NOT NULL REFERENCES participant(id),
                    PRIMARY KEY(chat_id, minute, content, ordinal)
                ) WITHOUT ROWID;
                CREATE TABLE owner_event(
                    export_id INTEGER NOT NULL REFERENCES export(id),
                    minute INTEGER NOT NULL,
                    kind TEXT NOT NULL CHECK(kind IN ('joined', 'left')),
                    role TEXT NOT NULL CHECK(role IN ('person', 'actor')),
                    other_id INTEGER REFERENCES participant(id),
                    named TEXT NOT NULL DEFAULT '',
                    line INTEGER
                );
                CREATE TABLE alert(
                    seq INTEGER PRIMARY KEY,
                    id TEXT NOT NULL UNIQUE,
                    chat_id INTEGER REFERENCES chat(id),
                    leak TEXT UNIQUE,
                    message_key TEXT,
                    content INTEGER,
                    minute INTEGER,
                    rule_id TEXT NOT NULL,
                    category TEXT NOT NULL,
                    severity TEXT NOT NULL,
                    participant_id INTEGER REFERENCES participant(id),
                    export_id INTEGER NOT NULL REFERENCES export(id),
                    line INTEGER,
                    json TEXT NOT NULL
                );
                CREATE INDEX alert_by_key ON alert(chat_id, message_key);
                CREATE INDEX alert_by_export ON alert(export_id);
                CREATE TABLE sighting(
                    id TEXT PRIMARY KEY,
                    alert_id TEXT NOT NULL REFERENCES alert(id),
                    export_id INTEGER NOT NULL REFERENCES export(id),
                    line INTEGER,
                    sender TEXT,
                    participant_id INTEGER REFERENCES participant(id),
                    json TEXT NOT NULL,
                    UNIQUE(alert_id, export_id)
                );
                CREATE INDEX sighting_by_export ON sighting(export_id);
                CREATE TABLE delivered(id TEXT PRIMARY KEY) WITHOUT ROWID;
                CREATE TABLE batch(
                    id INTEGER PRIMARY KEY,
                    spool_device INTEGER NOT NULL,
                    spool_inode INTEGER NOT NULL,
                    spool_offset INTEGER NOT NULL,
                    created_at TEXT NOT NULL
                );
                CREATE TABLE batch_line(
                    batch_id INTEGER NOT NULL REFERENCES batch(id),
                    id TEXT NOT NULL,
                    PRIMARY KEY(batch_id, id)
                ) WITHOUT ROWID;
                CREATE TABLE setting(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
                """)
    ]

    /// The version this build writes.
    static var current: Int { migrations.last?.version ?? 0 }
}
