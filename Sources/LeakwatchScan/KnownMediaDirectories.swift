import LeakwatchCore
import LeakwatchMedia
import Posix

/// Loads the known-media lists: every `*.list` file of the directories given, in order (like
/// rule directories, a later file of the same name replaces an earlier one). A directory that
/// does not exist holds no lists; one that cannot be read, and any bad line, is a problem, and
/// then no index is built (a reload keeps the lists in force).
public enum KnownMediaDirectories {
    public static func load(_ directories: [String]) -> (index: KnownMediaIndex?, problems: [KnownMediaProblem]) {
        var byName: [FileName: SystemPath] = [:]
        var order: [FileName] = []
        var problems: [KnownMediaProblem] = []
        for directory in directories {
            guard FileReading.isDirectory(directory) else {
                if FileReading.exists(directory) {
                    problems.append(KnownMediaProblem(file: directory, message: "not a directory"))
                }
                continue
            }
            do {
                for name in try FileReading.listDirectory(SystemPath(directory))
                where !name.hasPrefix(".") && name.hasSuffix(".list") {
                    if byName[name] == nil { order.append(name) }
                    byName[name] = SystemPath(directory).appending(name)
                }
            } catch {
                problems.append(KnownMediaProblem(file: directory, message: error.message))
            }
        }
        var entries: [KnownMediaEntry] = []
        var files: [String] = []
        for name in order.sorted() {
            guard let path = byName[name] else { continue }
            do {
                let bytes = try FileReading.readFile(path, limit: 256 << 20)
                let parsed = KnownMediaIndex.parse(String(decoding: bytes, as: UTF8.self), file: path.escaped)
                entries += parsed.entries
                problems += parsed.problems
                files.append(path.escaped)
            } catch {
                problems.append(KnownMediaProblem(file: path.escaped, message: error.message))
            }
        }
        guard problems.isEmpty else { return (nil, problems) }
        return (KnownMediaIndex(entries: entries, files: files), [])
    }
}
