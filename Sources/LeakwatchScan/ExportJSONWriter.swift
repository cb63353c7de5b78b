import Foundation
import LeakwatchCore

/// Writes parsed exports as `leakwatch parse --format json` shows them: `JSONEncoder`'s
/// pretty-printed JSON with sorted keys and unescaped slashes, one object for one export, an array
/// for several.
///
/// A streamed export is written piece by piece and comes out byte for byte as `document` writes
/// it whole: its keys sort as `chat`, `dateOrder`, `entry`, `format`, `messages`, `notes`,
/// `participants`, so everything before the messages is known once the file is surveyed
/// (`begin`), the messages are written chunk by chunk as they are parsed (`add`), and the notes
/// and participants, known only at the end, come after them (`finish`). Each piece is still
/// written by `JSONEncoder`; only the indentation of the messages is added (pretty-printed JSON
/// has line breaks only between tokens, never inside a string).
public struct ExportJSONWriter {
    private let write: (String) -> Void
    private let encoder: JSONEncoder
    private var begun = false
    private var wroteMessages = false

    /// A writer that hands each piece of the document to `write`, in order.
    public init(write: @escaping (String) -> Void) {
        self.write = write
        encoder = Self.makeEncoder()
    }

    private static func makeEncoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    /// The whole document for exports read whole: the object of the only export, else an array.
    /// No line break at the end.
    public static func document(_ exports: [ParsedExport]) throws(LeakwatchError) -> String {
        let encoder = makeEncoder()
        do {
            let data =
                exports.count == 1 ? try encoder.encode(exports[0]) : try encoder.encode(exports)
            return String(decoding: data, as: UTF8.self)
        } catch {
            throw encodingError(error)
        }
    }

    /// The key of the messages, at the first level of the document, up to its value.
    private static let messagesKey = "\n  \"messages\" : "

    /// Starts the document: everything before the messages. `head` is the export as known before
    /// its messages (its notes and participants are not written here).
    public mutating func begin(_ head: ParsedExport) throws(LeakwatchError) {
        var export = head
        export.messages = []
        let text = try encode(export)
        guard let key = text.range(of: Self.messagesKey) else { throw Self.shapeError("no messages key") }
        write(String(text[..<key.upperBound]))
        begun = true
    }

    /// Writes the next messages of the export.
    public mutating func add(_ messages: [Message]) throws(LeakwatchError) {
        guard !messages.isEmpty else { return }
        guard begun else { throw Self.shapeError("messages before the start of the document") }
        let data: Data
        do {
            data = try encoder.encode(messages)
        } catch {
            throw Self.encodingError(error)
        }
        // `[\n  {...},\n  {...}\n]`: the elements, one level deeper.
        let bytes = [UInt8](data)
        guard bytes.count >= 4, bytes.starts(with: [UInt8(ascii: "["), 0x0A]),
            bytes[bytes.count - 2] == 0x0A, bytes[bytes.count - 1] == UInt8(ascii: "]")
        else { throw Self.shapeError("an array of messages not written as expected") }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + bytes.count / 8 + 8)
        out += wroteMessages ? Array(",\n".utf8) : Array("[\n".utf8)
        let elements = bytes[2..<(bytes.count - 2)]
        var lineStart = true
        for byte in elements {
            if lineStart && byte != 0x0A { out += [0x20, 0x20] }
            out.append(byte)
            lineStart = byte == 0x0A
        }
        write(String(decoding: out, as: UTF8.self))
        wroteMessages = true
    }

    /// Ends the document: the end of the messages, then the keys after them (`export`'s notes and
    /// participants; its messages are not written). No line break at the end.
    public mutating func finish(_ export: ParsedExport) throws(LeakwatchError) {
        guard begun else { throw Self.shapeError("the end of a document never begun") }
        var rest = export
        rest.messages = []
        let text = try encode(rest)
        guard let key = text.range(of: Self.messagesKey) else { throw Self.shapeError("no messages key") }
        // After the key: the empty array, then the keys after it.
        let after = text[key.upperBound...]
        if !wroteMessages {
            write(String(after))
            return
        }
        guard let close = after.firstIndex(of: "]") else { throw Self.shapeError("no end of the messages") }
        write("\n  ]" + String(after[after.index(after: close)...]))
    }

    private func encode(_ export: ParsedExport) throws(LeakwatchError) -> String {
        do {
            return String(decoding: try encoder.encode(export), as: UTF8.self)
        } catch {
            throw Self.encodingError(error)
        }
    }

    private static func encodingError(_ error: any Error) -> LeakwatchError {
        LeakwatchError(code: .unparseable, message: "cannot write the export as JSON: \(error)")
    }

    private static func shapeError(_ what: String) -> LeakwatchError {
        LeakwatchError(code: .io, message: "cannot write the export as JSON: \(what)")
    }
}
