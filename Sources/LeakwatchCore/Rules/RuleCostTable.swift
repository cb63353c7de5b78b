/// What each rule cost, as one table for people and one JSON shape for programs: `leakwatch rules
/// test --timings` prints it for the rules' own examples, `leakwatch scan --stats` for the files
/// scanned. Rows are sorted by time, most expensive first, with each rule's share of the time all
/// rules took.
public struct RuleCostTable: Sendable, Hashable, Encodable {
    /// One rule's line.
    public struct Row: Sendable, Hashable, Encodable {
        public var ruleID: String
        /// Matching time, in milliseconds.
        public var milliseconds: Double
        /// Milliseconds per MB of input, when the input's size is known.
        public var millisecondsPerMB: Double?
        /// Of the time all rules took, from 0 to 1.
        public var share: Double
        /// `pcre2_match` calls.
        public var calls: Int
        public var hits: Int
        /// Further cells (the prefilter, a warning), shown after the figures; not in JSON.
        public var notes: [String]

        enum CodingKeys: String, CodingKey {
            case ruleID = "rule", milliseconds = "ms", millisecondsPerMB = "ms_per_mb", share, calls, hits
        }
    }

    /// The rules, most expensive first (ties by id).
    public var rows: [Row]
    /// All rules together (`share` 1).
    public var total: Row

    /// - Parameters:
    ///   - costs: each rule's cost, by rule id; rules that never ran may be left out.
    ///   - megabytes: the size of the input the costs were measured on (MB of 10^6 bytes), for
    ///     the ms/MB column; nil or 0 leaves it out.
    ///   - notes: further cells per rule id.
    public init(costs: [String: RuleCost], megabytes: Double?, notes: [String: [String]] = [:]) {
        let totalCost = costs.values.reduce(into: RuleCost()) { $0 += $1 }
        let totalMilliseconds = totalCost.time.milliseconds
        func row(_ id: String, _ cost: RuleCost, notes: [String]) -> Row {
            let milliseconds = cost.time.milliseconds
            return Row(
                ruleID: id, milliseconds: milliseconds,
                millisecondsPerMB: megabytes.flatMap { $0 > 0 ? milliseconds / $0 : nil },
                share: totalMilliseconds > 0 ? milliseconds / totalMilliseconds : 0, calls: cost.calls,
                hits: cost.hits, notes: notes)
        }
        rows = costs.map { row($0.key, $0.value, notes: notes[$0.key] ?? []) }
            .sorted { ($1.milliseconds, $0.ruleID) < ($0.milliseconds, $1.ruleID) }
        total = row("total", totalCost, notes: [])
        total.share = 1
    }

    /// The table as tab-separated lines: a header, one line per rule, then the total.
    /// `noteHeaders` names the note columns.
    public func lines(noteHeaders: [String] = []) -> [String] {
        func cells(_ row: Row) -> [String] {
            [
                row.ruleID, String(format2: row.milliseconds), row.millisecondsPerMB.map { String(format2: $0) } ?? "-",
                String(format2: row.share * 100) + "%", String(row.calls), String(row.hits),
            ] + row.notes
        }
        let header = ["rule", "ms", "ms/MB", "share", "calls", "hits"] + noteHeaders
        return ([header] + rows.map(cells) + [cells(total)]).map { $0.joined(separator: "\t") }
    }
}
