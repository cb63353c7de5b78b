import LeakwatchCore
import Posix

/// Loads rule layers from directories: `*.yml`/`*.yaml` rule files, `*.model` files (linear
/// text models that rules name) and `responses.phrases` (how replies to alerts are classified),
/// each directory a layer, later directories overriding earlier ones by file name (like systemd
/// drop-ins).
public enum RuleDirectories {
    /// Shipped rules once installed.
    public static let installedShipped = "/usr/share/leakwatch/rules"
    /// The admin's drop-in directory.
    public static let admin = "/etc/leakwatch/rules.d"

    /// The directories used when none are given: the installed ones that exist.
    public static func defaults() -> [String] {
        [installedShipped, admin].filter(FileReading.isDirectory)
    }

    /// Reads every rule file and builds the set. A directory that cannot be read is a problem.
    /// `cache`, when given, keeps the compiled prefilter between runs.
    public static func load(_ directories: [String], jit: Bool = true, cache: PrefilterCacheDirectory? = nil)
        -> RuleSetBuild
    {
        var layers: [[RuleFileSource]] = []
        var problems: [RuleProblem] = []
        for directory in directories {
            var layer: [RuleFileSource] = []
            do {
                for name in try FileReading.listDirectory(SystemPath(directory))
                where !name.hasPrefix(".")
                    && (name.hasSuffix(".yml") || name.hasSuffix(".yaml") || name.hasSuffix(".model")
                        || name == FileName(ResponsePhrases.fileName))
                {
                    let path = SystemPath(directory).appending(name)
                    do {
                        let bytes = try FileReading.readFile(path, limit: 4 << 20)
                        layer.append(
                            RuleFileSource(path: path.escaped, text: String(decoding: bytes, as: UTF8.self)))
                    } catch {
                        problems.append(
                            RuleProblem(
                                location: SourceLocation(path: path.escaped, line: 1, column: 1),
                                message: error.message))
                    }
                }
            } catch {
                problems.append(
                    RuleProblem(location: SourceLocation(path: directory, line: 1, column: 1), message: error.message))
            }
            layers.append(layer)
        }
        if directories.isEmpty {
            problems.append(
                RuleProblem(
                    location: SourceLocation(path: installedShipped, line: 1, column: 1),
                    message: "no rule directory: pass --rules DIR"))
        }
        var build = RuleSet.build(layers: layers, jit: jit, prefilterCache: cache)
        if !problems.isEmpty {
            build.problems = problems + build.problems
            build.ruleSet = nil
        }
        return build
    }
}
