import ArgumentParser
import Foundation
import LeakwatchCore
import LeakwatchScan

struct ParseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "parse",
        abstract: "Show the messages of an export as the engine sees them (to debug a rule).")

    @Argument(help: "An exported chat.")
    var file: String

    @Option(help: "text for people, json for the parsed export(s).")
    var format: OutputFormat = .text

    func run() throws {
        let exports: [ParsedExport]
        do {
            let bytes = try FileReading.readFile(file)
            let name = file.split(separator: "/").last.map(String.init) ?? file
            exports = try ExportParsing.parse(bytes, fileName: name)
        } catch let error as LeakwatchError {
            Terminal.error(error.description)
            throw ExitCode(2)
        } catch {
            Terminal.error("\(file): \(error)")
            throw ExitCode(2)
        }
        switch format {
        case .json:
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            let data = try encoder.encode(exports.count == 1 ? AnyEncodable(exports[0]) : AnyEncodable(exports))
            Terminal.write(String(decoding: data, as: UTF8.self))
        case .text:
            for export in exports { printText(export) }
        }
    }

    private func printText(_ export: ParsedExport) {
        Terminal.write("file:         \(file)" + (export.entry.map { " (entry \($0))" } ?? ""))
        Terminal.write("format:       \(export.format)")
        Terminal.write("chat:         \(export.chat ?? "-")")
        Terminal.write(
            "participants: \(export.participants.isEmpty ? "-" : export.participants.joined(separator: ", "))")
        if let order = export.dateOrder {
            Terminal.write("date order:   \(order.order.rawValue) (\(order.certainty.rawValue): \(order.reason))")
        }
        Terminal.write("messages:     \(export.messages.count)")
        for note in export.notes {
            Terminal.write("note:         \(note.code)\(note.line.map { " line \($0)" } ?? ""): \(note.message)")
        }
        Terminal.write("")
        for message in export.messages {
            let position = message.line.map { "\($0)" } ?? message.id.map { "#\($0)" } ?? "-"
            let time = message.timestamp?.iso8601 ?? message.sent
            let who = message.sender ?? "(system)"
            var line =
                "\(position)\t\(time)\t\(message.kind.rawValue)\t\(who): \(message.text.replacingOccurrences(of: "\n", with: "⏎"))"
            if !message.attachments.isEmpty {
                line +=
                    "\t[attachments: "
                    + message.attachments.map { attachment in
                        attachment.name + (attachment.size.map { " \($0) bytes" } ?? "")
                            + (attachment.present == true ? " (in export)" : "")
                    }.joined(separator: ", ") + "]"
            }
            if let location = message.location {
                line +=
                    "\t[location: \(location.latitude.map { "\($0)" } ?? "?"),\(location.longitude.map { "\($0)" } ?? "?")]"
            }
            Terminal.write(line)
        }
    }
}

/// Type-erases an `Encodable` for a single encoder call.
struct AnyEncodable: Encodable {
    let value: any Encodable
    init(_ value: any Encodable) { self.value = value }
    func encode(to encoder: any Encoder) throws { try value.encode(to: encoder) }
}
