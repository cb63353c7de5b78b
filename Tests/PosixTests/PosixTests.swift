import Foundation
import Posix
import Testing

/// File names are bytes: kept exactly, shown escaped, shortened to fit `NAME_MAX`.
@Suite struct FileNameTests {
    static let escapes: [(String, [UInt8])] = [
        ("plain.txt", Array("plain.txt".utf8)),
        ("Chat mit Jürgen 🚓.txt", Array("Chat mit Jürgen 🚓.txt".utf8)),
        ("caf\\xE9.txt", Array("caf".utf8) + [0xE9] + Array(".txt".utf8)),
        ("new\\x0Aline", Array("new".utf8) + [0x0A] + Array("line".utf8)),
        ("back\\\\slash", Array("back\\slash".utf8)),
        ("c1\\xC2\\x85", Array("c1".utf8) + [0xC2, 0x85]),
        ("cut\\xE2\\x82", Array("cut".utf8) + [0xE2, 0x82]),
        ("\\xFF\\xFE", [0xFF, 0xFE]),
    ]

    @Test(arguments: escapes)
    func namesAreShownEscaped(expected: String, bytes: [UInt8]) {
        #expect(FileName(bytes: bytes).escaped == expected)
    }

    @Test func escapingNeverMakesTwoNamesLookAlike() {
        let a = FileName(bytes: Array("x".utf8) + [0xE9])
        let b = FileName("x\\xE9")
        #expect(a != b)
        #expect(a.escaped != b.escaped)
        #expect(FileName("ok").plainString == "ok")
        #expect(a.plainString == nil)
    }

    @Test(arguments: [".1", ".12345", ".reason.json"])
    func aSuffixAlwaysFitsNAMEMAX(suffix: String) {
        let long = FileName(String(repeating: "n", count: 251) + ".txt")
        #expect(long.bytes.count == 255)
        let withSuffix = long.appending(suffix)
        #expect(withSuffix.bytes.count == 255)
        #expect(withSuffix.hasSuffix(suffix))
        // Never inside a multi-byte character.
        let accented = FileName(String(repeating: "é", count: 127))
        let cut = accented.appending(suffix)
        #expect(cut.bytes.count <= 255)
        #expect(cut.plainString != nil)
        #expect(FileName("short").appending(suffix) == FileName("short" + suffix))
        #expect(long.prefixed(".quarantined-").bytes.count == 255)
    }

    @Test func pathsJoinAndSplitAsBytes() {
        let name = FileName(bytes: [0x61, 0xFF])
        let path = SystemPath("/tmp/drop/").appending(name)
        #expect(path.bytes == Array("/tmp/drop/".utf8) + [0x61, 0xFF])
        #expect(path.lastComponent == name)
        #expect(path.parent == SystemPath("/tmp/drop"))
        #expect(SystemPath("/tmp").appending("x").escaped == "/tmp/x")
        #expect(SystemPath("x").parent == SystemPath("."))
        #expect(SystemPath("/x").parent == SystemPath("/"))
    }
}

/// The system-call layer: results checked, errors carrying the call, the path and errno.
@Suite(.serialized) final class PosixCallTests {
    let directory: SystemPath

    init() throws {
        directory = SystemPath("/tmp/leakwatch-posix-\(UUID().uuidString)")
        try Posix.makeDirectories(directory.appending("a/b"), permissions: 0o700)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: directory.escaped)
    }

    @Test func errorsNameTheCallThePathAndErrno() throws {
        let missing = directory.appending(FileName(bytes: Array("gone".utf8) + [0xE9]))
        do {
            _ = try Posix.open(missing, [.readOnly])
            Issue.record("opened a file that does not exist")
        } catch {
            #expect(error.call == "open")
            #expect(error.path == missing)
            #expect(error.errno == ENOENT)
            #expect(error.isNotFound)
            #expect(error.description.contains("gone\\xE9"))
            #expect(error.description.contains("No such file or directory"))
        }
        do {
            try Posix.rename(missing, to: directory.appending("x"))
            Issue.record("renamed a file that does not exist")
        } catch {
            #expect(error.call == "rename")
        }
    }

    @Test func namesThatAreNotUTF8AreListedAndOpenedAsTheyAre() throws {
        let name = FileName(bytes: Array("caf".utf8) + [0xE9] + Array(".txt".utf8))
        try Posix.durableCreate(directory.appending(name), with: Array("x".utf8), permissions: 0o600)
        #expect(try Posix.listDirectory(directory).contains(name))
        #expect(try Posix.readFile(directory.appending(name)) == Array("x".utf8))
    }

    @Test func durableCreateIsAllOrNothingAndExclusive() throws {
        let path = directory.appending("once")
        try Posix.durableCreate(path, with: [1, 2, 3], permissions: 0o640)
        #expect(try Posix.readFile(path) == [1, 2, 3])
        #expect(try Posix.status(path).permissions == 0o640)
        do {
            try Posix.durableCreate(path, with: [9], permissions: 0o600)
            Issue.record("created over an existing file")
        } catch {
            #expect(error.isAlreadyExisting)
        }
        #expect(try Posix.readFile(path) == [1, 2, 3])
        #expect(try Posix.listDirectory(directory).allSatisfy { !$0.hasPrefix(".lw-tmp-") }, "no temporary left")
    }

    @Test func durableReplaceReplacesWholeAndLeavesNoTemporary() throws {
        let path = directory.appending("status")
        try Posix.durableReplace(path, with: Array("one".utf8), permissions: 0o640)
        try Posix.durableReplace(path, with: Array("two".utf8), permissions: 0o640)
        #expect(try Posix.readFile(path) == Array("two".utf8))
        #expect(try Posix.listDirectory(directory).allSatisfy { !$0.hasPrefix(".lw-tmp-") })
        do {
            try Posix.durableReplace(directory.appending("no/such/dir"), with: [1], permissions: 0o600)
            Issue.record("wrote into a missing directory")
        } catch {
            #expect(error.isNotFound)
        }
    }

    @Test func renameNoReplaceRefusesToOverwrite() throws {
        let a = directory.appending("a1")
        let b = directory.appending("b1")
        try Posix.durableCreate(a, with: [1], permissions: 0o600)
        try Posix.durableCreate(b, with: [2], permissions: 0o600)
        do {
            try Posix.renameNoReplace(a, to: b)
            Issue.record("replaced an existing name")
        } catch {
            #expect(error.call == "renameat2")
            #expect(error.isAlreadyExisting)
        }
        #expect(try Posix.readFile(b) == [2])
    }

    @Test func makeDirectoriesCreatesParentsAndRefusesAFile() throws {
        try Posix.makeDirectories(directory.appending("p/q/r"), permissions: 0o750)
        #expect(try Posix.status(directory.appending("p/q/r")).kind == .directory)
        #expect(try Posix.status(directory.appending("p/q/r")).permissions == 0o750)
        try Posix.durableCreate(directory.appending("file"), with: [], permissions: 0o600)
        do {
            try Posix.makeDirectories(directory.appending("file"), permissions: 0o700)
            Issue.record("a file taken for a directory")
        } catch {
            #expect(error.errno == ENOTDIR)
        }
    }

    @Test func writeAllAndReadBackLargeBlocks() throws {
        let path = directory.appending("big")
        let file = try Posix.open(path, [.writeOnly, .create, .exclusive], permissions: 0o600)
        let bytes = (0..<3_000_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        try file.writeAll(bytes)
        try file.sync()
        #expect(try Posix.readFile(path) == bytes)
        #expect(throws: PosixError.self, "a file over the limit is refused by its size") {
            try Posix.readFile(path, limit: 10)
        }
    }
}

/// A spill file gives back what was appended, in order, and leaves no name behind.
@Suite struct SpillFileTests {
    @Test(arguments: [0, 1, 3, 1000, 5000])
    func recordsComeBackInOrder(count: Int) throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("spill-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let spill = try SpillFile(directory: SystemPath(directory.path))
        // Sizes from empty to several times the write size, so records straddle every boundary.
        func record(_ index: Int) -> [UInt8] {
            let size = index % 7 == 3 && index < 30 ? (3 << 20) / 2 + index : index % 300
            return (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ index) }
        }
        for index in 0..<count { try spill.append(record(index)) }
        #expect(spill.count == count)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).isEmpty, "unlinked at once")
        for _ in 0..<2 {
            var reader = try spill.records()
            var read = 0
            while let got = try reader.next() {
                #expect(got == record(read), "record \(read)")
                read += 1
            }
            #expect(read == count)
        }
    }

    @Test func aReaderSeesWhatWasAppendedBeforeIt() throws {
        let spill = try SpillFile(directory: SystemPath(FileManager.default.temporaryDirectory.path))
        try spill.append([1, 2, 3])
        var reader = try spill.records()
        try spill.append([4])
        #expect(try reader.next() == [1, 2, 3])
        #expect(try reader.next() == nil)
        var again = try spill.records()
        #expect(try again.next() == [1, 2, 3])
        #expect(try again.next() == [4])
    }

    @Test func aDirectoryThatIsNotThereIsAnError() {
        #expect(throws: PosixError.self) { try SpillFile(directory: SystemPath("/nonexistent/leakwatch-spill")) }
    }
}
