import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The Debian package that `make deb` built: what it holds (a manual page per subcommand,
/// completions, copyright, conffiles), lintian's verdict, and `dpkg -i`, a reinstall, `dpkg -r` and
/// `dpkg --purge` under a real systemd in a throwaway namespace (harness.sh, with /usr, /etc and
/// /var as overlays: the host's dpkg database and files are never touched).
///
/// `make test` builds the package first when run as root and names it in `LEAKWATCH_TEST_DEB`
/// (SwiftPM holds the lock on .build while tests run, so a test cannot run `make deb` itself).
/// Without that variable, or not as root, the tests print why and pass.
@Suite(.serialized) struct PackageTests {
    static let packagePath = ProcessInfo.processInfo.environment["LEAKWATCH_TEST_DEB"] ?? ""

    /// Why the tests cannot run here, or nil.
    static func skipReason() -> String? {
        if packagePath.isEmpty { return "LEAKWATCH_TEST_DEB is not set (make test sets it when run as root)" }
        if getuid() != 0 { return "not root" }
        if !FileManager.default.fileExists(atPath: packagePath) { return "no package at \(packagePath)" }
        for tool in ["dpkg", "dpkg-deb", "lintian", "lexgrog", "bash"] where !Shell.hasCommand(tool) {
            return "\(tool) is not installed"
        }
        return nil
    }

    /// The files of the package (paths without the leading "."), with their mode and owner as
    /// `dpkg-deb -c` prints them.
    static func contents() throws -> [String: (mode: String, owner: String)] {
        let listing = Shell.run(["dpkg-deb", "-c", packagePath], seconds: 60)
        try #require(listing.status == 0, "\(listing)")
        var files: [String: (mode: String, owner: String)] = [:]
        for line in listing.stdout.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 6, var path = fields.last.map(String.init) else { continue }
            if path.hasPrefix(".") { path.removeFirst() }
            files[path] = (String(fields[0]), String(fields[1]))
        }
        return files
    }

    /// The packaged binary's command tree as manual page names: leakwatch, leakwatch-scan,
    /// leakwatch-rules-check, ... (not the parser's built-in `help`).
    static func expectedManualPages(binary: String) throws -> [String] {
        let dump = Shell.run([binary, "--experimental-dump-help"], seconds: 30)
        try #require(dump.status == 0, "\(dump)")
        let object = try JSONSerialization.jsonObject(with: Data(dump.stdout.utf8)) as? [String: Any]
        let root = try #require(object?["command"] as? [String: Any], "no command in \(dump.stdout.prefix(300))")
        var pages: [String] = []
        func walk(_ command: [String: Any], _ prefix: String) {
            guard let name = command["commandName"] as? String, name != "help" else { return }
            let page = prefix.isEmpty ? name : prefix + "-" + name
            pages.append(page)
            for sub in command["subcommands"] as? [[String: Any]] ?? [] { walk(sub, page) }
        }
        walk(root, "")
        return pages.sorted()
    }

    @Test func packageHoldsWhatAnAdministratorExpects() throws {
        if let reason = Self.skipReason() {
            print("PackageTests skipped: \(reason)")
            return
        }
        let files = try Self.contents()
        let fields = Shell.run(["dpkg-deb", "-f", Self.packagePath, "Package", "Version", "Architecture", "Depends"])
        try #require(fields.status == 0, "\(fields)")
        #expect(fields.stdout.contains("Package: leakwatch\n"), "\(fields.stdout)")
        for dependency in ["libpcre2-8-0", "libsystemd0", "systemd"] {
            #expect(fields.stdout.contains(dependency), "Depends lacks \(dependency): \(fields.stdout)")
        }
        let conffiles = Shell.run(["dpkg-deb", "-I", Self.packagePath, "conffiles"])
        #expect(conffiles.stdout.split(separator: "\n") == ["/etc/leakwatch/leakwatch.yml"], "\(conffiles)")

        // The packaged (release, stripped) binary runs on its own; its command tree names the pages.
        let unpacked = Shell.scratchRoot + "/package-unpacked"
        try? FileManager.default.removeItem(atPath: unpacked)
        let extract = Shell.run(["dpkg-deb", "-x", Self.packagePath, unpacked], seconds: 120)
        try #require(extract.status == 0, "\(extract)")
        let binary = unpacked + "/usr/bin/leakwatch"
        let pages = try Self.expectedManualPages(binary: binary)
        #expect(pages.contains("leakwatch-scan") && pages.contains("leakwatch-rules-check"), "\(pages)")

        var expected = [
            "/usr/bin/leakwatch", "/lib/systemd/system/leakwatch.service", "/usr/lib/sysusers.d/leakwatch.conf",
            "/usr/lib/tmpfiles.d/leakwatch.conf", "/usr/lib/systemd/catalog/leakwatch.catalog",
            "/etc/leakwatch/leakwatch.yml", "/usr/share/doc/leakwatch/copyright",
            "/usr/share/doc/leakwatch/changelog.Debian.gz", "/usr/share/bash-completion/completions/leakwatch",
            "/usr/share/zsh/vendor-completions/_leakwatch", "/usr/share/fish/vendor_completions.d/leakwatch.fish",
        ]
        expected += pages.map { "/usr/share/man/man1/\($0).1.gz" }
        for path in expected {
            #expect(files[path] != nil, "the package lacks \(path)")
        }
        let shippedPages = files.keys.filter { $0.hasPrefix("/usr/share/man/") && !$0.hasSuffix("/") }.sorted()
        #expect(shippedPages == pages.map { "/usr/share/man/man1/\($0).1.gz" }.sorted(), "one page per subcommand")
        for (path, entry) in files {
            #expect(entry.owner == "root/root", "\(path) owned by \(entry.owner)")
            let want =
                path == "/usr/bin/leakwatch" ? "-rwxr-xr-x" : entry.mode.hasPrefix("d") ? "drwxr-xr-x" : "-rw-r--r--"
            #expect(entry.mode == want, "\(path) has mode \(entry.mode)")
        }

        // apropos can index every page under its own name (mandb needs a parseable NAME section).
        for page in pages {
            let whatis = Shell.run(["lexgrog", unpacked + "/usr/share/man/man1/\(page).1.gz"])
            #expect(whatis.status == 0, "\(whatis)")
            #expect(whatis.stdout.contains(": \"\(page) - "), "\(page): \(whatis.stdout)")
        }
        // The bash completion loads and completes `leakwatch`.
        let bash = Shell.run([
            "bash", "-c", "source \(unpacked)/usr/share/bash-completion/completions/leakwatch && complete -p leakwatch",
        ])
        #expect(bash.status == 0 && bash.stdout.contains("leakwatch"), "\(bash)")
        for shell in ["zsh", "fish"] where Shell.hasCommand(shell) {
            let path = shell == "zsh" ? "zsh/vendor-completions/_leakwatch" : "fish/vendor_completions.d/leakwatch.fish"
            let check = Shell.run([shell, "-n", unpacked + "/usr/share/" + path])
            #expect(check.status == 0, "\(shell) -n: \(check)")
        }
    }

    @Test func lintianReportsNoErrors() throws {
        if let reason = Self.skipReason() {
            print("PackageTests skipped: \(reason)")
            return
        }
        let lintian = Shell.run(["lintian", "--fail-on", "error", Self.packagePath], seconds: 300)
        // Warnings are shown, not failed on.
        print("lintian \(Self.packagePath):\n\(lintian.stdout)")
        #expect(lintian.status == 0, "\(lintian)")
        let errors = lintian.stdout.split(separator: "\n").filter { $0.hasPrefix("E:") }
        #expect(errors.isEmpty, "lintian errors:\n\(errors.joined(separator: "\n"))")
    }

    @Test(.timeLimit(.minutes(5))) func installReinstallRemovePurgeUnderSystemd() throws {
        if let reason = Self.skipReason() ?? RealSystemdTests.skipReason(binary: Shell.leakwatchBinary) {
            print("PackageTests skipped: \(reason)")
            return
        }
        let session = try PackageSession()
        defer { session.tearDown() }
        try session.run()
    }
}

/// One namespace with nothing of leakwatch in it, and dpkg run inside.
final class PackageSession {
    let scratch = Shell.scratchRoot + "/package"
    /// The package as the namespace sees it (harness.sh shows the checkout at /mnt).
    var packageInNamespace: String {
        "/mnt/" + String((scratch + "/leakwatch.deb").dropFirst(Shell.repository.path.count + 1))
    }

    init() throws {
        _ = Shell.run([Shell.harness, "stop", scratch], seconds: 20)
        _ = Shell.run(["rm", "-rf", scratch], seconds: 60)
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: PackageTests.packagePath, toPath: scratch + "/leakwatch.deb")
    }

    func tearDown() {
        let journal = ns(["journalctl", "--no-pager", "-o", "short-monotonic"], seconds: 20)
        try? journal.stdout.write(toFile: scratch + "/journal.txt", atomically: true, encoding: .utf8)
        let stop = Shell.run([Shell.harness, "stop", scratch], seconds: 30)
        if stop.status != 0 { print("harness stop: \(stop)") }
    }

    @discardableResult
    func ns(_ arguments: [String], input: String? = nil, seconds: Int = 30) -> Shell.Result {
        Shell.run([Shell.harness, "ns", scratch] + arguments, input: input, seconds: seconds)
    }

    func show(_ property: String) -> String {
        ns(["systemctl", "show", "-P", property, "leakwatch.service"]).stdout.trimmingCharacters(
            in: .whitespacesAndNewlines)
    }

    func packageStatus() -> String {
        ns(["dpkg-query", "-W", "-f", "${db:Status-Abbrev}${Version}", "leakwatch"]).stdout
    }

    /// Which of `paths` exist in the namespace.
    func existing(_ paths: [String]) -> [String] {
        let result = ns(["bash", "-c", "for p in \"$@\"; do [ -e \"$p\" ] && echo \"$p\"; done; true", "-"] + paths)
        return result.stdout.split(separator: "\n").map(String.init)
    }

    func logTail() -> String {
        ns(["journalctl", "-u", "leakwatch.service", "--no-pager", "-n", "40"]).stdout
    }

    func run() throws {
        let boot = Shell.run([Shell.harness, "start", scratch, Shell.repository.path, "none"], seconds: 120)
        try #require(boot.status == 0, "harness start: \(boot)")
        try #require(existing(["/usr/bin/leakwatch", "/var/lib/leakwatch"]).isEmpty, "leakwatch is already there")

        let files = try PackageTests.contents().filter { !$0.value.mode.hasPrefix("d") }.map(\.key).sorted()

        // dpkg -i: users, directories, the unit enabled and started by the maintainer scripts.
        let install = ns(["dpkg", "-i", packageInNamespace], seconds: 180)
        try #require(install.status == 0, "dpkg -i: \(install)")
        #expect(packageStatus().hasPrefix("ii "), "\(packageStatus())")
        #expect(existing(files) == files, "dpkg -i left out \(Set(files).subtracting(existing(files)))")
        #expect(ns(["getent", "passwd", "leakwatch"]).status == 0, "no user leakwatch")
        #expect(ns(["getent", "group", "leakwatch-drop"]).status == 0, "no group leakwatch-drop")
        #expect(ns(["systemctl", "is-enabled", "leakwatch.service"]).stdout.hasPrefix("enabled"))
        #expect(show("ActiveState") == "active", "not started by postinst:\n\(install)\n\(logTail())")
        let manual = ns(["man", "-w", "leakwatch-scan"])
        #expect(manual.stdout.contains("/usr/share/man/man1/leakwatch-scan.1.gz"), "man -w: \(manual)")

        // The packaged daemon does its job: an export put into the drop directory gives alerts.
        let drop = ns([
            "bash", "-c",
            "cp /mnt/samples/whatsapp-ios-briefing.txt /var/lib/leakwatch/.incoming && "
                + "mv /var/lib/leakwatch/.incoming /var/lib/leakwatch/drop/briefing.txt",
        ])
        #expect(drop.status == 0, "\(drop)")
        let alerted = Shell.waitUntil(seconds: 30) {
            let spool = ns(["cat", "/var/log/leakwatch/alerts.jsonl"]).stdout
            return Shell.jsonLines(spool).contains { ($0["schema"] as? String) == "leakwatch.alert.v1" }
        }
        #expect(alerted, "no alert in /var/log/leakwatch/alerts.jsonl:\n\(logTail())")

        // Installing again (the upgrade path) restarts the running daemon and keeps it enabled.
        let pidBefore = show("MainPID")
        let again = ns(["dpkg", "-i", packageInNamespace], seconds: 180)
        #expect(again.status == 0, "second dpkg -i: \(again)")
        #expect(show("ActiveState") == "active", "\(logTail())")
        #expect(show("MainPID") != pidBefore, "the daemon was not restarted by the upgrade")

        // dpkg -r: stopped, files gone; the administrator's configuration and the state stay.
        let edit = ns(["bash", "-c", "echo '# changed by the administrator' >> /etc/leakwatch/leakwatch.yml"])
        #expect(edit.status == 0, "\(edit)")
        let remove = ns(["dpkg", "-r", "leakwatch"], seconds: 120)
        #expect(remove.status == 0, "dpkg -r: \(remove)")
        #expect(packageStatus().hasPrefix("rc "), "\(packageStatus())")
        #expect(show("ActiveState") == "inactive", "\(logTail())")
        let conffile = "/etc/leakwatch/leakwatch.yml"
        #expect(existing(files) == [conffile], "dpkg -r left \(existing(files))")
        #expect(ns(["grep", "-q", "changed by the administrator", conffile]).status == 0, "conffile not kept")
        #expect(existing(["/var/lib/leakwatch/done/briefing.txt", "/var/log/leakwatch/alerts.jsonl"]).count == 2)

        // dpkg --purge: configuration, state and spool go too (the users stay, as in Debian).
        let purge = ns(["dpkg", "--purge", "leakwatch"], seconds: 120)
        #expect(purge.status == 0, "dpkg --purge: \(purge)")
        #expect(packageStatus().isEmpty || packageStatus().hasPrefix("un"), "\(packageStatus())")
        #expect(existing(files + ["/var/lib/leakwatch", "/var/log/leakwatch"]).isEmpty, "purge left files")
    }
}
