/// String building for the reports: escaping, number formatting and the page shell. No
/// dependencies and nothing fetched: one self-contained file (inline CSS, inline SVG, system
/// fonts, no scripts), readable offline and attachable to a CI run.
enum HTML {
    static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for ch in s {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(ch)
            }
        }
        return out
    }

    /// `x` with `digits` decimals, trailing zeros kept (stable widths in tables).
    static func fixed(_ x: Double, _ digits: Int) -> String {
        guard x.isFinite else { return "–" }
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let n = Int64((abs(x) * scale).rounded())
        let whole = n / Int64(scale)
        var s = (x < 0 && n != 0 ? "-" : "") + String(whole)
        if digits > 0 {
            let frac = String(n % Int64(scale))
            s += "." + String(repeating: "0", count: digits - frac.count) + frac
        }
        return s
    }

    /// A compact number for SVG coordinates (one decimal at most).
    static func coord(_ x: Double) -> String {
        let r = (x * 10).rounded() / 10
        return r == r.rounded() ? String(Int64(r)) : fixed(r, 1)
    }

    /// Virtual seconds as `1h02m`, `12m30s`, `45s` or `1.5s`.
    static func duration(_ seconds: Double) -> String {
        if seconds < 10 && seconds != seconds.rounded() { return fixed(seconds, 1) + "s" }
        let s = Int64(seconds.rounded())
        if s < 60 { return "\(s)s" }
        let m = s / 60, r = s % 60
        if m < 60 { return r == 0 ? "\(m)m" : "\(m)m\(r < 10 ? "0" : "")\(r)s" }
        return "\(m / 60)h\(m % 60 < 10 ? "0" : "")\(m % 60)m"
    }

    static func page(title: String, body: String) -> String {
        """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(escape(title))</title>
        <style>
        \(css)
        </style>
        </head>
        <body>
        \(body)
        </body>
        </html>

        """
    }

    static let css = """
        :root { --fg: #1f2328; --muted: #656d76; --line: #d0d7de; --bg-soft: #f6f8fa; --bad: #cf222e; --good: #1a7f37; }
        * { box-sizing: border-box; }
        body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
               color: var(--fg); margin: 24px auto; max-width: 1180px; padding: 0 16px; }
        h1 { font-size: 22px; margin: 0 0 4px; }
        h2 { font-size: 16px; margin: 28px 0 8px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
        h3 { font-size: 14px; margin: 18px 0 2px; }
        .sub { color: var(--muted); margin: 0 0 12px; }
        .badge { display: inline-block; padding: 2px 10px; border-radius: 12px; font-weight: 600; color: #fff; }
        .badge.pass { background: var(--good); } .badge.fail { background: var(--bad); }
        dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 8px 0; }
        dl.facts dt { color: var(--muted); } dl.facts dd { margin: 0; }
        td.mono { white-space: nowrap; }
        code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12.5px; }
        table { border-collapse: collapse; margin: 6px 0 12px; }
        th, td { text-align: left; padding: 3px 12px 3px 0; border-bottom: 1px solid var(--line); vertical-align: top; }
        th { color: var(--muted); font-weight: 600; }
        td.num, th.num { text-align: right; padding-right: 16px; font-variant-numeric: tabular-nums; }
        tr.bad td { color: var(--bad); }
        .legend { margin: 0 0 2px; color: var(--muted); font-size: 12.5px; }
        .legend span { margin-right: 14px; white-space: nowrap; }
        .sw { display: inline-block; width: 18px; height: 3px; vertical-align: middle; margin-right: 5px; }
        .sw.band { height: 10px; opacity: .35; }
        svg { display: block; }
        svg text { font: 11px system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; fill: #57606a; }
        details { margin: 2px 0; } summary { cursor: pointer; }
        pre { background: var(--bg-soft); padding: 8px; overflow-x: auto; font-size: 12px; margin: 4px 0; }
        .cols { display: grid; grid-template-columns: 1fr 1fr; gap: 0 32px; }
        """
}
