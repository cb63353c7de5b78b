/// The text of one rule file and the layer it comes from.
public struct RuleFileSource: Sendable, Hashable {
    public var path: String
    public var text: String

    public init(path: String, text: String) {
        self.path = path
        self.text = text
    }

    var name: String { path.split(separator: "/").last.map(String.init) ?? path }
}

/// The result of building a rule set: the set when there were no problems, and every problem.
public struct RuleSetBuild: Sendable {
    public var ruleSet: RuleSet?
    public var problems: [RuleProblem]
    /// Every warning, those of `prefilterWarnings` included.
    public var warnings: [String]
    /// The warnings that name a pattern the prefilter cannot take (it then runs on every
    /// message): about speed only, so commands that do not match (`rules export-patterns`) leave
    /// them out.
    public var prefilterWarnings: [String] = []

    public init(ruleSet: RuleSet?, problems: [RuleProblem], warnings: [String], prefilterWarnings: [String] = []) {
        self.ruleSet = ruleSet
        self.problems = problems
        self.warnings = warnings
        self.prefilterWarnings = prefilterWarnings
    }
}

extension RuleSet {
    /// Builds a rule set from layers of rule files, like systemd drop-ins: `layers[0]` is the
    /// shipped rules, later layers are admin directories. A later file with the same name
    /// replaces an earlier one; `disable:` turns rules off; other files add rules.
    ///
    /// Every problem in every effective file is reported; the set is built only when there are
    /// none, so a bad edit never half-loads.
    ///
    /// `prefilterCache`, when given, keeps compiled prefilter databases between runs.
    public static func build(
        layers: [[RuleFileSource]], jit: Bool = true, prefilterCache: (any PrefilterDatabaseCache)? = nil
    ) -> RuleSetBuild {
        // File name -> source, later layers replacing earlier ones; keep first-seen order.
        var order: [String] = []
        var effective: [String: RuleFileSource] = [:]
        for layer in layers {
            for source in layer.sorted(by: { $0.name < $1.name }) {
                if effective[source.name] == nil { order.append(source.name) }
                effective[source.name] = source
            }
        }
        let sources = order.compactMap { effective[$0] }
        var models: [String: LinearTextModel] = [:]
        var modelProblems: [RuleProblem] = []
        for source in sources where source.name.hasSuffix(".model") {
            do {
                let model = try LinearTextModel.parse(source.text, path: source.path)
                models[model.name] = model
            } catch {
                modelProblems.append(error)
            }
        }
        // The phrases that classify replies to alerts: one file, layered like the others.
        var responsePhrases: ResponsePhrases?
        for source in sources where source.name == ResponsePhrases.fileName {
            do {
                responsePhrases = try ResponsePhrases.parse(source.text, path: source.path, jit: jit)
            } catch {
                modelProblems += error.problems
            }
        }
        let files = sources.filter { !$0.name.hasSuffix(".model") && !$0.name.hasSuffix(".phrases") }.map {
            RuleFileParser.parse($0.text, path: $0.path)
        }
        var build = build(
            files: files, models: models, jit: jit, prefilterCache: prefilterCache, responsePhrases: responsePhrases)
        if !modelProblems.isEmpty {
            build.problems = modelProblems + build.problems
            build.ruleSet = nil
        }
        return build
    }

    /// Builds a rule set from already parsed files (in order) and the models they may name.
    public static func build(
        files: [RuleFile], models: [String: LinearTextModel] = [:], jit: Bool = true,
        prefilterCache: (any PrefilterDatabaseCache)? = nil, responsePhrases: ResponsePhrases? = nil
    ) -> RuleSetBuild {
        var problems = files.flatMap(\.problems)
        var warnings: [String] = []
        let disabledEntries = files.flatMap(\.disable)
        let disabled = Set(disabledEntries.map(\.id))
        let allIDs = Set(files.flatMap(\.rules).map(\.id))
        for entry in disabledEntries where !allIDs.contains(entry.id) {
            warnings.append("\(entry.location): disable names '\(entry.id)', which no rule file defines")
        }

        var firstDefinition: [String: SourceLocation] = [:]
        var compiled: [CompiledRule] = []
        var jitRefusal: String?
        for definition in files.flatMap(\.rules) {
            if let first = firstDefinition[definition.id] {
                problems.append(
                    RuleProblem(
                        location: definition.location, ruleID: definition.id,
                        message: "duplicate id '\(definition.id)' (first defined at \(first))"))
                continue
            }
            firstDefinition[definition.id] = definition.location
            // A disabled rule is not compiled: turning off a broken shipped rule must work.
            if disabled.contains(definition.id) { continue }
            var model: LinearTextModel?
            if let name = definition.model {
                model = models[name]
                if model == nil {
                    problems.append(
                        RuleProblem(
                            location: definition.location, ruleID: definition.id,
                            message: "model '\(name)' not found: no \(name).model in the rule directories"))
                    continue
                }
            }
            do {
                let rule = try CompiledRule(definition, index: compiled.count, model: model, jit: jit)
                if jit, jitRefusal == nil, let error = rule.jitError {
                    jitRefusal = error.message
                }
                compiled.append(rule)
            } catch {
                problems.append(error)
            }
        }
        if let jitRefusal {
            warnings.append(
                "PCRE2 JIT refused (\(jitRefusal): writable and executable memory is denied, as under systemd's "
                    + "MemoryDenyWriteExecute=yes); matching with the interpreter: same results, slower")
        }
        guard problems.isEmpty else {
            return RuleSetBuild(ruleSet: nil, problems: problems, warnings: warnings)
        }
        var set = RuleSet(
            rules: compiled, files: files.map(\.path), disabled: disabled.sorted(), warnings: warnings,
            prefilterCache: prefilterCache, responsePhrases: responsePhrases)
        let unfiltered = set.prefilter.unfiltered
        let prefilterWarnings = unfiltered.map { item in
            "\(item.ruleID): the prefilter cannot take its \(item.role) (\(item.reason)); it runs on every message"
        }
        if !unfiltered.isEmpty {
            warnings += prefilterWarnings
            set = RuleSet(
                rules: compiled, files: files.map(\.path), disabled: disabled.sorted(), warnings: warnings,
                prefilter: set.prefilter, responsePhrases: responsePhrases)
        }
        return RuleSetBuild(
            ruleSet: set, problems: problems, warnings: warnings, prefilterWarnings: prefilterWarnings)
    }
}
