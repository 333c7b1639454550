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

    /// Greedy row assignment: items sorted by start, each in the lowest row free at its start.
    /// `labelX`: where the label starts (inside a band, or after a group's last mark).
    static func place(_ items: [(x: Double, x2: Double?, labelX: Double, label: String)]) -> [Placed] {
        var rowsEnd: [Double] = []
        var out: [Placed] = []
        for it in items {
            let label = it.label.count > 48 ? String(it.label.prefix(47)) + "…" : it.label
            let end = max(it.x2 ?? it.x, it.labelX + textWidth(label))
            if let r = rowsEnd.firstIndex(where: { $0 <= it.x }) {
                rowsEnd[r] = end
                out.append(Placed(row: r, x: it.x, x2: it.x2, label: label))
            } else if rowsEnd.count < maxRows {
                rowsEnd.append(end)
                out.append(Placed(row: rowsEnd.count - 1, x: it.x, x2: it.x2, label: label))
            } else {
                out.append(Placed(row: nil, x: it.x, x2: it.x2, label: label))
            }
        }
        return out
    }

    func svg() -> String {
        let f = Self.place(faults.map { (axis.x($0.start), $0.end.map { axis.x($0) }, axis.x($0.start) + 3, $0.label) })
        // Repeats of one invariant close together share a label ("name ×3") and keep their marks.
        let vs = violations.sorted { ($0.t, $0.name) < ($1.t, $1.name) }
        var groups: [(x: Double, name: String, xs: [Double])] = []
        for m in vs {
            let x = axis.x(m.t)
            if let g = groups.lastIndex(where: { $0.name == m.name && x - $0.x < Self.textWidth($0.name) + 30 }) {
                groups[g].xs.append(x)
            } else {
                groups.append((x, m.name, [x]))
            }
        }
        groups.sort { ($0.x, $0.name) < ($1.x, $1.name) }
        let v = Self.place(groups.map { g in (g.x, g.xs.count > 1 ? g.xs.last! : nil, g.xs.last! + 6, g.xs.count > 1 ? "\(g.name) ×\(g.xs.count)" : g.name) })
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
        for p in f {
            let y = top + Double(p.row ?? (fRows - 1)) * Self.rowHeight
            if let x2 = p.x2 {
                s += "<rect x=\"\(HTML.coord(p.x))\" y=\"\(HTML.coord(y + 2))\" width=\"\(HTML.coord(max(2, x2 - p.x)))\" height=\"\(HTML.coord(Self.rowHeight - 3))\" fill=\"#f59e0b\" fill-opacity=\"0.3\" rx=\"2\"><title>\(HTML.escape(p.label))</title></rect>\n"
            } else {
                s += "<line x1=\"\(HTML.coord(p.x))\" x2=\"\(HTML.coord(p.x))\" y1=\"\(HTML.coord(y + 1))\" y2=\"\(HTML.coord(y + Self.rowHeight))\" stroke=\"#d97706\" stroke-width=\"2\"><title>\(HTML.escape(p.label))</title></line>\n"
            }
            if p.row != nil {
                s += "<text x=\"\(HTML.coord(p.x + 3))\" y=\"\(HTML.coord(y + 12))\" style=\"fill:#7c4a03\">\(HTML.escape(p.label))</text>\n"
            }
        }
        if vs.isEmpty {
            s += "<text x=\"\(HTML.coord(axis.left + 4))\" y=\"\(HTML.coord(vTop + 12))\" font-style=\"italic\">none</text>\n"
        }
        for (p, g) in zip(v, groups) {
            let y = vTop + Double(p.row ?? (vRows - 1)) * Self.rowHeight
            s += "<g class=\"violation\"><title>\(HTML.escape(p.label))</title>"
            for x in g.xs {
                s += "<path d=\"M\(HTML.coord(x - 4)) \(HTML.coord(y + 3))L\(HTML.coord(x + 4)) \(HTML.coord(y + 3))L\(HTML.coord(x)) \(HTML.coord(y + 11))Z\" fill=\"#cf222e\"/>"
            }
            if p.row != nil {
                // After the group's last mark, so the label does not cover the others.
                s += "<text x=\"\(HTML.coord((g.xs.last ?? p.x) + 6))\" y=\"\(HTML.coord(y + 12))\" style=\"fill:#cf222e\">\(HTML.escape(p.label))</text>"
            }
            s += "</g>\n"
        }
        s += "</svg>"
        return s
    }
}
