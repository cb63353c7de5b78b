import Foundation
import Testing

@testable import LeakwatchCore

/// Runs the parser over the public exports in `../shared/fixtures/whatsapp` (other parsers' test
/// data, see its README) when that directory exists; skips with a message otherwise.
@Suite("WhatsApp conformance")
struct WhatsAppConformanceTests {
    /// Files where this parser's message count differs from the README's `messages` column (a
    /// liberal date/time pattern), and why.
    static let expectations: [String: (messages: Int, why: String)] = [:]

    /// `messages` per fixture path, from the README's table.
    static func readmeCounts(_ readme: String) -> [String: Int] {
        var counts: [String: Int] = [:]
        for line in readme.split(separator: "\n") where line.hasPrefix("| whatsapp/") {
            let cells = line.split(separator: "|", omittingEmptySubsequences: false).map {
                $0.trimmingCharacters(in: .whitespaces)
            }
            // | file | bytes | messages | properties | note |
            guard cells.count > 4, let messages = Int(cells[3]) else { continue }
            counts[cells[1]] = messages
        }
        return counts
    }

    @Test("every fixture parses as WhatsApp, loses no line, and has the README's message count")
    func fixtures() throws {
        let root = WhatsAppTestSupport.sharedFixtures
        let directory = root.appendingPathComponent("whatsapp")
        guard FileManager.default.fileExists(atPath: directory.path) else {
            print("WhatsApp conformance: skipped, \(directory.path) does not exist")
            return
        }
        let readme = (try? String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)) ?? ""
        let expected = Self.readmeCounts(readme)

        let files =
            (FileManager.default.enumerator(at: directory, includingPropertiesForKeys: nil)?.allObjects as? [URL] ?? [])
            .filter { $0.pathExtension == "txt" }
            .sorted { $0.path < $1.path }
        #expect(!files.isEmpty, "no .txt fixtures under \(directory.path)")

        var rows: [[String]] = [["file", "format", "messages", "readme", "senders", "date order", "unplaced"]]
        for url in files {
            let relative = "whatsapp/" + url.path.dropFirst(directory.path.count + 1)
            let text = try WhatsAppTestSupport.decodedText(url)
            let parsed = WhatsAppTextParser.parse(text, fileName: url.lastPathComponent)
            #expect(parsed != nil, "\(relative) was not recognised as a WhatsApp export")
            guard let parsed else {
                rows.append([relative, "nil", "-", "-", "-", "-", "-"])
                continue
            }
            let headerMessages = parsed.messages.filter { !$0.sent.isEmpty }.count
            let senders = Set(parsed.messages.compactMap(\.sender)).count
            let unplaced =
                parsed.notes.first { $0.code == "unplaced-lines" }?.message.split(separator: " ").first.map(String.init)
                ?? "0"
            let order = parsed.dateOrder.map { "\($0.order.rawValue) \($0.certainty.rawValue)" } ?? "-"
            let readmeCount = expected[relative]
            rows.append([
                relative, parsed.format.rawValue, "\(headerMessages)", readmeCount.map(String.init) ?? "?",
                "\(senders)", order, unplaced,
            ])

            let lost = WhatsAppTestSupport.lostLines(text, parsed)
            #expect(lost.isEmpty, "\(relative): lines \(lost) belong to no message")
            #expect(unplaced == "0", "\(relative): \(unplaced) line(s) before the first header")
            #expect(
                parsed.messages.allSatisfy { $0.sent.isEmpty || $0.timestamp != nil },
                "\(relative): a header without timestamp")

            if let exception = Self.expectations[relative] {
                #expect(headerMessages == exception.messages, "\(relative): \(exception.why)")
            } else if let readmeCount {
                #expect(
                    headerMessages == readmeCount, "\(relative): \(headerMessages) messages, README says \(readmeCount)"
                )
            } else {
                Issue.record("\(relative) is not in the fixtures README")
            }
        }
        print(Self.table(rows))
    }

    static func table(_ rows: [[String]]) -> String {
        var widths = [Int](repeating: 0, count: rows.first?.count ?? 0)
        for row in rows {
            for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) }
        }
        return rows.map { row in
            row.enumerated().map { index, cell in
                cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }.joined(separator: " | ")
        }.joined(separator: "\n")
    }
}

/// Paths and helpers shared by the WhatsApp tests. Files are found from `#filePath` (no SwiftPM
/// resources): this file is `<repo>/Tests/LeakwatchCoreTests/WhatsAppConformanceTests.swift`.
enum WhatsAppTestSupport {
    static let testsDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    static let repoRoot = testsDirectory.deletingLastPathComponent().deletingLastPathComponent()
    static let goldenDirectory = testsDirectory.appendingPathComponent("Golden/whatsapp")
    /// `../shared/fixtures` next to the repository.
    static let sharedFixtures = repoRoot.deletingLastPathComponent().appendingPathComponent("shared/fixtures")

    /// Decodes a file the way the app does (BOM, UTF-16, invalid UTF-8) and parses it.
    static func parseFile(_ url: URL) throws -> ParsedExport? {
        let bytes = try [UInt8](Data(contentsOf: url))
        let decoded = TextDecoding.decode(bytes)
        return WhatsAppTextParser.parse(decoded.text, fileName: url.lastPathComponent)
    }

    static func decodedText(_ url: URL) throws -> String {
        TextDecoding.decode(try [UInt8](Data(contentsOf: url))).text
    }

    /// The text with WhatsApp's invisible marks removed, as the parser stores bodies.
    static func stripMarks<S: StringProtocol>(_ text: S) -> String {
        let marks: Set<UInt32> = [
            0x200E, 0x200F, 0x202A, 0x202B, 0x202C, 0x202D, 0x202E, 0x2066, 0x2067, 0x2068, 0x2069, 0xFEFF, 0x061C,
        ]
        var scalars = String.UnicodeScalarView()
        for scalar in text.unicodeScalars where !marks.contains(scalar.value) { scalars.append(scalar) }
        return String(scalars)
    }

    /// Lines (1-based) of `text` that are not empty yet belong to no message: before the first
    /// message, or a continuation line whose text is not in the message it falls under.
    static func lostLines(_ text: String, _ export: ParsedExport) -> [Int] {
        let starts = export.messages.compactMap(\.line)
        var lost: [Int] = []
        var cursor = -1
        for (offset, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let number = offset + 1
            while cursor + 1 < starts.count && starts[cursor + 1] <= number { cursor += 1 }
            let content = stripMarks(raw).trimmingCharacters(in: .whitespacesAndNewlines)
            if content.isEmpty { continue }
            guard cursor >= 0 else {
                lost.append(number)
                continue
            }
            let message = export.messages[cursor]
            if message.line == number { continue }  // its header line
            var haystack = message.text
            haystack += message.attachments.map(\.name).joined(separator: "\n")
            if !haystack.contains(content) && !editedMarkerRemoved(content, from: haystack) { lost.append(number) }
        }
        return lost
    }

    private static func editedMarkerRemoved(_ line: String, from text: String) -> Bool {
        guard line.hasSuffix(">"), let open = line.lastIndex(of: "<") else { return false }
        let kept = line[..<open].trimmingCharacters(in: .whitespaces)
        return kept.isEmpty || text.contains(kept)
    }
}
