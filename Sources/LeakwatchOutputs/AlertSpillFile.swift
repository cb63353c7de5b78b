import LeakwatchCore
import Posix

/// A `RecordSpill` in a temporary file (`Posix.SpillFile`: unlinked at once, gone with the
/// object): where a streamed export's alerts, and a settled batch of them, wait on disk.
public final class AlertSpillFile: RecordSpill {
    private let file: SpillFile

    /// Makes the file in `directory` (`$TMPDIR`, else `/var/tmp`, by default).
    public init(directory: SystemPath = SpillFile.defaultDirectory) throws(LeakwatchError) {
        do throws(PosixError) {
            file = try SpillFile(directory: directory)
        } catch {
            throw Self.error("cannot make a spill file for alerts", error, directory: directory)
        }
    }

    /// A maker of spill files in `directory`, for `ExportScanner.makeSpill`.
    public static func maker(directory: SystemPath = SpillFile.defaultDirectory) -> RecordSpillMaker {
        { () throws(LeakwatchError) -> any RecordSpill in try AlertSpillFile(directory: directory) }
    }

    public var count: Int { file.count }

    public func append(_ record: [UInt8]) throws(LeakwatchError) {
        do throws(PosixError) {
            try file.append(record)
        } catch {
            throw Self.error("cannot write alerts to a spill file", error, directory: file.directory)
        }
    }

    public func records(limit: Int) throws(LeakwatchError) -> RecordSpillReader {
        let directory = file.directory
        var reader: SpillFile.Reader
        do throws(PosixError) {
            reader = try file.records()
        } catch {
            throw Self.error("cannot read alerts back from a spill file", error, directory: directory)
        }
        var read = 0
        return RecordSpillReader { () throws(LeakwatchError) -> [UInt8]? in
            guard read < limit else { return nil }
            do throws(PosixError) {
                guard let record = try reader.next() else { return nil }
                read += 1
                return record
            } catch {
                throw Self.error("cannot read alerts back from a spill file", error, directory: directory)
            }
        }
    }

    private static func error(_ what: String, _ error: PosixError, directory: SystemPath) -> LeakwatchError {
        LeakwatchError(
            code: .spillFailed, message: "\(what) in \(directory.escaped): \(error.reason)", path: directory.escaped,
            cause: error)
    }
}
