// One candidate's action log, live: new entries are appended as they happen. In a replay (?krok=N) the log
// stands still at that step; when playing, the page moves on to the next step by itself.
(() => {
  "use strict";
  const app = document.getElementById("timeline-app");
  if (!app) return;
  let last = Number(app.dataset.last) || 0;
  const el = (tag, text) => { const node = document.createElement(tag); if (text !== undefined) node.textContent = text; return node; };

  async function refresh() {
    try {
      const response = await fetch(`${app.dataset.url}?since=${last}`, { headers: { Accept: "application/json" }, credentials: "same-origin" });
      if (!response.ok) return;
      const body = await response.json();
      const rows = document.getElementById("timeline-rows");
      for (const e of body.events) {
        const tr = el("tr");
        tr.id = `event-${e.seq}`;
        const changed = el("td");
        changed.className = "small";
        for (const c of e.changes) {
          const line = el("div");
          line.append(el("code", c.field), `: ${c.before ?? "—"} → ${c.after ?? "—"}`);
          changed.append(line);
        }
        tr.append(el("td", String(e.seq)), el("td", e.at.slice(0, 19).replace("T", " ")), el("td", e.actor), el("td", e.action), el("td", e.entity), el("td", e.summary), changed);
        rows.append(tr);
        last = Math.max(last, e.seq);
      }
    } catch (_err) { /* try again at the next tick */ }
  }
  if (app.dataset.replay) {
    const next = document.querySelector('[data-testid="replay-next"]');
    if (app.dataset.playing && next) setTimeout(() => window.location.replace(next.href), 1500);
    return;
  }
  setInterval(refresh, 3000);
})();
