/// The chat's name as WhatsApp writes it into the export's file name
/// (`WhatsApp Chat with X.txt`, `WhatsApp Chat - X.txt`, `Chat WhatsApp s uživatelem X.txt`...).
enum WhatsAppChatName {
    /// File-name prefixes before the chat's name, per language.
    private static let prefixes: [String] = [
        "WhatsApp Chat with ", "WhatsApp Chat - ", "WhatsApp Chat mit ", "WhatsApp-Chat mit ", "WhatsApp Chat met ",
        "WhatsApp-chat met ", "Chat WhatsApp s uživatelem ", "Chat WhatsApp se skupinou ", "Chat WhatsApp con ",
        "Chat de WhatsApp con ", "Discussion WhatsApp avec ", "Conversa do WhatsApp com ", "Conversa no WhatsApp com ",
        "Чат WhatsApp с контактом ", "Чат WhatsApp с группой ", "Чат WhatsApp с ", "Чат WhatsApp з ",
        "Czat WhatsApp z ",
        "WhatsApp Sohbeti: ", "WhatsApp-chatt med ", "WhatsApp-chat med ", "WhatsApp-keskustelu: ",
        "Chat WhatsApp dengan ",
        "Chat WhatsApp với ", "دردشة واتساب مع ", "WhatsApp Chat ",
    ]

    /// The chat name in `fileName` (a path is allowed), or `nil` when the name is not one WhatsApp
    /// gives (`_chat.txt`).
    static func from(fileName: String?) -> String? {
        guard let fileName else { return nil }
        var name = fileName.split(separator: "/", omittingEmptySubsequences: false).last.map(String.init) ?? fileName
        for ext in [".txt", ".TXT", ".zip", ".ZIP"] where name.hasSuffix(ext) {
            name = String(name.dropLast(ext.count))
            break
        }
        for prefix in prefixes where name.hasPrefix(prefix) {
            let chat = WhatsAppBodyClassifier.trimmed(name.dropFirst(prefix.count))
            return chat.isEmpty ? nil : String(chat)
        }
        return nil
    }
}
