/// Names in first-seen order without duplicates.
struct WhatsAppOrderedNames {
    private(set) var names: [String] = []
    private var seen: Set<String> = []

    mutating func insert(_ name: String) {
        if seen.insert(name).inserted { names.append(name) }
    }
}
