/// A fault as the report draws it: a band from its start to its end (a crash until the
/// restart, a partition until its heal), or a tick when it is instantaneous (an attack, a clock
/// step, a dropped connection).
public struct FaultSpan: Sendable, Equatable {
    public var start: Double
    /// Nil for an instantaneous fault.
    public var end: Double?
    public var label: String

    public init(start: Double, end: Double? = nil, label: String) {
        self.start = start
        self.end = end
        self.label = label
    }

    /// The faults of a run, from what happened (`Measures.faults`, every action that took
    /// effect): the actions that undo one (restart after crash, heal after partition, a setting
    /// back to zero) close its band. A fault never undone lasts until `runEnd`.
    public static func derive(_ faults: [AppliedFault], runEnd: Double) -> [FaultSpan] {
        var spans: [FaultSpan] = []
        /// Open bands by what closes them, in the order they were opened.
        var open: [(key: String, index: Int)] = []
        func openBand(_ key: String, _ t: Double, _ label: String) {
            spans.append(FaultSpan(start: t, end: runEnd, label: label))
            open.append((key, spans.count - 1))
        }
        func close(_ key: String, _ t: Double) -> Bool {
            guard let i = open.firstIndex(where: { $0.key == key }) else { return false }
            spans[open[i].index].end = t
            open.remove(at: i)
            return true
        }
        func closeAll(prefix: String, _ t: Double) {
            while let i = open.firstIndex(where: { $0.key.hasPrefix(prefix) }) {
                spans[open[i].index].end = t
                open.remove(at: i)
            }
        }
        for a in faults {
            let t = a.seconds
            let who = a.target.description
            switch a.action {
            case .crash: openBand("down \(who)", t, "\(who) down")
            case .restart: if !close("down \(who)", t) { spans.append(FaultSpan(start: t, label: "\(who) restart")) }
            case .upgradeNode(let v): spans.append(FaultSpan(start: t, label: "\(who) → \(v)"))
            case .hang: openBand("hang \(who)", t, "\(who) hung")
            case .unhang: _ = close("hang \(who)", t)
            case .partition(let label, _, _, let oneWay): openBand("partition \(label)", t, "partition \(label)\(oneWay ? " (one-way)" : "")")
            case .heal(let label): _ = close("partition \(label)", t)
            case .healAll: closeAll(prefix: "partition ", t)
            case .storeSlowness(let d):
                closeAll(prefix: "slow ", t)
                if d.nanoseconds > 0 { openBand("slow store", t, "store slow \(HTML.duration(d.seconds))") }
            case .dropNotifications(let p):
                closeAll(prefix: "drop ", t)
                if p > 0 { openBand("drop notifications", t, "notifications dropped \(Int((p * 100).rounded()))%") }
            case .loseTransactions(let p):
                closeAll(prefix: "lose ", t)
                if p > 0 { openBand("lose transactions", t, "transactions lost \(Int((p * 100).rounded()))%") }
            case .setLink(let model):
                closeAll(prefix: "link", t)
                if model.loss > 0 || model.duplication > 0 || model.reorder > 0 {
                    let pct = { (x: Double) in "\(Int((x * 100).rounded()))%" }
                    openBand("link", t, "lossy link: loss \(pct(model.loss)) dup \(pct(model.duplication)) reorder \(pct(model.reorder))")
                }
            case .clockStep(let d): spans.append(FaultSpan(start: t, label: "\(who) clock \(d.nanoseconds >= 0 ? "+" : "−")\(HTML.duration(abs(d.seconds)))"))
            case .clockDrift(let ppb): spans.append(FaultSpan(start: t, label: "\(who) drift \(ppb)ppb"))
            case .dropStoreConnections: spans.append(FaultSpan(start: t, label: "store connections dropped"))
            case .dropConnection: spans.append(FaultSpan(start: t, label: "\(who) connection dropped"))
            case .startSentinel: openBand("sentinel extra", t, "second sentinel")
            case .stopSentinel: if !close("sentinel extra", t) { spans.append(FaultSpan(start: t, label: "sentinel stopped")) }
            case .guild(let e):
                if a.target != .environment { continue }  // the same event, told to each sentinel
                spans.append(FaultSpan(start: t, label: "guild \(e)"))
            case .attack(let attack): spans.append(FaultSpan(start: t, label: "attack \(attack.rawValue)"))
            }
        }
        return spans.sorted { ($0.start, $0.label) < ($1.start, $1.label) }
    }
}
