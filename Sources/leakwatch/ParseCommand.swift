import ArgumentParser
import Foundation
import LeakwatchCore
import LeakwatchDaemon
import LeakwatchScan
import Posix

struct ParseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "parse",
        abstract: "Show the messages of an export as the engine sees them (to debug a rule).",
        discussion: """
            A text export larger than the stream threshold is read in chunks, in bounded memory, \
            whatever its size. Its output is the same as when it is read whole: the JSON document keeps \
            its sorted keys (the messages are written as they are parsed; the notes and participants, \
            which sort after them, at the end), and the text summary still comes first (the file is \
            parsed twice for it). Only a streamed file cuts a line longer than 256KiB into pieces (with a \
            long-line note), as a scan does, and shows a single message longer than the chunk size and \
            256KiB together in pieces. Zip, JSON and UTF-16 exports, images and PDFs are always read \
            whole (up to 2GiB).
            """)

    @Argument(help: "An exported chat.")
    var file: String

    @Option(help: "text for people, json for the parsed export(s).")
    var format: OutputFormat = .text

    @OptionGroup var streaming: StreamingOptions

    func run() throws {
        do {
            let descriptor = try FileReading.open(SystemPath(file))
            let size = try FileReading.regularFileSize(descriptor)
            let threshold =
                streaming.streamThresholdBytes ?? FileScanSession.defaultStreamThreshold
            if size > threshold {
                try runStreamed(descriptor)
            } else {
                try show(try parseWhole(FileReading.readAll(descriptor)))
            }
        } catch let error as LeakwatchError {
            var error = error
            if error.path == nil { error.path = file }
            Terminal.error(error.description)
            throw ExitCode(2)
        } catch {
            Terminal.error("\(file): \(error)")
            throw ExitCode(2)
        }
    }

    private var fileName: String { file.split(separator: "/").last.map(String.init) ?? file }

    /// The exports of a file read whole.
    private func parseWhole(_ bytes: [UInt8]) throws -> [ParsedExport] {
        try ExportParsing.parse(bytes, fileName: fileName)
    }

    /// Shows exports read whole.
    private func show(_ exports: [ParsedExport]) throws {
        switch format {
        case .json:
            Terminal.write(try ExportJSONWriter.document(exports))
        case .text:
            for export in exports {
                printSummary(export, messageCount: export.messages.count)
                for message in export.messages { Terminal.write(Self.line(message)) }
            }
        }
    }

    /// Parses and shows a large file chunk by chunk (`StreamingExportParser`); one that cannot be
    /// streamed (zip, JSON, UTF-16) is read whole after all.
    private func runStreamed(_ descriptor: FileDescriptor) throws {
        let parser = StreamingExportParser(
            chunkBytes: streaming.chunkBytes
                ?? StreamingExportParser.defaultChunkBytes,
            maxLineBytes: ExportScanner.defaultMaxLineBytes)
        var source = FileDescriptorByteSource(descriptor)
        func parse(
            begin: (StreamingExportParser.StreamedExport) throws(LeakwatchError) -> Void = { _ in },
            messages: ([Message]) throws(LeakwatchError) -> Void
        ) throws -> StreamingExportParser.StreamedExport? {
            try source.rewind()
            switch try parser.parse(
                &source, fileName: fileName, path: file, wholeFileLimit: FileScanSession.defaultMaxArchiveBytes,
                begin: begin, messages: messages)
            {
            case .whole(let bytes):
                try show(try parseWhole(bytes))
                return nil
            case .streamed(let streamed): return streamed
            }
        }
        switch format {
        case .json:
            var writer = ExportJSONWriter(write: Terminal.writeRaw)
            guard
                let streamed = try parse(
                    begin: { (head) throws(LeakwatchError) in try writer.begin(head.export) },
                    messages: { (messages) throws(LeakwatchError) in try writer.add(messages) })
            else { return }
            try writer.finish(streamed.export)
            Terminal.write("")
        case .text:
            // The summary comes first and counts the messages: a first pass learns it.
            guard let streamed = try parse(messages: { _ in }) else { return }
            printSummary(streamed.export, messageCount: streamed.messageCount)
            _ = try parse(messages: { messages in
                for message in messages { Terminal.write(Self.line(message)) }
            })
        }
    }

    /// The lines before the messages: the file, the export's format, chat, participants, date
    /// order, message count and notes, then a blank line.
    private func printSummary(_ export: ParsedExport, messageCount: Int) {
        Terminal.write("file:         \(file)" + (export.entry.map { " (entry \($0))" } ?? ""))
        Terminal.write("format:       \(export.format)")
        Terminal.write("chat:         \(export.chat ?? "-")")
        Terminal.write(
            "participants: \(export.participants.isEmpty ? "-" : export.participants.joined(separator: ", "))")
        if let order = export.dateOrder {
            Terminal.write("date order:   \(order.order.rawValue) (\(order.certainty.rawValue): \(order.reason))")
        }
        Terminal.write("messages:     \(messageCount)")
        for note in export.notes {
            Terminal.write("note:         \(note.code)\(note.line.map { " line \($0)" } ?? ""): \(note.message)")
        }
        Terminal.write("")
    }

    /// One message as a line: position, time, kind, sender and text (line breaks as ⏎), then its
    /// attachments and location.
    private static func line(_ message: Message) -> String {
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
        return line
    }
}
