import Crypto

/// The key of a message: the same in every export of the same chat.
///
/// `SHA-256("leakwatch.message.v1" ␟ chat origin ␟ minute on the chat's clock ␟ content hash ␟
/// ordinal)`, first 16 bytes in hex. The chat's clock is that of the first export of the chat the
/// state saw (its origin); a later export's times are moved onto it by the clock offset its
/// alignment found, so a phone an hour behind, or one without seconds, gives the same keys.
/// The content hash is `MessageContent`'s (attachment placeholders and marks normalised away);
/// the ordinal tells apart identical messages sent in the same minute.
public enum MessageKey {
    public static func make(chatOrigin: String, chatMinute: Int, content: UInt64, ordinal: Int) -> String {
        let parts = [
            "leakwatch.message.v1", chatOrigin, String(chatMinute), String(content, radix: 16), String(ordinal),
        ]
        return IdentityHash.joined(parts, bytes: 16)
    }
}
