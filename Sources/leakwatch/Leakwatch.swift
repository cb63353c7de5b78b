import ArgumentParser

/// The `leakwatch` executable: subcommands only wire options to the libraries.
@main
struct Leakwatch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "leakwatch",
        abstract: "Find sensitive operational content in exported chat logs.",
        discussion: """
            Exit status of scan: 0 no alerts, 1 alerts found, 2 an error (a file could not be read \
            or parsed, the rules did not load).
            """,
        subcommands: [
            ScanCommand.self, ParseCommand.self, RulesCommand.self, EvalCommand.self, DaemonCommand.self,
            ReloadCommand.self, ReportCommand.self, StateCommand.self, MediaCommand.self, MediaWorkerCommand.self,
        ]
    )
}
