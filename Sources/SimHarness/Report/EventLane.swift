/// The strip above the charts that names what the charts only mark: faults (bands and ticks,
/// amber) and violations (red), each label placed in the first row where it does not overlap
/// the previous one. Labels that fit nowhere keep their mark and a tooltip.
struct EventLane {
    var axis: TimeAxis
    var faults: [FaultSpan]
    var violations: [(t: Double, name: String)]
    static let rowHeight = 16.0
    static let maxRows = 6
    /// Rough width of a label at 11 px in a system sans-serif font.
    static func textWidth(_ s: String) -> Double { Double(s.count) * 6.1 + 6 }

    struct Placed {
        var row: Int?
        var x: Double
        var x2: Double?
        var label: String
    }

    /// Greedy row assignment: in order of start, each item in the lowest row free there.
    /// Returns the placements in the order of `items`.
    /// `labelX`: where the label starts (inside a band, or after a group's last mark).
    static func place(_ items: [(x: Double, x2: Double?, labelX: Double, label: String)], width: Double) -> [Placed] {
        var rowsEnd: [Double] = []
        var out = items.map { Placed(row: nil, x: $0.x, x2: $0.x2, label: $0.label) }
        let order = items.indices.sorted { (items[$0].x, $0) < (items[$1].x, $1) }
        for i in order {
            let it = items[i]
            let label = it.label.count > 48 ? String(it.label.prefix(47)) + "…" : it.label
            out[i].label = label
            let end = max(it.x2 ?? it.x, clamp(it.labelX, label, width) + textWidth(label))
            if let r = rowsEnd.firstIndex(where: { $0 <= it.x }) {
                rowsEnd[r] = end
                out[i].row = r
            } else if rowsEnd.count < maxRows {
                rowsEnd.append(end)
                out[i].row = rowsEnd.count - 1
            }
        }
        return out
    }

    /// A label's start, moved left when it would run past the right edge (a violation at the
    /// end of the run).
    static func clamp(_ x: Double, _ label: String, _ width: Double) -> Double {
        min(x, width - textWidth(label))
    }

    /// Repeats of one label close together (an invariant reported several times, the same
    /// attack every ten seconds) share one label ("name ×3"), written after their last mark.
    func group(_ items: [(x: Double, label: String)]) -> [(x: Double, label: String, xs: [Double])] {
        var groups: [(x: Double, label: String, xs: [Double])] = []
        for it in items.sorted(by: { ($0.x, $0.label) < ($1.x, $1.label) }) {
            if let g = groups.lastIndex(where: { $0.label == it.label && it.x - $0.x < Self.textWidth($0.label) + 30 }) {
                groups[g].xs.append(it.x)
            } else {
                groups.append((it.x, it.label, [it.x]))
            }
        }
        return groups.sorted { ($0.x, $0.label) < ($1.x, $1.label) }
    }

    static func groupLabel(_ g: (x: Double, label: String, xs: [Double])) -> String {
        g.xs.count > 1 ? "\(g.label) ×\(g.xs.count)" : g.label
    }

    /// A faint line joining the marks of one group.
    static func connector(_ xs: [Double], y: Double, color: String) -> String {
        "<line x1=\"\(HTML.coord(xs.first!))\" x2=\"\(HTML.coord(xs.last!))\" y1=\"\(HTML.coord(y))\" y2=\"\(HTML.coord(y))\" stroke=\"\(color)\" stroke-opacity=\"0.35\"/>"
    }

    func svg() -> String {
        let bands = faults.filter { $0.end != nil }
        let ticks = group(faults.filter { $0.end == nil }.map { (axis.x($0.start), $0.label) })
        let f = Self.place(
            bands.map { (axis.x($0.start), $0.end.map { axis.x($0) }, axis.x($0.start) + 3, $0.label) }
                + ticks.map { g in (g.x, g.xs.count > 1 ? g.xs.last! : nil, g.xs.last! + 4, Self.groupLabel(g)) },
            width: axis.width)
        let groups = group(violations.map { (axis.x($0.t), $0.name) })
        let v = Self.place(
            groups.map { g in (g.x, g.xs.count > 1 ? g.xs.last! : nil, g.xs.last! + 6, Self.groupLabel(g)) }, width: axis.width)
        let fRows = max(1, (f.compactMap(\.row).max() ?? -1) + 1)
        let vRows = max(1, (v.compactMap(\.row).max() ?? -1) + 1)
        let top = 4.0
        let vTop = top + Double(fRows) * Self.rowHeight + 8
        let height = vTop + Double(vRows) * Self.rowHeight + 6
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(HTML.coord(axis.width))\" height=\"\(HTML.coord(height))\" "
        s += "viewBox=\"0 0 \(HTML.coord(axis.width)) \(HTML.coord(height))\" role=\"img\" aria-label=\"faults and violations\" class=\"lane\">\n"
        s += "<text x=\"\(HTML.coord(axis.left - 6))\" y=\"\(HTML.coord(top + 12))\" text-anchor=\"end\">faults</text>\n"
        s += "<text x=\"\(HTML.coord(axis.left - 6))\" y=\"\(HTML.coord(vTop + 12))\" text-anchor=\"end\" fill=\"#cf222e\" style=\"fill:#cf222e\">violations</text>\n"
        s += "<line x1=\"\(HTML.coord(axis.left))\" x2=\"\(HTML.coord(axis.width - axis.right))\" y1=\"\(HTML.coord(vTop - 4))\" y2=\"\(HTML.coord(vTop - 4))\" stroke=\"#eaeef2\"/>\n"
        if faults.isEmpty {
            s += "<text x=\"\(HTML.coord(axis.left + 4))\" y=\"\(HTML.coord(top + 12))\" font-style=\"italic\">none</text>\n"
        }
        for (i, p) in f.enumerated() {
            let y = top + Double(p.row ?? (fRows - 1)) * Self.rowHeight
            if i < bands.count, let x2 = p.x2 {
                s += "<rect x=\"\(HTML.coord(p.x))\" y=\"\(HTML.coord(y + 2))\" width=\"\(HTML.coord(max(2, x2 - p.x)))\" height=\"\(HTML.coord(Self.rowHeight - 3))\" fill=\"#f59e0b\" fill-opacity=\"0.3\" rx=\"2\"><title>\(HTML.escape(p.label))</title></rect>\n"
            } else {
                let xs = ticks[i - bands.count].xs
                if xs.count > 1 { s += Self.connector(xs, y: y + 8, color: "#d97706") }
                for x in xs {
                    s += "<line x1=\"\(HTML.coord(x))\" x2=\"\(HTML.coord(x))\" y1=\"\(HTML.coord(y + 1))\" y2=\"\(HTML.coord(y + Self.rowHeight))\" stroke=\"#d97706\" stroke-width=\"2\"><title>\(HTML.escape(p.label))</title></line>\n"
                }
            }
            if p.row != nil {
                let lx = Self.clamp(i < bands.count ? p.x + 3 : (ticks[i - bands.count].xs.last ?? p.x) + 4, p.label, axis.width)
                s += "<text x=\"\(HTML.coord(lx))\" y=\"\(HTML.coord(y + 12))\" style=\"fill:#7c4a03\">\(HTML.escape(p.label))</text>\n"
            }
        }
        if violations.isEmpty {
            s += "<text x=\"\(HTML.coord(axis.left + 4))\" y=\"\(HTML.coord(vTop + 12))\" font-style=\"italic\">none</text>\n"
        }
        for (p, g) in zip(v, groups) {
            let y = vTop + Double(p.row ?? (vRows - 1)) * Self.rowHeight
            s += "<g class=\"violation\"><title>\(HTML.escape(p.label))</title>"
            if g.xs.count > 1 { s += Self.connector(g.xs, y: y + 7, color: "#cf222e") }
            for x in g.xs {
                s += "<path d=\"M\(HTML.coord(x - 4)) \(HTML.coord(y + 3))L\(HTML.coord(x + 4)) \(HTML.coord(y + 3))L\(HTML.coord(x)) \(HTML.coord(y + 11))Z\" fill=\"#cf222e\"/>"
            }
            if p.row != nil {
                // After the group's last mark, so the label does not cover the others.
                s += "<text x=\"\(HTML.coord(Self.clamp((g.xs.last ?? p.x) + 6, p.label, axis.width)))\" y=\"\(HTML.coord(y + 12))\" style=\"fill:#cf222e\">\(HTML.escape(p.label))</text>"
            }
            s += "</g>\n"
        }
        s += "</svg>"
        return s
    }
}
