import Posix
import Systemd

/// The daemon's own events, each kind with its own journal `MESSAGE_ID` (explained by the
/// catalog in `systemd/leakwatch.catalog`).
public struct DaemonEvent: Sendable {
    public enum Kind: String, Sendable, CaseIterable {
        case started, stopping
        case rulesLoaded = "rules-loaded"
        case rulesRejected = "rules-rejected"
        case fileProcessed = "file-processed"
        case fileQuarantined = "file-quarantined"
        case error
        case journalUnavailable = "journal-unavailable"
        case scanIncomplete = "scan-incomplete"
        case ruleError = "rule-error"
        case duplicateExport = "duplicate-export"
        case dropDirectoryLost = "drop-directory-lost"
        case dropDirectoryRearmed = "drop-directory-rearmed"
        case spoolRepaired = "spool-repaired"

        public var messageID: String {
            switch self {
            case .started: "aa5e8971ce5949fa85ccd946215173a9"
            case .stopping: "90a6b3b7eb4d496093ddcf738fcd9107"
            case .rulesLoaded: "a80b9d02975044aeb4c5c55b68c3e254"
            case .rulesRejected: "f0abbbc654b04b83b6f820b68b8e99a4"
            case .fileProcessed: "d5880b6dcfbb41e9a650410ce7747515"
            case .fileQuarantined: "8b304acfedb149159786725de378f30c"
            case .error: "a8f15836fc844478803cb6a4a7bc3dc3"
            case .journalUnavailable: "d161a1c2f7d743fda7be3bf88c679053"
            case .scanIncomplete: "8435842e5c3a4e958fd096c8a60031ea"
            case .ruleError: "07d973fd8b6844db828bdc2c8e832060"
            case .duplicateExport: "a81079f16ffd4b2cb1f93fe9a917be90"
            case .dropDirectoryLost: "3bc2f858f5f44fcf8fbdd3e1d7d6ef0a"
            case .dropDirectoryRearmed: "f813fe24bf21430aa9b835278844f650"
            case .spoolRepaired: "c4506404bda049a6b68edb3c26da9eb5"
            }
        }

        /// syslog priority.
        var priority: Int {
            switch self {
            case .error, .rulesRejected, .dropDirectoryLost: 3
            case .fileQuarantined, .journalUnavailable, .scanIncomplete, .ruleError, .spoolRepaired: 4
            case .started, .stopping, .rulesLoaded, .dropDirectoryRearmed, .duplicateExport: 5
            case .fileProcessed: 6
            }
        }
    }

    public var kind: Kind
    public var message: String
    /// Extra `LEAKWATCH_*` fields.
    public var fields: [String: String]

    public init(_ kind: Kind, _ message: String, fields: [String: String] = [:]) {
        self.kind = kind
        self.message = message
        self.fields = fields
    }
}

/// Where daemon events go: the journal (structured) and, when the journal is unavailable or
/// stderr is a terminal (the foreground demo), stderr as one line each.
public struct EventLog: Sendable {
    public let journalEnabled: Bool
    public let availability: JournalAvailability
    private let echoToStderr: Bool

    public init(journalEnabled: Bool, echoToStderr: Bool? = nil) {
        self.journalEnabled = journalEnabled
        self.echoToStderr = echoToStderr ?? Posix.isTerminal(2)
        self.availability = JournalAvailability(warn: { EventLog.writeStderr("leakwatch: warning: \($0)") })
    }

    public func log(_ event: DaemonEvent) {
        var sentToJournal = false
        if journalEnabled {
            var fields = [
                JournalField("MESSAGE", event.message),
                JournalField("PRIORITY", String(event.kind.priority)),
                JournalField("MESSAGE_ID", event.kind.messageID),
                JournalField("SYSLOG_IDENTIFIER", "leakwatch"),
                JournalField("LEAKWATCH_EVENT", event.kind.rawValue),
            ]
            for (name, value) in event.fields.sorted(by: { $0.key < $1.key }) {
                fields.append(JournalField("LEAKWATCH_" + name, value))
            }
            let result = Journal.send(fields)
            availability.record(result)
            sentToJournal = result >= 0
        }
        if echoToStderr || !sentToJournal {
            EventLog.writeStderr("leakwatch: \(event.kind.rawValue): \(event.message)")
        }
    }

    /// Writes one line to stderr, unbuffered.
    public static func writeStderr(_ line: String) {
        Posix.writeStandardError(line + "\n")
    }
}
