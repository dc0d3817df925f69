/// The site's one stylesheet, served from the binary and written beside the static pages: no font or
/// style from another server. Readable on a phone; the tables carry everything the bars and map show.
enum Stylesheet {
    static let css = """
        :root { --ink: #1d1f21; --muted: #5b6168; --line: #d8dce0; --accent: #7a2e0e; --sea: #eef3f7; --land: #dcd6c8;
          --ok: #2e7d32; --bad: #c62828; --warn: #e0a100; --none: #8a9096; }
        * { box-sizing: border-box; }
        body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif; color: var(--ink); background: #fff; }
        header { background: #2b2118; padding: .6rem 1rem; }
        header nav a { color: #f4ede4; margin-right: 1.2rem; text-decoration: none; }
        header nav a.brand { font-weight: 700; letter-spacing: .05em; }
        main { max-width: 72rem; margin: 0 auto; padding: 1rem; }
        h1 { font-size: 1.6rem; margin: .5rem 0; } h2 { font-size: 1.2rem; margin-top: 2rem; }
        .lead { color: var(--muted); max-width: 50rem; }
        a { color: var(--accent); }
        table { border-collapse: collapse; width: 100%; margin: 1rem 0; font-size: .92rem; }
        caption { text-align: left; font-weight: 600; padding: .3rem 0; }
        th, td { padding: .35rem .5rem; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
        th { background: #f6f4f0; } td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
        dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem; }
        dl.facts dt { font-weight: 600; } dl.facts dd { margin: 0; }
        ol.timeline { list-style: none; padding: 0; margin: 1rem 0; }
        ol.timeline li { display: grid; grid-template-columns: 16rem 18rem 1fr; gap: .8rem; padding: .5rem 0; border-bottom: 1px solid var(--line); align-items: center; }
        ol.timeline .when time { display: block; font-weight: 600; } ol.timeline .utc, ol.timeline .what { display: block; color: var(--muted); font-size: .85rem; }
        ol.timeline svg.sun { overflow: visible; } svg.sun rect.day { fill: #f3c98b; } svg.sun circle { fill: #2b2118; stroke: #fff; stroke-width: 2; }
        li.status-cancelled .where, li.status-not-held .where { text-decoration: line-through; color: var(--muted); }
        .outcome { display: inline-block; padding: 0 .4rem; border-radius: .3rem; font-size: .85rem; color: #fff; background: var(--none); }
        .outcome.accepted { background: var(--ok); } .outcome.refused, .outcome.blocked { background: var(--bad); } .outcome.nobody-came-out { background: var(--warn); color: #222; }
        figure.map { margin: 1rem 0; } figure.map svg { width: 100%; height: auto; border: 1px solid var(--line); }
        figcaption { color: var(--muted); font-size: .85rem; }
        .sea { fill: var(--sea); } .land { fill: var(--land); stroke: #b9b09c; stroke-width: .6; }
        .grid { stroke: #c9d5de; stroke-width: .5; } .grid.equator { stroke: #9fb3c2; }
        circle.mission { fill: var(--accent); stroke: #fff; stroke-width: 1.5; }
        circle.accepted { fill: var(--ok); } circle.refused, circle.blocked { fill: var(--bad); } circle.nobody-came-out { fill: var(--warn); }
        circle.status-held, circle.status-scheduled { fill: var(--none); } circle.status-cancelled, circle.status-not-held { fill: #fff; stroke: var(--none); }
        text.label { font-size: 11px; fill: #333; paint-order: stroke; stroke: #fff; stroke-width: 3px; }
        .problem { font-size: 1.1rem; }
        footer { max-width: 72rem; margin: 2rem auto; padding: 1rem; color: var(--muted); font-size: .85rem; border-top: 1px solid var(--line); }
        @media (max-width: 700px) { ol.timeline li { grid-template-columns: 1fr; } table { font-size: .8rem; } }
        """
}
