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
        // Line by line on the `\n` byte ("\r\n" is one Character in Swift, so Character splitting
        // would miss CRLF line ends), without materialising the lines: a text of millions of
        // empty lines costs nothing.
        let utf8 = text.utf8
        var lineStart = utf8.startIndex
        while true {
            let lineEnd = utf8[lineStart...].firstIndex(of: UInt8(ascii: "\n")) ?? utf8.endIndex
            lineNumber += 1
            var body = utf8[lineStart..<lineEnd]
            if body.last == UInt8(ascii: "\r") { body = body.dropLast() }
            let content = Substring(body)
            if !content.allSatisfy(\.isWhitespace) {
                messages.append(Message(line: lineNumber, sent: "", sender: nil, text: String(content), kind: .text))
            }
            if lineEnd == utf8.endIndex { break }
            lineStart = utf8.index(after: lineEnd)
        }
        return messages
    }
}
