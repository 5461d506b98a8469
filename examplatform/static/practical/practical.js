// The candidate's practical part: the server's clock (re-read every 15 s) and the finish confirmation.
(() => {
  "use strict";
  const app = document.getElementById("practical-app");
  if (!app) return;
  const clock = document.getElementById("clock");
  let remaining = Number(app.dataset.remaining) || 0;
  let status = app.dataset.status;
  let last = Date.now();

  function render() {
    if (!clock) return;
    const s = Math.max(0, Math.floor(remaining));
    const h = Math.floor(s / 3600);
    const m = Math.floor((s % 3600) / 60);
    const sec = String(s % 60).padStart(2, "0");
    clock.textContent = h ? `${h}:${String(m).padStart(2, "0")}:${sec}` : `${m}:${sec}`;
  }

  async function refresh() {
    try {
      const response = await fetch(app.dataset.stateUrl, { headers: { Accept: "application/json" }, credentials: "same-origin" });
      if (!response.ok) return;
      const body = await response.json();
      remaining = body.remaining_seconds;
      if (body.status !== status) window.location.reload();
    } catch (_err) { /* offline: the local clock goes on; the server's deadline decides */ }
  }

  setInterval(() => {
    const now = Date.now();
    if (status === "in_progress") remaining -= (now - last) / 1000;
    last = now;
    render();
    if (status === "in_progress" && remaining <= 0) refresh();
  }, 1000);
  setInterval(refresh, 15000);
  render();

  const form = document.getElementById("finish-form");
  if (form) {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  }
})();
