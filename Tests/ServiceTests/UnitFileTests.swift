import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The files under systemd/ checked by systemd's own tools; no running systemd needed.
@Suite(.serialized) struct UnitFileTests {
    static let systemdDirectory = Shell.repository.appendingPathComponent("systemd").path

    /// A copy of the unit whose ExecStart=/ExecReload= name a binary that exists here
    /// (`systemd-analyze verify` checks that), plus the JIT drop-in next to it.
    static func preparedUnit(_ name: String) throws -> String {
        let directory = Shell.scratchRoot + "/analyze-\(name)"
        try? FileManager.default.removeItem(atPath: directory)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let unit = try String(contentsOfFile: systemdDirectory + "/leakwatch.service", encoding: .utf8)
            .replacingOccurrences(of: "/usr/bin/leakwatch", with: "/bin/true")
        let path = directory + "/leakwatch.service"
        try unit.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func unitPassesSystemdAnalyzeVerify() throws {
        guard Shell.hasCommand("systemd-analyze") else {
            print("UnitFileTests skipped: systemd-analyze is not installed")
            return
        }
        let unit = try Self.preparedUnit("verify")
        let verify = Shell.run(["systemd-analyze", "verify", unit], seconds: 60)
        #expect(verify.status == 0, "\(verify)")
        let complaints = verify.stderr.split(separator: "\n").filter { $0.contains("leakwatch") }
        #expect(complaints.isEmpty, "systemd-analyze verify: \(complaints.joined(separator: "\n"))")

        // The JIT drop-in (the other MemoryDenyWriteExecute= choice) applies cleanly too.
        let dropIn = (unit as NSString).deletingLastPathComponent + "/leakwatch.service.d"
        try FileManager.default.createDirectory(atPath: dropIn, withIntermediateDirectories: true)
        try FileManager.default.copyItem(
            atPath: Self.systemdDirectory + "/leakwatch-jit.conf.example", toPath: dropIn + "/jit.conf")
        let verifyJIT = Shell.run(["systemd-analyze", "verify", unit], seconds: 60)
        #expect(verifyJIT.status == 0, "with jit.conf: \(verifyJIT)")
        #expect(!verifyJIT.stderr.contains("leakwatch"), "with jit.conf: \(verifyJIT)")
    }

    @Test func unitExposureIsAtMostOne() throws {
        guard Shell.hasCommand("systemd-analyze") else {
            print("UnitFileTests skipped: systemd-analyze is not installed")
            return
        }
        let unit = try Self.preparedUnit("security")
        var security = Shell.run(
            ["systemd-analyze", "security", "--offline=true", "--threshold=1.0", "--no-pager", unit], seconds: 60)
        if security.stderr.contains("Failed to parse threshold") {
            // systemd 252 takes the threshold in tenths of the exposure scale (0..100).
            security = Shell.run(
                ["systemd-analyze", "security", "--offline=true", "--threshold=10", "--no-pager", unit], seconds: 60)
        }
        #expect(security.status == 0, "\(security)")
        let output = security.stdout + security.stderr
        let exposure = output.split(separator: "\n").first { $0.contains("Overall exposure level") }
            .flatMap { line in line.split(separator: ":").last?.split(separator: " ").first.flatMap { Double($0) } }
        #expect(exposure != nil, "no exposure level in: \(output)")
        if let exposure { #expect(exposure <= 1.0, "exposure \(exposure): \(output)") }
    }

    @Test func catalogHasAnEntryForEveryMessageID() throws {
        guard Shell.hasCommand("journalctl") else {
            print("UnitFileTests skipped: journalctl is not installed")
            return
        }
        let root = Shell.scratchRoot + "/catalog-root"
        try? FileManager.default.removeItem(atPath: root)
        try FileManager.default.createDirectory(
            atPath: root + "/usr/lib/systemd/catalog", withIntermediateDirectories: true)
        try FileManager.default.copyItem(
            atPath: Self.systemdDirectory + "/leakwatch.catalog",
            toPath: root + "/usr/lib/systemd/catalog/leakwatch.catalog")
        let update = Shell.run(["journalctl", "--root=\(root)", "--update-catalog"])
        #expect(update.status == 0, "\(update)")
        #expect(update.stderr.isEmpty, "\(update)")
        let list = Shell.run(["journalctl", "--root=\(root)", "--list-catalog", "--no-pager"])
        #expect(list.status == 0, "\(list)")
        for id in RealSystemdTests.messageIDs.values {
            #expect(list.stdout.contains(id + " leakwatch:"), "catalog lacks \(id)")
        }
    }

    @Test func sysusersAndTmpfilesCreateTheLayout() throws {
        guard getuid() == 0 else {
            print("UnitFileTests.sysusersAndTmpfilesCreateTheLayout skipped: needs root (tmpfiles chowns)")
            return
        }
        guard Shell.hasCommand("systemd-sysusers"), Shell.hasCommand("systemd-tmpfiles") else {
            print("UnitFileTests skipped: systemd-sysusers or systemd-tmpfiles is not installed")
            return
        }
        let root = Shell.scratchRoot + "/layout-root"
        try? FileManager.default.removeItem(atPath: root)
        for directory in ["etc", "var/lib", "var/log"] {
            try FileManager.default.createDirectory(atPath: root + "/" + directory, withIntermediateDirectories: true)
        }
        let sysusers = Shell.run(
            ["systemd-sysusers", "--root=\(root)", "-"],
            input: try String(contentsOfFile: Self.systemdDirectory + "/leakwatch.sysusers", encoding: .utf8))
        #expect(sysusers.status == 0, "\(sysusers)")
        let passwd = (try? String(contentsOfFile: root + "/etc/passwd", encoding: .utf8)) ?? ""
        let group = (try? String(contentsOfFile: root + "/etc/group", encoding: .utf8)) ?? ""
        #expect(passwd.contains("leakwatch:x:"), "\(passwd)")
        #expect(group.contains("leakwatch:x:") && group.contains("leakwatch-drop:x:"), "\(group)")
        // (The ACL line names user leakwatch, which --root resolves on the host: it may be skipped
        // here with a warning; the real-systemd test checks the ACL.)
        let tmpfiles = Shell.run(
            ["systemd-tmpfiles", "--create", "--root=\(root)", "-"],
            input: try String(contentsOfFile: Self.systemdDirectory + "/leakwatch.tmpfiles", encoding: .utf8))
        #expect(tmpfiles.status == 0, "\(tmpfiles)")
        let expected: [(String, mode_t)] = [
            ("var/lib/leakwatch", 0o711), ("var/lib/leakwatch/drop", 0o3730), ("var/lib/leakwatch/work", 0o700),
            ("var/lib/leakwatch/done", 0o700), ("var/lib/leakwatch/quarantine", 0o700),
            ("var/lib/leakwatch/journaled", 0o700), ("var/lib/leakwatch/metrics", 0o750), ("var/log/leakwatch", 0o750),
            ("etc/leakwatch/rules.d", 0o755),
            ("etc/leakwatch/known-media.d", 0o750),
        ]
        for (path, mode) in expected {
            var info = stat()
            #expect(stat(root + "/" + path, &info) == 0, "\(path) missing")
            #expect(info.st_mode & 0o7777 == mode, "\(path): mode \(String(info.st_mode & 0o7777, radix: 8))")
        }
    }

    /// `make install` with DESTDIR, of the debug build (the manual pages and completions are
    /// generated from it: it needs swift-argument-parser's generate-manual tool, which make builds
    /// in .build/tools when `make test` has not already).
    @Test func makeInstallAndUninstallWithDestdir() throws {
        guard Shell.hasCommand("make") else {
            print("UnitFileTests skipped: make is not installed")
            return
        }
        guard let binary = Shell.leakwatchBinary else {
            print("UnitFileTests.makeInstallAndUninstallWithDestdir skipped: no leakwatch binary")
            return
        }
        let destdir = Shell.scratchRoot + "/install-root"
        try? FileManager.default.removeItem(atPath: destdir)
        let make = ["make", "-s", "-C", Shell.repository.path, "-f", "systemd/install.mk"]
        let install = Shell.run(make + ["install", "DESTDIR=\(destdir)", "INSTALL_BIN=\(binary)"], seconds: 300)
        #expect(install.status == 0, "\(install)")
        let files = [
            "usr/bin/leakwatch", "usr/share/leakwatch/rules/protective-marking.yml", "etc/leakwatch/leakwatch.yml",
            "lib/systemd/system/leakwatch.service", "usr/lib/sysusers.d/leakwatch.conf",
            "usr/lib/tmpfiles.d/leakwatch.conf", "usr/lib/systemd/catalog/leakwatch.catalog",
            "usr/share/doc/leakwatch/leakwatch-jit.conf.example", "usr/share/man/man1/leakwatch.1.gz",
            "usr/share/man/man1/leakwatch-scan.1.gz", "usr/share/man/man1/leakwatch-rules-check.1.gz",
            "usr/share/bash-completion/completions/leakwatch", "usr/share/zsh/vendor-completions/_leakwatch",
            "usr/share/fish/vendor_completions.d/leakwatch.fish",
        ]
        for file in files {
            #expect(FileManager.default.fileExists(atPath: destdir + "/" + file), "install: \(file) missing")
        }
        var isDirectory: ObjCBool = false
        #expect(FileManager.default.fileExists(atPath: destdir + "/etc/leakwatch/rules.d", isDirectory: &isDirectory))
        #expect(isDirectory.boolValue)

        // An existing configuration is never overwritten.
        try "# mine\n".write(toFile: destdir + "/etc/leakwatch/leakwatch.yml", atomically: true, encoding: .utf8)
        let again = Shell.run(make + ["install", "DESTDIR=\(destdir)", "INSTALL_BIN=\(binary)"], seconds: 300)
        #expect(again.status == 0, "\(again)")
        #expect((try? String(contentsOfFile: destdir + "/etc/leakwatch/leakwatch.yml", encoding: .utf8)) == "# mine\n")

        let uninstall = Shell.run(make + ["uninstall", "DESTDIR=\(destdir)"], seconds: 60)
        #expect(uninstall.status == 0, "\(uninstall)")
        for file in files where file != "etc/leakwatch/leakwatch.yml" {
            #expect(!FileManager.default.fileExists(atPath: destdir + "/" + file), "uninstall left \(file)")
        }
        let manualPages = (try? FileManager.default.contentsOfDirectory(atPath: destdir + "/usr/share/man/man1")) ?? []
        #expect(manualPages.isEmpty, "uninstall left \(manualPages)")
        // ...and a changed one is kept.
        #expect(FileManager.default.fileExists(atPath: destdir + "/etc/leakwatch/leakwatch.yml"))
    }
}
