import ArgumentParser
import Foundation
import LeakwatchCore
import LeakwatchReport
import LeakwatchState

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Report on chats for an investigator, from the state database (no rescanning).",
        discussion: """
            Per chat, across all of its exports: alerts by category and by sender, a timeline with \
            exposure, responses and sightings, joins and leaves, the exports and the participants' \
            names. Excerpts are masked exactly as in the spool. --format html writes one \
            self-contained page (no external assets, no script) that prints well.
            """)

    @OptionGroup var state: StateOptions

    @Option(name: .customLong("chat"), help: ArgumentHelp("Only this chat (repeatable); see --list.", valueName: "ID"))
    var chats: [Int] = []

    @Flag(help: "List the chats the state knows, and stop.")
    var list = false

    @Option(help: "text for a terminal, html for one self-contained page.")
    var format: ReportFormat = .text

    @Option(
        name: .shortAndLong, help: ArgumentHelp("Write to this file instead of standard output.", valueName: "FILE"))
    var output: String?

    enum ReportFormat: String, CaseIterable, ExpressibleByArgument {
        case text, html
    }

    func run() throws {
        let database = try state.open(readOnly: true)
        do {
            let known = try ChatReport.chats(in: database)
            if list {
                for chat in known {
                    Terminal.write(
                        "\(chat.id)\t\(chat.name.isEmpty ? "(no name)" : chat.name)\t\(chat.exports) exports\t\(chat.alerts) alerts"
                    )
                }
                return
            }
            let wanted = chats.isEmpty ? known.map(\.id) : chats
            for id in wanted where !known.contains(where: { $0.id == id }) {
                Terminal.error("no chat \(id) in \(state.databasePath) (see `leakwatch report --list`)")
                throw ExitCode(2)
            }
            var reports: [ChatReport] = []
            for id in wanted { reports.append(try ChatReport.load(chat: id, from: database)) }
            let text: String
            switch format {
            case .text: text = reports.map { $0.text() }.joined(separator: "\n")
            case .html:
                text = ChatReport.html(
                    reports, generatedAt: AlertFormatting.rfc3339(Date()), database: state.databasePath)
            }
            if let output {
                try Data(text.utf8).write(to: URL(fileURLWithPath: output), options: .atomic)
            } else {
                FileHandle.standardOutput.write(Data(text.utf8))
            }
        } catch let error as LeakwatchError {
            Terminal.error(error.description)
            throw ExitCode(2)
        }
    }
}
