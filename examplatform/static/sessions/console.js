// Operator console: keep the roster live and send the selected candidates with the action form.
(() => {
  "use strict";
  const table = document.getElementById("roster");
  const form = document.getElementById("console-form");
  if (!table || !form) return;
  const picks = () => [...table.querySelectorAll("input.pick")];
  document.getElementById("select-all").addEventListener("change", (event) => {
    for (const box of picks()) box.checked = event.target.checked;
  });
  form.addEventListener("submit", () => {
    document.getElementById("attempt_ids").value = picks().filter((b) => b.checked).map((b) => b.value).join(",");
  });
  const clock = (s) => `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
  async function refresh() {
    try {
      const response = await fetch(table.dataset.url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
      if (!response.ok) return;
      const body = await response.json();
      for (const row of body.rows) {
        const tr = table.querySelector(`tr[data-attempt="${row.attempt}"]`);
        if (!tr) continue;
        const badge = document.createElement("span");
        badge.className = "badge text-bg-light border";
        badge.textContent = row.label;
        const state = tr.querySelector('[data-cell="state"]');
        state.replaceChildren(badge);
        if (row.state === "offline") state.append(` (${row.gap} s)`);
        tr.querySelector('[data-cell="answered"]').textContent = `${row.answered} / ${row.total}`;
        tr.querySelector('[data-cell="remaining"]').textContent = clock(row.remaining);
        tr.querySelector('[data-cell="last_save"]').textContent = row.last_save ? new Date(row.last_save).toLocaleTimeString("pl-PL") : "—";
      }
    } catch (_err) { /* the next refresh tries again */ }
  }
  setInterval(refresh, 4000);
})();
