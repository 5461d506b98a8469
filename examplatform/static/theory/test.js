// The candidate's test page: one item per screen, every change saved at once, nothing lost offline.
// Answers wait in a queue kept in localStorage until the server has committed them; the queue is replayed
// in sequence order after a network drop or a reload. The server's clock is the only clock.
(() => {
  "use strict";
  const app = document.getElementById("test-app");
  if (!app) return;
  const T = document.getElementById("t-texts").dataset;
  const STORE = `examplatform.attempt.${app.dataset.attempt}`;
  const $ = (id) => document.getElementById(id);
  const fmt = (template, vars) => template.replace(/%\((\w+)\)s/g, (_m, k) => String(vars[k]));

  const saved = JSON.parse(localStorage.getItem(STORE) || '{"seq":0,"queue":[]}');
  let seq = saved.seq || 0;
  let queue = saved.queue || [];
  let items = [];
  const answers = {};
  let current = 1;
  let remaining = 0;
  let lastContact = 0; // when the server last acknowledged a save or a heartbeat (Date.now())
  let status = "in_progress";
  let sending = false;
  let retryDelay = 1000;
  const debounce = {};

  const persist = () => localStorage.setItem(STORE, JSON.stringify({ seq, queue }));

  function setSaveState(kind) {
    const badge = $("save-state");
    badge.dataset.state = kind;
    badge.textContent = { saved: T.saved, saving: T.saving, offline: T.offline }[kind] || badge.textContent;
    badge.className = "badge " + ({ saved: "text-bg-success", saving: "text-bg-secondary", offline: "text-bg-danger" }[kind] || "text-bg-secondary");
  }

  function headers() {
    return { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": app.dataset.csrf };
  }

  async function post(url, body) {
    return fetch(url, { method: "POST", headers: headers(), body: JSON.stringify(body), credentials: "same-origin", redirect: "manual" });
  }

  // --- sending -----------------------------------------------------------------------------------------
  async function pump() {
    if (sending || queue.length === 0 || status === "submitted") {
      if (queue.length === 0 && !sending) setSaveState("saved");
      return;
    }
    sending = true;
    setSaveState(navigator.onLine ? "saving" : "offline");
    const entry = queue[0];
    try {
      const response = await post(app.dataset.saveUrl, entry);
      if (response.ok) {
        const ack = await response.json();
        queue.shift();
        persist();
        retryDelay = 1000;
        lastContact = Date.now();
        remaining = ack.remaining_seconds;
        status = ack.status;
      } else if (response.status === 409) {
        const body = await response.json();
        if (body.status !== "submitted") { // e.g. opened on another workstation: keep the answers, wait for the operator
          blocked(body.message || body.error);
          sending = false;
          setTimeout(pump, 15000);
          return;
        }
        queue = [];
        persist();
        finished(body);
      } else if (response.status === 400 || response.status === 404) {
        queue.shift(); // a malformed entry must not block the ones behind it
        persist();
      } else {
        throw new Error(`HTTP ${response.status}`);
      }
    } catch (_err) {
      setSaveState("offline");
      sending = false;
      setTimeout(pump, retryDelay);
      retryDelay = Math.min(retryDelay * 2, 15000);
      return;
    }
    sending = false;
    pump();
  }

  function record(position, value, flagged) {
    answers[position] = { value, flagged };
    seq += 1;
    queue.push({ seq, position, value, flagged, client_at: new Date().toISOString() });
    persist();
    renderNavigator();
    pump();
  }

  function change(position, value) {
    const flagged = (answers[position] || {}).flagged || false;
    answers[position] = { value, flagged };
    renderNavigator();
    setSaveState("saving");
    clearTimeout(debounce[position]);
    debounce[position] = setTimeout(() => { delete debounce[position]; record(position, value, flagged); }, 250);
  }

  function flushDebounced() {
    for (const [position, timer] of Object.entries(debounce)) {
      clearTimeout(timer);
      delete debounce[position];
      const a = answers[position];
      record(Number(position), a.value, a.flagged);
    }
  }

  // --- rendering ---------------------------------------------------------------------------------------
  function el(tag, attrs = {}, text) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function choice(type, name, id, value, label, checked, onChange) {
    const wrap = el("div", { class: "form-check mb-2" });
    const input = el("input", { class: "form-check-input", type, name, id, value });
    input.checked = checked;
    input.addEventListener("change", onChange);
    wrap.append(input, el("label", { class: "form-check-label", for: id }, label));
    return wrap;
  }

  function renderItem() {
    const box = $("item");
    box.replaceChildren();
    const item = items[current - 1];
    if (!item) return;
    const value = (answers[item.position] || {}).value;
    const fieldset = el("fieldset", { "data-item-type": item.type, "data-position": String(item.position) });
    fieldset.append(el("legend", { class: "fs-6 text-body-secondary" }, fmt(T.item, { n: item.position, of: items.length })));
    fieldset.append(el("p", { class: "fs-5 item-stem" }, item.stem));
    const name = `answer-${item.position}`;
    if (item.type === "single") {
      for (const o of item.options) {
        fieldset.append(choice("radio", name, `${name}-${o.id}`, o.id, o.text, value === o.id, () => change(item.position, o.id)));
      }
    } else if (item.type === "multiple") {
      const chosen = new Set(value || []);
      for (const o of item.options) {
        fieldset.append(choice("checkbox", name, `${name}-${o.id}`, o.id, o.text, chosen.has(o.id), () => {
          const ids = [...fieldset.querySelectorAll("input:checked")].map((i) => i.value).sort();
          change(item.position, ids.length ? ids : null);
        }));
      }
    } else if (item.type === "truefalse") {
      for (const [v, label] of [[true, T.true], [false, T.false]]) {
        fieldset.append(choice("radio", name, `${name}-${v}`, String(v), label, value === v, () => change(item.position, v)));
      }
    } else if (item.type === "matching") {
      const pairs = value || {};
      const table = el("table", { class: "table align-middle" });
      for (const p of item.premises) {
        const row = el("tr");
        row.append(el("th", { scope: "row", class: "fw-normal" }, p.text));
        const cell = el("td");
        const select = el("select", { class: "form-select", id: `${name}-${p.id}`, "aria-label": p.text });
        select.append(el("option", { value: "" }, T.choose));
        for (const r of item.responses) {
          const option = el("option", { value: r.id }, r.text);
          option.selected = pairs[p.id] === r.id;
          select.append(option);
        }
        select.addEventListener("change", () => {
          const next = {};
          for (const s of table.querySelectorAll("select")) if (s.value) next[s.id.split("-").pop()] = s.value;
          change(item.position, Object.keys(next).length ? next : null);
        });
        cell.append(select);
        row.append(cell);
        table.append(row);
      }
      fieldset.append(table);
    } else if (item.type === "ordering") {
      const order = value || item.options.map((o) => o.id);
      const texts = Object.fromEntries(item.options.map((o) => [o.id, o.text]));
      const list = el("ol", { class: "ordering-list" });
      order.forEach((id, index) => {
        const li = el("li", { class: "d-flex align-items-center gap-2 mb-2" });
        const up = el("button", { type: "button", class: "btn btn-sm btn-outline-secondary", "aria-label": `${T.place} ${index} — ${texts[id]}` }, "↑");
        const down = el("button", { type: "button", class: "btn btn-sm btn-outline-secondary", "aria-label": `${T.place} ${index + 2} — ${texts[id]}` }, "↓");
        up.disabled = index === 0;
        down.disabled = index === order.length - 1;
        const move = (delta) => {
          const next = order.slice();
          [next[index], next[index + delta]] = [next[index + delta], next[index]];
          change(item.position, next);
          renderItem();
        };
        up.addEventListener("click", () => move(-1));
        down.addEventListener("click", () => move(1));
        li.append(up, down, el("span", { "data-option": id }, texts[id]));
        list.append(li);
      });
      fieldset.append(list);
    }
    fieldset.disabled = status !== "in_progress";
    box.append(fieldset);
    $("flag").checked = (answers[item.position] || {}).flagged || false;
    $("prev").disabled = current === 1;
    $("next").disabled = current === items.length;
  }

  function isAnswered(position) {
    const a = answers[position];
    return a && a.value !== null && a.value !== undefined;
  }

  function renderNavigator() {
    const nav = $("navigator");
    nav.replaceChildren();
    let answered = 0;
    for (const item of items) {
      const done = isAnswered(item.position);
      answered += done ? 1 : 0;
      const flagged = (answers[item.position] || {}).flagged;
      const button = el("button", {
        type: "button",
        class: `btn btn-sm nav-item-btn ${done ? "btn-dark" : "btn-outline-dark"}${flagged ? " flagged" : ""}`,
        "aria-label": fmt(T.item, { n: item.position, of: items.length }),
      }, String(item.position));
      if (item.position === current) button.setAttribute("aria-current", "step");
      button.addEventListener("click", () => go(item.position));
      nav.append(button);
    }
    $("progress").textContent = fmt(T.answered, { n: answered, of: items.length });
  }

  function renderClock() {
    const s = Math.max(0, Math.floor(remaining));
    const h = Math.floor(s / 3600);
    const m = Math.floor((s % 3600) / 60);
    const sec = String(s % 60).padStart(2, "0");
    $("clock").textContent = h ? `${h}:${String(m).padStart(2, "0")}:${sec}` : `${m}:${sec}`;
    $("paused").classList.toggle("d-none", status !== "paused");
  }

  function blocked(message) {
    const closed = $("closed");
    closed.textContent = message;
    closed.classList.remove("d-none");
    setSaveState("offline");
  }

  function finished(body) {
    status = "submitted";
    const closed = $("closed");
    closed.textContent = (body && body.error) ? `${body.error} ${T.closed}` : T.closed;
    closed.classList.remove("d-none");
    localStorage.removeItem(STORE);
    setTimeout(() => { window.location.href = app.dataset.submitUrl.replace(/submit$/, "receipt"); }, 1500);
  }

  // --- clock and heartbeat -----------------------------------------------------------------------------
  let lastTick = Date.now();
  setInterval(() => {
    const now = Date.now();
    if (status === "in_progress") remaining -= (now - lastTick) / 1000;
    lastTick = now;
    renderClock();
  }, 500);

  // A saved answer tells the server the browser is alive and brings back the clock and the status, so a
  // heartbeat is sent only after a whole interval without an acknowledged save.
  const heartbeatMs = Number(app.dataset.heartbeatMs) || 10000;
  async function heartbeat(force) {
    if (force !== true && queue.length === 0 && Date.now() - lastContact < heartbeatMs * 0.9) return;
    try {
      const response = await post(app.dataset.heartbeatUrl, {});
      if (response.status === 409) { blocked((await response.json()).message); return; }
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      $("closed").classList.add("d-none");
      const body = await response.json();
      lastContact = Date.now();
      const wasPaused = status === "paused";
      remaining = body.remaining_seconds;
      status = body.status;
      if (status === "submitted") { finished(null); return; }
      if (wasPaused !== (status === "paused")) renderItem();
      if (queue.length) pump();
    } catch (_err) {
      setSaveState(queue.length ? "offline" : $("save-state").dataset.state);
    }
  }
  setInterval(heartbeat, heartbeatMs);
  window.addEventListener("online", () => { retryDelay = 1000; pump(); heartbeat(true); });
  window.addEventListener("offline", () => setSaveState("offline"));

  // --- controls ----------------------------------------------------------------------------------------
  const go = (position) => { flushDebounced(); current = position; renderItem(); renderNavigator(); };
  $("prev").addEventListener("click", () => { if (current > 1) go(current - 1); });
  $("next").addEventListener("click", () => { if (current < items.length) go(current + 1); });
  window.addEventListener("pagehide", flushDebounced); // a pending change goes to the stored queue before leaving
  $("flag").addEventListener("change", (event) => {
    const item = items[current - 1];
    const value = (answers[item.position] || {}).value ?? null;
    record(item.position, value, event.target.checked);
  });
  $("submit").addEventListener("click", async () => {
    flushDebounced();
    for (let i = 0; i < 20 && queue.length; i += 1) {
      pump();
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    if (queue.length) { window.alert(T.pending); return; }
    const unanswered = items.filter((i) => !isAnswered(i.position)).length;
    const question = unanswered ? `${fmt(T.unanswered, { n: unanswered })} ${T.confirm}` : T.confirm;
    if (!window.confirm(question)) return;
    const response = await post(app.dataset.submitUrl, { last_seq: seq });
    if (response.ok) {
      const body = await response.json();
      localStorage.removeItem(STORE);
      window.location.href = body.url;
    }
  });

  // --- start -------------------------------------------------------------------------------------------
  async function load() {
    // opened straight from the start form: a reload must open the test, not send the PIN again
    if (window.location.pathname !== app.dataset.pageUrl) window.history.replaceState(null, "", app.dataset.pageUrl);
    // the page carries the state it was rendered with; the state URL is for a page without it
    const embedded = document.getElementById("initial-state");
    const state = embedded
      ? JSON.parse(embedded.textContent)
      : await (await fetch(app.dataset.stateUrl, { headers: { Accept: "application/json" }, credentials: "same-origin" })).json();
    items = state.items;
    status = state.status;
    remaining = state.remaining_seconds;
    seq = Math.max(seq, state.last_seq);
    for (const [position, a] of Object.entries(state.answers)) answers[position] = { value: a.value, flagged: a.flagged };
    for (const q of queue) answers[q.position] = { value: q.value, flagged: q.flagged }; // not yet on the server: newer
    persist();
    if (status === "submitted") { finished(null); return; }
    renderItem();
    renderNavigator();
    renderClock();
    setSaveState(queue.length ? "saving" : "saved");
    pump();
  }
  load();
})();
