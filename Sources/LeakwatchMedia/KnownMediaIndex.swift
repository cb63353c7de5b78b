import Crypto
import Synchronization

/// One known image: its hash, its label, and where the list gives it.
public struct KnownMediaEntry: Sendable, Hashable {
    public var hash: PDQHash
    public var label: String
    /// The list file's name and the 1-based line.
    public var list: String
    public var line: Int

    public init(hash: PDQHash, label: String, list: String, line: Int) {
        self.hash = hash
        self.label = label
        self.list = list
        self.line = line
    }
}

/// A problem in a known-media list, with its place.
public struct KnownMediaProblem: Sendable, Hashable, CustomStringConvertible {
    public var file: String
    public var line: Int?
    public var message: String

    public init(file: String, line: Int? = nil, message: String) {
        self.file = file
        self.line = line
        self.message = message
    }

    public var description: String { line.map { "\(file):\($0): \(message)" } ?? "\(file): \(message)" }
}

/// The known-media lists in force: every `pdq HEX64 LABEL...` line of `*.list` files, searched by
/// Hamming distance. Immutable: a reload builds a new index and swaps it (`KnownMediaStore`).
public struct KnownMediaIndex: Sendable {
    /// Where a force keeps its lists.
    public static let defaultDirectory = "/etc/leakwatch/known-media.d"

    public let entries: [KnownMediaEntry]
    /// The list files read, in order.
    public let files: [String]

    public init(entries: [KnownMediaEntry] = [], files: [String] = []) {
        self.entries = entries
        self.files = files
    }

    /// A short hash of every entry, to tell in logs which lists are live.
    public var revision: String {
        var hasher = SHA256()
        for entry in entries { hasher.update(data: Array("\(entry.hash.hex) \(entry.label)\n".utf8)) }
        return hasher.finalize().prefix(6).map { String($0, radix: 16).leftPadded(to: 2) }.joined()
    }

    /// The entry nearest to any orientation of the image (`pdq.orientations`), if within
    /// `threshold` bits; on a tie the first listed.
    public func bestMatch(for pdq: PDQResult, threshold: Int) -> (entry: KnownMediaEntry, distance: Int)? {
        var best: (entry: KnownMediaEntry, distance: Int)?
        for entry in entries {
            for hash in pdq.orientations {
                let distance = hash.distance(to: entry.hash)
                if distance <= threshold, distance < best?.distance ?? Int.max { best = (entry, distance) }
            }
        }
        return best
    }

    /// Parses one list file's text. Lines: `pdq HEX64 LABEL...`; blank lines and lines starting
    /// with `#` are ignored. Every other line is a problem.
    public static func parse(_ text: String, file: String) -> (
        entries: [KnownMediaEntry], problems: [KnownMediaProblem]
    ) {
        var entries: [KnownMediaEntry] = []
        var problems: [KnownMediaProblem] = []
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.hasSuffix("\r") ? rawLine.dropLast() : rawLine
            let trimmed = line.drop { $0 == " " || $0 == "\t" }
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            let fields = trimmed.split(maxSplits: 2, whereSeparator: { $0 == " " || $0 == "\t" })
            func problem(_ message: String) {
                problems.append(KnownMediaProblem(file: file, line: index + 1, message: message))
            }
            guard fields[0] == "pdq" else {
                problem("unknown hash type '\(fields[0])' (expected: pdq HEX64 LABEL)")
                continue
            }
            guard fields.count >= 2, let hash = PDQHash(hex: fields[1]) else {
                problem("expected 64 hex digits after 'pdq'")
                continue
            }
            let label = fields.count == 3 ? String(fields[2]).trimmingTrailingSpace : ""
            guard !label.isEmpty else {
                problem("the hash has no label (expected: pdq HEX64 LABEL)")
                continue
            }
            entries.append(KnownMediaEntry(hash: hash, label: label, list: file, line: index + 1))
        }
        return (entries, problems)
    }
}

/// The known-media index in force, swapped whole on reload; readers keep the index they took.
public final class KnownMediaStore: Sendable {
    private let storage: Mutex<KnownMediaIndex>

    public init(_ index: KnownMediaIndex) {
        storage = Mutex(index)
    }

    public var current: KnownMediaIndex { storage.withLock { $0 } }

    public func replace(with index: KnownMediaIndex) {
        storage.withLock { $0 = index }
    }
}

extension String {
    fileprivate var trimmingTrailingSpace: String {
        var text = self
        while let last = text.last, last == " " || last == "\t" { text.removeLast() }
        return text
    }

    fileprivate func leftPadded(to width: Int) -> String {
        String(repeating: "0", count: max(0, width - count)) + self
    }
}
