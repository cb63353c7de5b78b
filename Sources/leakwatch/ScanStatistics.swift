import LeakwatchCore

/// What `leakwatch scan --stats` reports: the files, bytes, messages and alerts of the run, its
/// wall time and speed, and what each rule cost (`RuleCostTable`).
struct ScanStatistics: Encodable {
    var files = 0
    var bytes = 0
    var messages = 0
    var alerts = 0
    var wallSeconds = 0.0
    /// Rule ids by rule index; the cost of each (every rule is listed, 0 until it runs).
    private let ruleIDs: [String]
    private var costs: [String: RuleCost] = [:]

    init(ruleSet: RuleSet) {
        ruleIDs = ruleSet.rules.map(\.id)
        for id in ruleIDs { costs[id] = RuleCost() }
    }

    enum CodingKeys: String, CodingKey {
        case files, bytes, messages, alerts, wallSeconds = "wall_seconds", megabytesPerSecond = "mb_per_second"
        case rules, total
    }

    var megabytes: Double { Double(bytes) / 1_000_000 }
    var megabytesPerSecond: Double { wallSeconds > 0 ? megabytes / wallSeconds : 0 }
    var table: RuleCostTable { RuleCostTable(costs: costs, megabytes: megabytes) }

    /// Adds one scanned file: its result (bytes, messages, rule costs) and the alerts it gave once
    /// settled against the state.
    mutating func add(_ result: ScanResult, alerts: Int) {
        files += 1
        bytes += result.bytes
        messages += result.messageCount
        self.alerts += alerts
        for (index, cost) in result.ruleCosts where ruleIDs.indices.contains(index) {
            costs[ruleIDs[index], default: RuleCost()] += cost
        }
    }

    /// The per-rule table, then one line of totals.
    var textLines: [String] {
        table.lines() + [
            "\(files) file(s), \(String(format2: megabytes)) MB, \(messages) messages, \(alerts) alerts "
                + "in \(String(format2: wallSeconds)) s: \(String(format2: megabytesPerSecond)) MB/s"
        ]
    }

    /// One JSON object: the totals, `rules` (the table's rows) and `total`.
    var json: String { AlertFormatting.jsonLine(self) }

    func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(files, forKey: .files)
        try container.encode(bytes, forKey: .bytes)
        try container.encode(messages, forKey: .messages)
        try container.encode(alerts, forKey: .alerts)
        try container.encode(wallSeconds, forKey: .wallSeconds)
        try container.encode(megabytesPerSecond, forKey: .megabytesPerSecond)
        let table = table
        try container.encode(table.rows, forKey: .rules)
        try container.encode(table.total, forKey: .total)
    }
}
