import Yams

/// Parses the YAML of one rule file into `RuleDefinition`s, collecting every problem with its
/// `file:line:column`. Pure: the caller reads the file.
///
/// A file is either a sequence of rules, or a mapping with `rules:` and/or `disable:`.
public enum RuleFileParser {
    static let ruleFields: Set<String> = [
        "id", "title", "category", "severity", "pattern", "options", "applies-to", "keywords", "validate",
        "context", "unless", "redact", "confidence", "normalize", "model", "threshold", "tags", "description",
        "examples", "responses",
    ]

    /// Parses `text`, the contents of the rule file at `path`.
    public static func parse(_ text: String, path: String) -> RuleFile {
        let name = path.split(separator: "/").last.map(String.init) ?? path
        var file = RuleFile(path: path, name: name)
        var context = Context(path: path)
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch {
            file.problems.append(context.problem(for: error))
            return file
        }
        guard let root else { return file }  // An empty file holds no rules.

        switch root {
        case .sequence(let sequence):
            file.rules = parseRules(sequence, context: &context)
        case .mapping(let mapping):
            for (key, value) in mapping {
                switch key.string {
                case "rules":
                    if case .sequence(let sequence) = value {
                        file.rules = parseRules(sequence, context: &context)
                    } else {
                        context.report(at: value, "'rules' must be a list of rules")
                    }
                case "disable":
                    file.disable = context.stringList(value, field: "disable").map {
                        DisabledRule(id: $0.value, location: $0.location)
                    }
                default:
                    context.report(
                        at: key, "unknown top-level field '\(key.string ?? "?")' (expected 'rules' or 'disable')")
                }
            }
        default:
            context.report(at: root, "a rule file must be a list of rules, or a mapping with 'rules' and/or 'disable'")
        }
        file.problems += context.problems
        return file
    }

    private static func parseRules(_ sequence: Node.Sequence, context: inout Context) -> [RuleDefinition] {
        var rules: [RuleDefinition] = []
        for node in sequence {
            if let rule = parseRule(node, context: &context) { rules.append(rule) }
        }
        return rules
    }

    // swiftlint:disable:next function_body_length cyclomatic_complexity
    private static func parseRule(_ node: Node, context: inout Context) -> RuleDefinition? {
        guard case .mapping(let mapping) = node else {
            context.report(at: node, "each rule must be a mapping with id, title, category, severity, pattern")
            return nil
        }
        let location = context.location(of: node)
        var values: [String: Node] = [:]
        let idNode = mapping.first { $0.key.string == "id" }?.value
        let id = idNode?.string
        context.currentRule = id
        defer { context.currentRule = nil }
        for (key, value) in mapping {
            guard let name = key.string else {
                context.report(at: key, "field names must be strings")
                continue
            }
            if !ruleFields.contains(name) {
                context.report(at: key, "unknown field '\(name)'" + suggestion(for: name))
                continue
            }
            values[name] = value
        }

        guard let id, !id.isEmpty else {
            context.report(at: idNode ?? node, "missing required field 'id'")
            return nil
        }
        if !isValidID(id) {
            context.report(at: idNode ?? node, "invalid id '\(id)': use lowercase letters, digits, '.' and '-'")
        }
        let title = context.requiredString(values["title"], field: "title", in: node) ?? ""
        let categoryText = context.requiredString(values["category"], field: "category", in: node)
        let severityText = context.requiredString(values["severity"], field: "severity", in: node)
        let pattern = context.requiredString(values["pattern"], field: "pattern", in: node)

        var category: RuleCategory?
        if let categoryText {
            category = RuleCategory(rawValue: categoryText)
            if category == nil, let categoryNode = values["category"] {
                context.report(
                    at: categoryNode,
                    "unknown category '\(categoryText)' (one of: \(RuleCategory.allCases.map(\.rawValue).joined(separator: ", ")))"
                )
            }
        }
        var severity: Severity?
        if let severityText {
            severity = Severity(rawValue: severityText)
            if severity == nil, let severityNode = values["severity"] {
                context.report(
                    at: severityNode,
                    "unknown severity '\(severityText)' (one of: \(Severity.allCases.map(\.rawValue).joined(separator: ", ")))"
                )
            }
        }
        let options = context.enumList(values["options"], field: "options", as: RuleOption.self)
        var appliesTo: [RuleField] = [.text]
        if let appliesNode = values["applies-to"] {
            let names = context.stringList(appliesNode, field: "applies-to")
            var fields: [RuleField] = []
            for name in names {
                if name.value == "all" {
                    fields += RuleField.allCases
                } else if let field = RuleField(rawValue: name.value) {
                    fields.append(field)
                } else {
                    context.report(
                        at: name.location,
                        "unknown applies-to '\(name.value)' (one of: \(RuleField.allCases.map(\.rawValue).joined(separator: ", ")), all)"
                    )
                }
            }
            var seen = Set<RuleField>()
            appliesTo = fields.filter { seen.insert($0).inserted }
            if appliesTo.isEmpty { appliesTo = [.text] }
        }
        let keywords = context.stringList(values["keywords"], field: "keywords").map(\.value)
        if keywords.contains(where: \.isEmpty), let node = values["keywords"] {
            context.report(at: node, "keywords must not be empty strings")
        }
        let validate = context.stringList(values["validate"], field: "validate")
        for validator in validate where MatchValidator.builtins[validator.value] == nil {
            let known = MatchValidator.builtins.keys.sorted().joined(separator: ", ")
            context.report(at: validator.location, "unknown validator '\(validator.value)' (known: \(known))")
        }
        var ruleContexts: [RuleContext] = []
        if let node = values["context"] {
            if case .sequence(let list) = node {
                for (index, item) in list.enumerated() {
                    if let parsed = parseContext(item, field: "context[\(index)]", context: &context) {
                        ruleContexts.append(parsed)
                    }
                }
            } else if let parsed = parseContext(node, field: "context", context: &context) {
                ruleContexts.append(parsed)
            }
        }
        let unless = values["unless"].flatMap { parseContext($0, field: "unless", context: &context) }
        var redact = true
        if let redactNode = values["redact"] {
            if let value = redactNode.bool {
                redact = value
            } else {
                context.report(at: redactNode, "'redact' must be true or false")
            }
        }
        var confidence = Confidence.medium
        if let confidenceNode = values["confidence"] {
            if let value = confidenceNode.string.flatMap(Confidence.init(rawValue:)) {
                confidence = value
            } else {
                context.report(at: confidenceNode, "'confidence' must be one of: low, medium, high")
            }
        }
        let normalize = values["normalize"].flatMap { context.normalization($0, field: "normalize") }
        var model: String?
        if let modelNode = values["model"] {
            if let name = modelNode.string, isValidID(name) {
                model = name
            } else {
                context.report(
                    at: modelNode, "'model' must name a model file without '.model' (letters, digits, '.', '-')")
            }
        }
        var threshold = 0.5
        if let thresholdNode = values["threshold"] {
            if let value = thresholdNode.float, value > 0, value < 1 {
                threshold = value
            } else {
                context.report(at: thresholdNode, "'threshold' must be a probability between 0 and 1")
            }
            if values["model"] == nil { context.report(at: thresholdNode, "'threshold' needs a 'model'") }
        }
        let tags = context.stringList(values["tags"], field: "tags")
        for tag in tags where !isValidID(tag.value) {
            context.report(at: tag.location, "invalid tag '\(tag.value)': use lowercase letters, digits, '.' and '-'")
        }
        var responses: Bool?
        if let responsesNode = values["responses"] {
            responses = responsesNode.bool
            if responses == nil { context.report(at: responsesNode, "'responses' must be true or false") }
        }
        let description = values["description"]?.string ?? ""
        let examples = parseExamples(values["examples"], rule: node, context: &context)

        guard let category, let severity, let pattern else { return nil }
        return RuleDefinition(
            id: id, title: title, category: category, severity: severity, pattern: pattern, options: options,
            appliesTo: appliesTo, keywords: keywords, validate: validate.map(\.value), contexts: ruleContexts,
            unless: unless,
            redact: redact, confidence: confidence, normalize: normalize, model: model, threshold: threshold,
            tags: tags.map(\.value), description: description,
            examples: examples, location: location,
            patternLocation: values["pattern"].map { context.location(of: $0) }, responses: responses)
    }

    /// `context:` or `unless:`, named `field` in problems.
    private static func parseContext(_ node: Node, field: String, context: inout Context) -> RuleContext? {
        guard case .mapping(let mapping) = node else {
            context.report(
                at: node,
                "'\(field)' must be a mapping with 'pattern' (or 'category') and optional 'options', 'window', 'within', 'effect', 'normalize'"
            )
            return nil
        }
        var pattern: String?
        var options: [RuleOption] = []
        var window: Int?
        var within: Duration?
        var effect = ContextEffect.require
        var normalize: TextNormalization?
        var categories: [RuleCategory] = []
        for (key, value) in mapping {
            switch key.string {
            case "pattern": pattern = context.requiredString(value, field: "\(field).pattern", in: node)
            case "category":
                categories = context.enumList(value, field: "\(field).category", as: RuleCategory.self)
            case "options": options = context.enumList(value, field: "\(field).options", as: RuleOption.self)
            case "window":
                if let number = value.int, number >= 0, number <= 50 {
                    window = number
                } else {
                    context.report(at: value, "'\(field).window' must be a whole number from 0 to 50")
                }
            case "within":
                if let duration = value.string.flatMap(DurationText.parse), duration > .zero,
                    duration <= .seconds(86_400)
                {
                    within = duration
                } else {
                    context.report(at: value, "'\(field).within' must be a time up to 24h, such as 90s, 10m or 2h")
                }
            case "effect":
                if let value = value.string.flatMap(ContextEffect.init(rawValue:)) {
                    effect = value
                } else {
                    context.report(at: value, "'\(field).effect' must be 'require' or 'raise'")
                }
            case "normalize": normalize = context.normalization(value, field: "\(field).normalize")
            default: context.report(at: key, "unknown field '\(field).\(key.string ?? "?")'")
            }
        }
        if pattern != nil && !categories.isEmpty {
            context.report(at: node, "'\(field)' takes a 'pattern' or a 'category', not both")
            return nil
        }
        guard pattern != nil || !categories.isEmpty else {
            context.report(at: node, "'\(field)' needs a 'pattern' (or a 'category' whose alerts count)")
            return nil
        }
        return RuleContext(
            pattern: pattern ?? "", options: options,
            window: window ?? (within == nil ? 0 : RuleContext.defaultTimedWindow), within: within, effect: effect,
            normalize: normalize, categories: categories)
    }

    private static func parseExamples(_ node: Node?, rule: Node, context: inout Context) -> RuleExamples {
        var examples = RuleExamples()
        guard let node else {
            context.report(at: rule, "missing 'examples' (at least one 'match' example is required)")
            return examples
        }
        guard case .mapping(let mapping) = node else {
            context.report(at: node, "'examples' must be a mapping with 'match' and 'no-match' lists")
            return examples
        }
        for (key, value) in mapping {
            switch key.string {
            case "match": examples.match = parseExampleList(value, context: &context)
            case "no-match": examples.noMatch = parseExampleList(value, context: &context)
            default:
                context.report(
                    at: key, "unknown field 'examples.\(key.string ?? "?")' (expected 'match' or 'no-match')")
            }
        }
        if examples.match.isEmpty {
            context.report(at: node, "at least one 'match' example is required")
        }
        return examples
    }

    private static func parseExampleList(_ node: Node, context: inout Context) -> [RuleExample] {
        guard case .sequence(let sequence) = node else {
            context.report(at: node, "examples must be a list")
            return []
        }
        var examples: [RuleExample] = []
        for item in sequence {
            let location = context.location(of: item)
            switch item {
            case .scalar(let scalar):
                examples.append(RuleExample(text: scalar.string, sourceLocation: location))
            case .mapping(let mapping):
                var example = RuleExample(sourceLocation: location)
                for (key, value) in mapping {
                    switch key.string {
                    case "text": example.text = value.string ?? ""
                    case "sender": example.sender = value.string
                    case "location": example.location = value.string
                    case "attachments":
                        example.attachments = context.stringList(value, field: "attachments").map(\.value)
                    case "before": example.before = parseNeighbours(value, field: "before", context: &context)
                    case "after": example.after = parseNeighbours(value, field: "after", context: &context)
                    case "spacing":
                        if let duration = value.string.flatMap(DurationText.parse) {
                            example.spacing = duration
                        } else {
                            context.report(at: value, "'spacing' must be a time such as 30s, 5m or 2h")
                        }
                    default:
                        context.report(
                            at: key,
                            "unknown example field '\(key.string ?? "?")' (text, attachments, sender, location, before, after, spacing)"
                        )
                    }
                }
                examples.append(example)
            default:
                context.report(at: item, "an example must be a string or a mapping")
            }
        }
        return examples
    }

    /// `before:` / `after:`: strings (message texts) or mappings with `text` and `attachments`.
    private static func parseNeighbours(_ node: Node, field: String, context: inout Context) -> [ExampleNeighbour] {
        let items: [Node]
        switch node {
        case .sequence(let sequence): items = Array(sequence)
        default: items = [node]
        }
        var neighbours: [ExampleNeighbour] = []
        for item in items {
            switch item {
            case .scalar(let scalar):
                neighbours.append(ExampleNeighbour(text: scalar.string))
            case .mapping(let mapping):
                var neighbour = ExampleNeighbour(text: "")
                for (key, value) in mapping {
                    switch key.string {
                    case "text": neighbour.text = value.string ?? ""
                    case "attachments":
                        neighbour.attachments = context.stringList(value, field: "\(field).attachments").map(\.value)
                    default:
                        context.report(at: key, "unknown field '\(field).\(key.string ?? "?")' (text, attachments)")
                    }
                }
                neighbours.append(neighbour)
            default:
                context.report(at: item, "'\(field)' must hold message texts or mappings with text and attachments")
            }
        }
        return neighbours
    }

    static func isValidID(_ id: String) -> Bool {
        guard let first = id.unicodeScalars.first, ("a"..."z").contains(first) || ("0"..."9").contains(first) else {
            return false
        }
        return id.unicodeScalars.allSatisfy {
            ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "." || $0 == "-"
        }
    }

    private static func suggestion(for name: String) -> String {
        let aliases = [
            "applies_to": "applies-to", "appliesTo": "applies-to", "no_match": "no-match", "option": "options",
            "keyword": "keywords", "example": "examples", "regex": "pattern",
        ]
        if let alias = aliases[name] { return " (did you mean '\(alias)'?)" }
        return ""
    }
}

extension RuleFileParser {
    /// Collects problems and turns YAML marks into locations.
    struct Context {
        let path: String
        var problems: [RuleProblem] = []
        var currentRule: String?

        init(path: String) { self.path = path }

        func location(of node: Node) -> SourceLocation {
            SourceLocation(path: path, line: node.mark?.line ?? 1, column: node.mark?.column ?? 1)
        }

        mutating func report(at node: Node, _ message: String) {
            report(at: location(of: node), message)
        }

        mutating func report(at location: SourceLocation, _ message: String) {
            problems.append(RuleProblem(location: location, ruleID: currentRule, message: message))
        }

        mutating func requiredString(_ node: Node?, field: String, in parent: Node) -> String? {
            guard let node else {
                report(at: parent, "missing required field '\(field)'")
                return nil
            }
            guard case .scalar(let scalar) = node, !scalar.string.isEmpty else {
                report(at: node, "'\(field)' must be a non-empty string")
                return nil
            }
            return scalar.string
        }

        /// A string or a list of strings.
        mutating func stringList(_ node: Node?, field: String) -> [(value: String, location: SourceLocation)] {
            guard let node else { return [] }
            switch node {
            case .scalar(let scalar):
                return [(scalar.string, location(of: node))]
            case .sequence(let sequence):
                var out: [(String, SourceLocation)] = []
                for item in sequence {
                    if case .scalar(let scalar) = item {
                        out.append((scalar.string, location(of: item)))
                    } else {
                        report(at: item, "'\(field)' must hold strings")
                    }
                }
                return out
            default:
                report(at: node, "'\(field)' must be a string or a list of strings")
                return []
            }
        }

        mutating func normalization(_ node: Node, field: String) -> TextNormalization? {
            if let value = node.string.flatMap(TextNormalization.init(rawValue:)) { return value }
            let known = TextNormalization.allCases.map(\.rawValue).joined(separator: ", ")
            report(at: node, "'\(field)' must be one of: \(known)")
            return nil
        }

        mutating func enumList<Value: RawRepresentable & CaseIterable>(
            _ node: Node?, field: String, as type: Value.Type
        ) -> [Value] where Value.RawValue == String {
            stringList(node, field: field).compactMap { item in
                if let value = Value(rawValue: item.value) { return value }
                report(
                    at: item.location,
                    "unknown \(field) value '\(item.value)' (one of: \(Value.allCases.map(\.rawValue).joined(separator: ", ")))"
                )
                return nil
            }
        }

        func problem(for error: any Error) -> RuleProblem {
            if let yaml = error as? YamlError {
                switch yaml {
                case .scanner(let context, let problem, let mark, _),
                    .parser(let context, let problem, let mark, _),
                    .composer(let context, let problem, let mark, _):
                    let detail = context.map { "\(problem) (\($0.text) at line \($0.mark.line))" } ?? problem
                    return RuleProblem(
                        location: SourceLocation(path: path, line: mark.line, column: mark.column),
                        message: "YAML error: \(detail)")
                case .duplicatedKeysInMapping(let duplicates, let context):
                    return RuleProblem(
                        location: SourceLocation(path: path, line: context.mark.line, column: context.mark.column),
                        message: "YAML error: duplicated keys \(duplicates.joined(separator: ", "))")
                case .reader(let problem, _, _, _):
                    return RuleProblem(
                        location: SourceLocation(path: path, line: 1, column: 1), message: "YAML error: \(problem)")
                default:
                    break
                }
            }
            return RuleProblem(
                location: SourceLocation(path: path, line: 1, column: 1), message: "YAML error: \(error)")
        }
    }
}
