extension ChatReport {
    /// Several chats' reports as one self-contained HTML page: no external assets, no script, styles
    /// inline, readable in any browser and printable (each alert kept on one page).
    public static func html(_ reports: [ChatReport], generatedAt: String, database: String) -> String {
        var out = """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <meta name="generator" content="leakwatch report">
            <title>leakwatch report: \(escape(reports.map(\.title).joined(separator: "; ")))</title>
            <style>\(stylesheet)</style>
            </head>
            <body>
            <header>
            <h1>leakwatch report</h1>
            <p class="meta">Generated \(escape(generatedAt)) from the state database <code>\(escape(database))</code>.
            Excerpts are masked exactly as in the alert spool. Exposure, responses and sightings combine every export
            of a chat.</p>
            </header>

            """
        for report in reports { out += report.htmlSection() }
        out += """
            <footer><p>leakwatch: alerts are leads for a human reviewer, not findings. Message keys identify the same
            message across exports of a chat.</p></footer>
            </body>
            </html>

            """
        return out
    }

    var title: String { "chat \(chatID) (\(names.isEmpty ? "no name" : names.joined(separator: " / ")))" }

    func htmlSection() -> String {
        let anchor = "chat-\(chatID)"
        var out = "<main class=\"chat\" id=\"\(anchor)\">\n"
        out += "<h2>Chat \(chatID): \(Self.escape(names.isEmpty ? "(no name)" : names.joined(separator: " / ")))</h2>\n"
        out += "<nav><ol>"
        for (id, label) in [
            ("summary", "Summary"), ("timeline", "Timeline"), ("exposure", "Joins and leaves"),
            ("responses", "Responses"), ("sightings", "Sightings"), ("exports", "Exports"),
            ("participants", "Participants"),
        ] {
            out += "<li><a href=\"#\(anchor)-\(id)\">\(label)</a></li>"
        }
        out += "</ol></nav>\n"

        // Summary
        out += "<section class=\"summary\" id=\"\(anchor)-summary\">\n<h3>Summary</h3>\n<dl class=\"figures\">"
        for (label, key, value) in [
            ("Alerts", "alerts", entries.count), ("Sightings", "sightings", sightingCount),
            ("Exports", "exports", exports.count), ("Participants", "participants", participants.count),
        ] {
            out += "<div><dt>\(label)</dt><dd data-count=\"\(key)\">\(value)</dd></div>"
        }
        out += "</dl>\n<p class=\"note\">Times are on the clock of <code>\(Self.escape(clockSource))</code>.</p>\n"
        out += "<div class=\"tables\"><table class=\"by-category\"><caption>Alerts by category</caption>"
        out += "<tr><th>Category</th><th>Alerts</th></tr>"
        for (category, count) in byCategory {
            out +=
                "<tr data-category=\"\(Self.escape(category))\"><td>\(Self.escape(category))</td><td class=\"n\">\(count)</td></tr>"
        }
        out += "</table>\n<table class=\"by-sender\"><caption>Alerts by sender</caption>"
        out += "<tr><th>Sender</th><th>Alerts</th></tr>"
        for (name, count) in bySender {
            out +=
                "<tr data-sender=\"\(Self.escape(name))\"><td>\(Self.escape(name))</td><td class=\"n\">\(count)</td></tr>"
        }
        out += "</table></div>\n</section>\n"

        // Timeline
        out += "<section class=\"timeline\" id=\"\(anchor)-timeline\">\n<h3>Timeline</h3>\n"
        for entry in entries {
            let alert = entry.alert
            out += "<article class=\"alert severity-\(Self.escape(alert.rule.severity))\" id=\"alert-\(alert.id)\">\n"
            out +=
                "<h4><time>\(Self.escape(entry.time))</time> <span class=\"severity\">\(Self.escape(alert.rule.severity.uppercased()))</span> "
                + "\(Self.escape(alert.rule.title))</h4>\n"
            out += "<p class=\"excerpt\"><span class=\"sender\">\(Self.escape(entry.sender))</span>: "
            out += "\(Self.escape(alert.match.excerpt))</p>\n<dl class=\"facts\">"
            out +=
                "<dt>Rule</dt><dd><code>\(Self.escape(alert.rule.id))</code> (\(Self.escape(alert.rule.category)))</dd>"
            out +=
                "<dt>First seen</dt><dd><code>\(Self.escape(alert.source.path + (alert.message.line.map { ":\($0)" } ?? "")))</code>, alert <code>\(alert.id)</code></dd>"
            if let key = alert.message.key { out += "<dt>Message key</dt><dd><code>\(key)</code></dd>" }
            out +=
                "<dt>Exposure</dt><dd class=\"exposure\" data-count=\"\(entry.exposure.count)\">\(entry.exposure.count): \(Self.escape(entry.exposure.joined(separator: ", ")))</dd>"
            if !entry.responses.isEmpty {
                out += "<dt>Responses</dt><dd><ul class=\"responses\">"
                for response in entry.responses {
                    out +=
                        "<li class=\"\(response.kind.rawValue)\">\(Self.escape(response.name)): <b>\(response.kind.rawValue)</b>"
                        + (response.line.map { " (line \($0))" } ?? "") + "</li>"
                }
                out += "</ul></dd>"
            }
            if !entry.sightings.isEmpty {
                out += "<dt>Also in</dt><dd><ul class=\"seen\">"
                for sighting in entry.sightings {
                    out +=
                        "<li><code>\(Self.escape(sighting.path + (sighting.line.map { ":\($0)" } ?? "")))</code>"
                        + (sighting.sender.map { " as “\(Self.escape($0))”" } ?? "") + "</li>"
                }
                out += "</ul></dd>"
            }
            out += "</dl>\n</article>\n"
        }
        out += "</section>\n"

        // Joins and leaves
        out += "<section class=\"membership\" id=\"\(anchor)-exposure\">\n<h3>Joins and leaves</h3>\n"
        out += "<table><tr><th>Time</th><th>Who</th><th>Change</th><th>By</th><th>Told by</th></tr>"
        for change in membership {
            out +=
                "<tr class=\"\(change.change.rawValue)\"><td>\(Self.escape(change.time))</td><td>\(Self.escape(change.name))</td>"
                + "<td>\(change.verb)</td><td>\(Self.escape(change.by ?? ""))</td>"
                + "<td>\(Self.escape(change.sources.joined(separator: ", ")))</td></tr>"
        }
        out += "</table>\n</section>\n"

        // Responses
        out += "<section class=\"responses\" id=\"\(anchor)-responses\">\n<h3>Responses by participant</h3>\n"
        out += "<table><tr><th>Participant</th><th>Endorsed</th><th>Challenged</th><th>Other replies</th></tr>"
        for tally in responseTally {
            out +=
                "<tr data-participant=\"\(Self.escape(tally.name))\"><td>\(Self.escape(tally.name))</td>"
                + "<td class=\"n endorsement\">\(tally.endorsements)</td><td class=\"n challenge\">\(tally.challenges)</td>"
                + "<td class=\"n\">\(tally.neither)</td></tr>"
        }
        out += "</table>\n</section>\n"

        // Sightings
        out += "<section class=\"sightings\" id=\"\(anchor)-sightings\">\n<h3>Sightings</h3>\n"
        out += "<table><tr><th>Alert</th><th>Rule</th><th>Export</th><th>Sender there</th></tr>"
        for entry in entries {
            for sighting in entry.sightings {
                out +=
                    "<tr><td><a href=\"#alert-\(entry.alert.id)\"><code>\(entry.alert.id.prefix(12))</code></a></td>"
                    + "<td>\(Self.escape(entry.alert.rule.id))</td>"
                    + "<td><code>\(Self.escape(sighting.path + (sighting.line.map { ":\($0)" } ?? "")))</code></td>"
                    + "<td>\(Self.escape(sighting.sender ?? ""))</td></tr>"
            }
        }
        out += "</table>\n</section>\n"

        // Exports
        out += "<section class=\"exports\" id=\"\(anchor)-exports\">\n<h3>Exports</h3>\n"
        out +=
            "<table><tr><th>File</th><th>Format</th><th>Messages</th><th>From</th><th>To</th><th>Clock</th><th>Aligned</th><th>Phone of</th></tr>"
        for export in exports {
            out +=
                "<tr><td><code>\(Self.escape(export.path + (export.entry.map { "!\($0)" } ?? "")))</code></td>"
                + "<td>\(Self.escape(export.format))</td><td class=\"n\">\(export.messages)</td>"
                + "<td>\(Self.escape(export.first ?? ""))</td><td>\(Self.escape(export.last ?? ""))</td>"
                + "<td>\(export.clockOffset == 0 ? "same" : Self.offsetText(export.clockOffset))</td>"
                + "<td class=\"n\">\(export.alignedPairs == 0 ? "first" : String(export.alignedPairs))</td>"
                + "<td>\(Self.escape(export.owner ?? ""))</td></tr>"
        }
        out += "</table>\n</section>\n"

        // Participants
        out += "<section class=\"participants\" id=\"\(anchor)-participants\">\n<h3>Participants</h3>\n"
        out += "<table><tr><th>Name</th><th>Also written as</th></tr>"
        for participant in participants {
            out +=
                "<tr><td>\(Self.escape(participant.name))</td><td>\(Self.escape(participant.aliases.joined(separator: ", ")))</td></tr>"
        }
        out += "</table>\n</section>\n</main>\n"
        return out
    }

    /// Text for HTML: `& < > " '` escaped.
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }

    static let stylesheet = """
        :root { color-scheme: light; --ink: #1b1f24; --muted: #59636e; --line: #d0d7de; --high: #b42318;
          --medium: #9a6700; --low: #0b6e99; --endorse: #b42318; --challenge: #1a7f37; }
        * { box-sizing: border-box; }
        body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif; color: var(--ink);
          max-width: 64rem; margin: 0 auto; padding: 1.5rem; }
        h1 { font-size: 1.6rem; margin: 0 0 .25rem; } h2 { font-size: 1.35rem; border-bottom: 2px solid var(--ink);
          padding-bottom: .2rem; margin-top: 2rem; } h3 { font-size: 1.1rem; margin-top: 1.6rem; }
        h4 { font-size: 1rem; margin: 0 0 .3rem; }
        .meta, .note, footer { color: var(--muted); font-size: .9rem; }
        code { font-family: "DejaVu Sans Mono", ui-monospace, monospace; font-size: .85em; overflow-wrap: anywhere; }
        nav ol { display: flex; flex-wrap: wrap; gap: .3rem 1rem; list-style: none; padding: 0; margin: .5rem 0; }
        .figures { display: flex; gap: 1rem; margin: 1rem 0; }
        .figures div { border: 1px solid var(--line); border-radius: 6px; padding: .5rem 1rem; min-width: 7rem; }
        .figures dt { color: var(--muted); font-size: .85rem; } .figures dd { margin: 0; font-size: 1.6rem; font-weight: 600; }
        .tables { display: flex; gap: 2rem; flex-wrap: wrap; align-items: flex-start; }
        table { border-collapse: collapse; margin: .5rem 0; } caption { text-align: left; font-weight: 600; padding: .2rem 0; }
        th, td { border-bottom: 1px solid var(--line); padding: .25rem .6rem; text-align: left; vertical-align: top; }
        td.n { text-align: right; font-variant-numeric: tabular-nums; }
        article.alert { border: 1px solid var(--line); border-left: 5px solid var(--low); border-radius: 6px;
          padding: .6rem .9rem; margin: .7rem 0; }
        article.severity-critical, article.severity-high { border-left-color: var(--high); }
        article.severity-medium { border-left-color: var(--medium); }
        .severity { font-size: .75rem; font-weight: 700; letter-spacing: .05em; padding: .05rem .35rem;
          border-radius: 3px; background: #eef1f4; }
        .severity-high .severity, .severity-critical .severity { background: #fde8e7; color: var(--high); }
        .excerpt { background: #f6f8fa; padding: .35rem .6rem; border-radius: 4px; margin: .3rem 0 .5rem; }
        .sender { font-weight: 600; }
        dl.facts { display: grid; grid-template-columns: 8.5rem 1fr; gap: .15rem .8rem; margin: 0; }
        dl.facts dt { color: var(--muted); } dl.facts dd { margin: 0; }
        ul.responses, ul.seen { margin: 0; padding-left: 1.1rem; }
        li.endorsement b, td.endorsement { color: var(--endorse); } li.challenge b, td.challenge { color: var(--challenge); }
        tr.left td { color: var(--muted); }
        .membership td:first-child, .exports td:nth-child(4), .exports td:nth-child(5), time { white-space: nowrap; }
        @page { margin: 15mm; }
        @media print {
          body { max-width: none; padding: 0; font-size: 10.5pt; } nav { display: none; }
          article.alert, tr { break-inside: avoid; } h2, h3 { break-after: avoid; }
          a { color: inherit; text-decoration: none; } .excerpt { background: none; border: 1px solid var(--line); }
        }
        """
}
