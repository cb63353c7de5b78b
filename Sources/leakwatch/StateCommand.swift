import ArgumentParser
import LeakwatchCore
import LeakwatchDaemon
import LeakwatchOutputs
import LeakwatchState

struct StateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "state",
        abstract: "Inspect the state database.",
        subcommands: [Check.self])

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Verify the state database on its own and against the spool.",
            discussion: """
                SQLite's integrity and foreign-key checks, the schema version; every spool line known \
                as delivered; every recorded alert and sighting delivered (or waiting in a batch the \
                daemon settles at start). Exit status: 0 clean, 1 problems, 2 cannot check.
                """)

        @OptionGroup var state: StateOptions

        @Option(name: .customLong("spool-dir"), help: ArgumentHelp("The daemon's spool directory.", valueName: "DIR"))
        var spoolDirectory = DaemonConfiguration().spoolDirectory

        @Option(name: .customLong("spool-keep"), help: "Rotated spool files kept (as the daemon's --spool-keep).")
        var spoolKeep = DaemonConfiguration().spoolKeep

        @Flag(name: .customLong("no-spool"), help: "Check the database alone (a `scan --state` file has no spool).")
        var noSpool = false

        func run() throws {
            let database = try state.open(readOnly: true)
            let files =
                noSpool || state.stateFile != nil
                ? [] : SpoolTail.files(AlertSpool.Configuration(directory: spoolDirectory, keep: spoolKeep))
            let check: StateCheck
            do {
                check = try StateCheck.run(database: database, spoolFiles: files)
            } catch {
                Terminal.error(error.description)
                throw ExitCode(2)
            }
            Terminal.write(
                "\(state.databasePath): schema \(database.schemaVersion); "
                    + check.figures.map { "\($0.1) \($0.0)" }.joined(separator: ", "))
            for note in check.notes { Terminal.write("note: \(note)") }
            for problem in check.problems { Terminal.write("problem: \(problem)") }
            if !check.isClean { throw ExitCode(1) }
            Terminal.write("ok")
        }
    }
}
