/// Text in no chat layout: every non-blank line is a message of kind `text` with no sender, so
/// rules still see everything.
public enum PlainTextParser {
    public static func parse(_ text: String) -> ParsedExport {
        ParsedExport(format: .plain, messages: messages(in: text, firstLine: 1))
    }

    /// The messages of `text`, complete lines whose first is line `firstLine` of the file.
    static func messages(in text: String, firstLine: Int) -> [Message] {
        var messages: [Message] = []
        var lineNumber = firstLine - 1
        // Split on the `\n` byte: "\r\n" is one Character in Swift, so Character splitting
        // would miss CRLF line ends.
        for line in text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            var body = line[...]
            if body.last == UInt8(ascii: "\r") { body = body.dropLast() }
            let content = Substring(body)
            if content.allSatisfy(\.isWhitespace) { continue }
            messages.append(Message(line: lineNumber, sent: "", sender: nil, text: String(content), kind: .text))
        }
        return messages
    }
}
