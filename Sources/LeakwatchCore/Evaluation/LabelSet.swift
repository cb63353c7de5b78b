import Foundation

/// What a person says an export holds, to measure the rules against: the labels file of
/// `leakwatch eval`.
///
/// ```json
/// {"files": {"chat.txt": {"locator": "line",
///    "labels": [{"at": [12], "category": "location", "kind": "pos"}]}}}
/// ```
/// `locator` is `line` (the 1-based line where the message's header starts; inside a zip, the
/// line in its chat text) or `id` (the format's own message id, as Telegram's). Unknown keys
/// (a `note` on a label, say) are kept where useful and otherwise ignored.
public struct LabelSet: Sendable, Hashable {
    /// Labels by export file name (the last path component).
    public var files: [String: FileLabels]

    public init(files: [String: FileLabels]) {
        self.files = files
    }

    /// Parses a labels file; `path` names it in errors.
    /// - Throws: `LeakwatchError` (`.unparseable`) naming the file and what is wrong where.
    public static func parse(_ bytes: [UInt8], path: String) throws(LeakwatchError) -> LabelSet {
        do {
            let file = try JSONDecoder().decode(FileFormat.self, from: Data(bytes))
            var files: [String: FileLabels] = [:]
            for (name, entry) in file.files {
                let labels = entry.labels.map {
                    Label(at: $0.at.values, category: $0.category, kind: $0.kind ?? .pos, note: $0.note)
                }
                files[name] = FileLabels(locator: entry.locator ?? .line, labels: labels)
            }
            return LabelSet(files: files)
        } catch let error as DecodingError {
            throw LeakwatchError(code: .unparseable, message: Self.describe(error), path: path, cause: error)
        } catch {
            throw LeakwatchError(code: .unparseable, message: "not valid JSON", path: path, cause: error)
        }
    }

    /// The labels file as JSON.
    private struct FileFormat: Decodable {
        var files: [String: Entry]

        struct Entry: Decodable {
            var locator: FileLabels.Locator?
            var labels: [LabelEntry]
        }

        struct LabelEntry: Decodable {
            var at: Locators
            var category: RuleCategory
            var kind: Label.Kind?
            var note: String?
        }

        /// One locator or a list; each a whole number or a non-empty string.
        struct Locators: Decodable {
            var values: [String]

            init(from decoder: any Decoder) throws {
                if var list = try? decoder.unkeyedContainer() {
                    var values: [String] = []
                    while !list.isAtEnd { values.append(try Self.locator(from: list.superDecoder())) }
                    guard !values.isEmpty else {
                        throw DecodingError.dataCorrupted(
                            .init(codingPath: decoder.codingPath, debugDescription: "an empty list"))
                    }
                    self.values = values
                } else {
                    values = [try Self.locator(from: decoder)]
                }
            }

            static func locator(from decoder: any Decoder) throws -> String {
                let container = try decoder.singleValueContainer()
                if let number = try? container.decode(Int.self) { return String(number) }
                if let text = try? container.decode(String.self), !text.isEmpty { return text }
                throw DecodingError.dataCorrupted(
                    .init(
                        codingPath: decoder.codingPath,
                        debugDescription: "expected a line number or a message id"))
            }
        }
    }

    /// `files.chat.txt.labels[3].category: ...`, from a decoding error.
    static func describe(_ error: DecodingError) -> String {
        func path(_ keys: [any CodingKey]) -> String {
            var out = ""
            for key in keys {
                if let index = key.intValue {
                    out += "[\(index)]"
                } else {
                    out += (out.isEmpty ? "" : ".") + key.stringValue
                }
            }
            return out.isEmpty ? "the top level" : out
        }
        let known = "one of " + RuleCategory.allCases.map(\.rawValue).joined(separator: ", ")
        switch error {
        case .keyNotFound(let key, let context):
            return "\(path(context.codingPath + [key])): missing"
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            return "\(path(context.codingPath)): wrong type (\(context.debugDescription))"
        case .dataCorrupted(let context):
            let where_ = path(context.codingPath)
            if where_.hasSuffix("category") { return "\(where_): expected \(known)" }
            if where_.hasSuffix("kind") { return "\(where_): expected \"pos\" or \"neutral\"" }
            if where_.hasSuffix("locator") { return "\(where_): expected \"line\" or \"id\"" }
            if context.codingPath.isEmpty { return "not valid JSON" }
            return "\(where_): \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }
}

/// The labels of one export.
public struct FileLabels: Sendable, Hashable {
    /// How labels point at messages.
    public enum Locator: String, Sendable, Hashable, Decodable {
        /// The 1-based line where the message's header starts.
        case line
        /// The format's own message id.
        case id
    }

    public var locator: Locator
    public var labels: [Label]

    public init(locator: Locator, labels: [Label]) {
        self.locator = locator
        self.labels = labels
    }
}

/// One labelled finding: a category on one message (or on any of a few, when a finding spans
/// messages, as a photo and its caption sent apart).
public struct Label: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable, Decodable {
        /// An alert of the category must sit on one of the messages.
        case pos
        /// An alert of the category is acceptable there but not required.
        case neutral
    }

    /// Locators (lines or ids, as text).
    public var at: [String]
    public var category: RuleCategory
    public var kind: Kind
    /// Why it is labelled so, if the author said.
    public var note: String?

    public init(at: [String], category: RuleCategory, kind: Kind, note: String? = nil) {
        self.at = at
        self.category = category
        self.kind = kind
        self.note = note
    }
}
