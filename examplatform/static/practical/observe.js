// The commission's live observation: every candidate's state, clock, number of actions and latest actions.
(() => {
  "use strict";
  const app = document.getElementById("observe-app");
  if (!app) return;
  const el = (tag, text) => { const node = document.createElement(tag); if (text !== undefined) node.textContent = text; return node; };

  function row(c) {
    const tr = el("tr");
    tr.dataset.attempt = c.attempt;
    const name = el("td");
    const link = el("a", c.candidate);
    link.href = c.timeline_url;
    name.append(link);
    const latest = el("td");
    const list = el("ul");
    list.className = "list-unstyled small mb-0";
    for (const e of c.latest) list.append(el("li", `${e.at.slice(11, 19)} · ${e.action}${e.summary ? " — " + e.summary : ""}`));
    if (!c.latest.length) list.append(el("li", app.dataset.tNone));
    latest.append(list);
    const tasks = `${c.tasks_done}/${c.tasks_total} (${c.points}/${c.max_points} ${app.dataset.tPoints})`;
    tr.append(name, el("td", c.status_label), el("td", `${Math.floor(c.remaining_seconds / 60)} min`), el("td", tasks), el("td", String(c.actions)), latest);
    return tr;
  }

  async function refresh() {
    try {
      const response = await fetch(app.dataset.url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
      if (!response.ok) return;
      const body = await response.json();
      if (!body.candidates.length) return;
      document.getElementById("observe-rows").replaceChildren(...body.candidates.map(row));
    } catch (_err) { /* try again at the next tick */ }
  }
  setInterval(refresh, 5000);
})();
