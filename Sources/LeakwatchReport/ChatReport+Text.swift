extension ChatReport {
    /// The report for a terminal: plain text, one section after another.
    public func text() -> String {
        var out: [String] = []
        func section(_ title: String) {
            out.append("")
            out.append(title)
            out.append(String(repeating: "-", count: title.count))
        }
        let title = "Chat \(chatID): \(names.isEmpty ? "(no name)" : names.joined(separator: " / "))"
        out.append(title)
        out.append(String(repeating: "=", count: title.count))
        out.append(
            "\(entries.count) alerts, \(sightingCount) sightings in \(exports.count) exports, \(participants.count) participants."
        )
        out.append("Times are on the clock of \(clockSource); exposure is from all exports together.")

        section("Exports")
        for export in exports {
            let offset = export.clockOffset == 0 ? "same clock" : "clock \(Self.offsetText(export.clockOffset))"
            let aligned = export.alignedPairs == 0 ? "started the chat" : "\(export.alignedPairs) messages aligned"
            out.append(
                "  \(export.path)\(export.entry.map { "!\($0)" } ?? "")  \(export.format), \(export.messages) messages, "
                    + "\(export.first ?? "?") to \(export.last ?? "?"), \(offset), \(aligned)"
                    + (export.owner.map { ", \($0)'s phone" } ?? ""))
        }

        section("Participants")
        for participant in participants {
            out.append(
                "  \(participant.name)"
                    + (participant.aliases.isEmpty ? "" : "  (also: \(participant.aliases.joined(separator: ", ")))"))
        }

        section("Alerts by category")
        for (category, count) in byCategory { out.append("  \(Self.pad(category, 20)) \(count)") }

        section("Alerts by sender")
        for (name, count) in bySender { out.append("  \(Self.pad(name, 20)) \(count)") }

        section("Timeline")
        for entry in entries {
            let alert = entry.alert
            out.append(
                "  \(entry.time)  \(alert.rule.severity.uppercased())  \(alert.rule.id)  \(entry.sender): \(alert.match.excerpt)"
            )
            out.append(
                "      first seen: \(alert.source.path)\(alert.message.line.map { ":\($0)" } ?? "")  alert \(alert.id)")
            out.append("      exposure (\(entry.exposure.count)): \(entry.exposure.joined(separator: ", "))")
            if !entry.responses.isEmpty {
                out.append(
                    "      responses: "
                        + entry.responses.map { "\($0.name) \($0.kind.rawValue)" }.joined(separator: ", "))
            }
            if !entry.sightings.isEmpty {
                out.append(
                    "      also in: "
                        + entry.sightings.map {
                            "\($0.path)\($0.line.map { ":\($0)" } ?? "")" + ($0.sender.map { " (\($0))" } ?? "")
                        }.joined(separator: ", "))
            }
        }

        section("Joins and leaves")
        for change in membership {
            out.append(
                "  \(change.time)  \(change.name) \(change.verb)" + (change.by.map { " by \($0)" } ?? "")
                    + "  [\(change.sources.joined(separator: ", "))]")
        }

        section("Responses by participant")
        for tally in responseTally {
            out.append(
                "  \(Self.pad(tally.name, 20)) \(tally.endorsements) endorsed, \(tally.challenges) challenged, "
                    + "\(tally.neither) other")
        }
        return out.joined(separator: "\n") + "\n"
    }

    static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }

    /// `+1h`, `-1h`, `+5h30m`.
    static func offsetText(_ minutes: Int) -> String {
        let sign = minutes < 0 ? "-" : "+"
        let value = abs(minutes)
        return sign + (value >= 60 ? "\(value / 60)h" : "") + (value % 60 != 0 ? "\(value % 60)m" : "")
    }
}
