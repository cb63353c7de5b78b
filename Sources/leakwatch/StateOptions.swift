import ArgumentParser
import LeakwatchCore
import LeakwatchDaemon
import LeakwatchState

#if canImport(Glibc)
    import Glibc
#endif

/// Where the state database is: the daemon's state directory, or a file (`scan --state`).
struct StateOptions: ParsableArguments {
    @Option(
        name: .customLong("state-dir"),
        help: ArgumentHelp("The daemon's state directory (holds state.sqlite).", valueName: "DIR"))
    var stateDirectory = DaemonConfiguration().stateDirectory

    @Option(
        name: .customLong("state"),
        help: ArgumentHelp("A state database file instead (as `leakwatch scan --state` writes).", valueName: "FILE"))
    var stateFile: String?

    var databasePath: String { stateFile ?? stateDirectory + "/" + StateDatabase.fileName }

    /// Opens the database; a missing file is an error, never created.
    func open(readOnly: Bool) throws -> StateDatabase {
        guard access(databasePath, F_OK) == 0 else {
            Terminal.error("\(databasePath): no state database here (the daemon creates it; so does `scan --state`)")
            throw ExitCode(2)
        }
        do {
            return try StateDatabase(path: databasePath, readOnly: readOnly)
        } catch {
            Terminal.error(error.description)
            throw ExitCode(2)
        }
    }
}
