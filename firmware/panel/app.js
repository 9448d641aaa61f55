/* app.js - shopcast's web panel: the operator's show controls and the
 * technician's view, over the box's control API (/api/v1/...) and its
 * WebSocket feed (status, events, the program preview).
 *
 * No framework and no build step: the DOM of index.html, updated from the
 * latest status the feed pushed. Every request that changes something sends
 * the session's CSRF token; an error the box answers is shown as it is
 * written (the box writes its errors for people). Strings live in i18n.js.
 *
 * The panel is four plain scripts, in index.html's order: i18n.js (the
 * strings), tables.js (the signal path's tables), technician.js (the
 * technician's tab), then this one, which holds the session, the feed, the
 * status and the operator's controls, hands the other two what they share,
 * and starts the panel. */
"use strict";

(function () {
  const $ = (id) => document.getElementById(id);
  const t = (key, params) => window.ScI18n.t(key, params);

  const EVENTS_MAX = 200; /* events kept in the log's DOM */
  const FEED_RETRY_MAX_MS = 10000;
  const LIVE_SKEW_MS = 2000; /* box and phone clocks further apart: trust flash_left_s */

  const state = {
    loggedIn: false,
    role: null,
    csrf: null,
    status: null,
    ws: null,
    wsRetry: 0,
    wsTimer: 0,
    frames: 0,
    shownUrl: null,
    decoding: false,
    pendingFrame: null,
    flashEnd: null, /* the flash sale's end on this device's clock (ms) */
    liveSince: null,
    productsKey: "",
    eventKeys: new Set(),
    board: null,
    preflight: null,
    config: null, /* the editor's model */
    configPath: "",
    configScenes: [],
    toastTimer: 0,
  };

  /* ---- the API ---- */

  class ApiError extends Error {
    constructor(message, status) {
      super(message);
      this.status = status;
    }
  }

  async function api(method, path, body) {
    const init = { method, headers: { Accept: "application/json" }, credentials: "same-origin", cache: "no-store" };
    if (method !== "GET") {
      init.headers["Content-Type"] = "application/json";
      if (state.csrf) init.headers["X-CSRF-Token"] = state.csrf;
      init.body = JSON.stringify(body || {});
    }
    let res;
    try {
      res = await fetch(path, init);
    } catch (e) {
      throw new ApiError(t("error.network", { message: e.message }), 0);
    }
    const text = await res.text();
    let data = null;
    if (text) {
      try {
        data = JSON.parse(text);
      } catch (e) {
        data = null;
      }
    }
    if (!res.ok) {
      const message = data && typeof data.error === "string" ? data.error : t("error.generic", { status: res.status });
      throw new ApiError(message, res.status);
    }
    return data;
  }

  /* The session, or null when not logged in. */
  async function fetchSession() {
    try {
      return await api("GET", "/api/v1/session");
    } catch (e) {
      if (e.status === 401) return null;
      throw e;
    }
  }

  /* Runs an action for a button: the button rests while it runs, an error is
   * shown verbatim. Returns the answer, or null after an error. */
  async function act(button, method, path, body, okMessage) {
    if (button) button.disabled = true;
    try {
      const answer = await api(method, path, body);
      if (okMessage) toast(typeof okMessage === "function" ? okMessage(answer) : okMessage, "ok");
      return answer;
    } catch (e) {
      failed(e);
      return null;
    } finally {
      if (button) button.disabled = false;
    }
  }

  function failed(e) {
    if (e.status === 401 && state.loggedIn) {
      sessionEnded(e.message);
      return;
    }
    toast(e.message, "error");
  }

  /* ---- small helpers ---- */

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function pad2(n) {
    return String(n).padStart(2, "0");
  }

  /* 3725 -> "1:02:05", 65 -> "01:05" */
  function duration(seconds, withHours) {
    const s = Math.max(0, Math.floor(seconds));
    const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
    if (withHours) return `${pad2(h)}:${pad2(m)}:${pad2(r)}`;
    return h > 0 ? `${h}:${pad2(m)}:${pad2(r)}` : `${pad2(m)}:${pad2(r)}`;
  }

  /* Whether @node shows something else than @key says (and remembers @key). */
  function changed(node, key) {
    if (node.dataset.key === key) return false;
    node.dataset.key = key;
    return true;
  }

  /* Writes only what changed, so a status every 100 ms leaves the DOM (and a
   * finger on a button) alone. */
  function setText(node, value) {
    const text = value === null || value === undefined ? "" : String(value);
    if (node.textContent !== text) node.textContent = text;
  }

  function toast(message, kind) {
    const box = $("toast");
    box.textContent = message;
    box.dataset.kind = kind || "ok";
    box.hidden = false;
    clearTimeout(state.toastTimer);
    state.toastTimer = setTimeout(() => {
      box.hidden = true;
    }, kind === "error" ? 7000 : 3500);
  }

  function confirmAsk(text) {
    const dialog = $("confirm-dialog");
    $("confirm-text").textContent = text;
    return new Promise((resolve) => {
      const finish = (answer) => {
        $("confirm-yes").onclick = $("confirm-no").onclick = dialog.oncancel = null;
        if (dialog.open) dialog.close();
        resolve(answer);
      };
      $("confirm-yes").onclick = () => finish(true);
      $("confirm-no").onclick = () => finish(false);
      dialog.oncancel = (ev) => {
        ev.preventDefault();
        finish(false);
      };
      dialog.showModal();
      $("confirm-no").focus(); /* Enter alone never takes the box on or off air */
    });
  }

  function setToggle(button, on) {
    const onKey = button.dataset.on || "state.on", offKey = button.dataset.off || "state.off";
    button.setAttribute("aria-pressed", on ? "true" : "false");
    if (button.children.length !== 2) button.replaceChildren(el("span", "toggle-name"), el("span", "toggle-state"));
    setText(button.children[0], t(button.dataset.name));
    setText(button.children[1], t(on ? onKey : offKey));
  }

  function isPressed(button) {
    return button.getAttribute("aria-pressed") === "true";
  }

  /* ---- views ---- */

  function showView(name) {
    $("setup-view").hidden = name !== "setup";
    $("login-view").hidden = name !== "login";
    $("app-view").hidden = name !== "app";
    $("logout").hidden = name !== "app";
    document.body.dataset.view = name;
    if (name === "login") {
      try {
        const role = window.localStorage.getItem("shopcast.role");
        if (role) $("login-role").value = role;
        $("login-username").value = $("login-role").value;
      } catch (e) {
        /* no storage: the default role */
      }
      $("login-password").focus();
    } else if (name === "setup") {
      $("setup-password").focus();
    }
  }

  function selectTab(id) {
    document.querySelectorAll(".tab").forEach((tab) => {
      const selected = tab.id === id;
      tab.setAttribute("aria-selected", selected ? "true" : "false");
      $(tab.dataset.panel).hidden = !selected;
    });
    if (id === "tab-tech" && state.role === "technician") technician.load();
  }

  function enter(session) {
    state.loggedIn = true;
    state.role = session.role;
    state.csrf = session.csrf;
    try {
      window.localStorage.setItem("shopcast.role", session.role);
    } catch (e) {
      /* not remembered */
    }
    applyRole(session.role);
    selectTab("tab-show");
    showView("app");
    api("GET", "/api/v1/status").then(render, failed);
    loadEvents();
    connectFeed();
  }

  /* What the role may see: the technician's tab only for the technician. */
  function applyRole(role) {
    state.role = role;
    const technician = role === "technician";
    $("who").textContent = t(technician ? "who.technician" : "who.operator");
    $("who").dataset.role = role;
    $("tab-tech").hidden = !technician;
    if (!technician) {
      $("panel-tech").hidden = true;
      if ($("tab-tech").getAttribute("aria-selected") === "true") selectTab("tab-show");
    }
  }

  /* Forgets everything of the session: the feed, the preview, the data. */
  function leave() {
    state.loggedIn = false;
    state.role = state.csrf = null;
    clearTimeout(state.wsTimer);
    if (state.ws) {
      const ws = state.ws;
      state.ws = null;
      ws.close(1000, "logout");
    }
    const img = $("preview");
    img.removeAttribute("src");
    if (state.shownUrl) URL.revokeObjectURL(state.shownUrl);
    state.shownUrl = null;
    state.pendingFrame = null;
    state.decoding = false;
    $("preview-waiting").hidden = false;
    state.status = null;
    state.liveSince = state.flashEnd = null;
    state.productsKey = "";
    state.board = state.preflight = state.config = null;
    state.configScenes = [];
    state.eventKeys.clear();
    $("event-log").replaceChildren();
    $("board-info").replaceChildren();
    $("preflight-results").replaceChildren();
    $("preflight-summary").textContent = "";
    $("config-editor").replaceChildren();
    $("config-message").textContent = $("password-message").textContent = "";
    $("who").textContent = "";
    setConn("none");
    renderLive(false, null);
  }

  function sessionEnded(message) {
    leave();
    showView("login");
    $("login-error").textContent = message || t("login.expired");
  }

  /* ---- the feed ---- */

  function setConn(which) {
    const conn = $("conn");
    conn.dataset.state = which;
    conn.textContent = which === "none" ? "" : t(`conn.${which}`);
  }

  function connectFeed() {
    clearTimeout(state.wsTimer);
    const scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
    const ws = new WebSocket(`${scheme}//${window.location.host}/api/v1/ws`);
    ws.binaryType = "blob";
    state.ws = ws;
    state.decoding = false;
    state.pendingFrame = null;
    setConn("connecting");
    ws.onopen = () => {
      state.wsRetry = 0;
      setConn("online");
      sendPreviewWish();
    };
    ws.onmessage = (ev) => {
      if (state.ws !== ws) return;
      if (typeof ev.data === "string") onFeedText(ev.data);
      else onFrame(ev.data);
    };
    ws.onclose = () => {
      if (state.ws !== ws) return;
      state.ws = null;
      if (!state.loggedIn) return;
      setConn("offline");
      feedRetry();
    };
  }

  /* After a lost feed: back to the login if the session has ended (the
   * handshake of a refused WebSocket shows the page no status), else a new
   * feed after a growing, jittered wait. */
  function feedRetry() {
    const delay = Math.min(FEED_RETRY_MAX_MS, 500 * 2 ** state.wsRetry) * (0.75 + Math.random() * 0.5);
    state.wsRetry = Math.min(state.wsRetry + 1, 8);
    state.wsTimer = setTimeout(async () => {
      if (!state.loggedIn) return;
      let session;
      try {
        session = await fetchSession();
      } catch (e) {
        feedRetry(); /* the box is unreachable: keep trying */
        return;
      }
      if (!state.loggedIn) return;
      if (session === null) sessionEnded();
      else connectFeed();
    }, delay);
  }

  function sendPreviewWish() {
    if (state.ws && state.ws.readyState === WebSocket.OPEN)
      state.ws.send(JSON.stringify({ preview: !document.hidden }));
  }

  function ack() {
    if (state.ws && state.ws.readyState === WebSocket.OPEN) state.ws.send('{"ack":1}');
  }

  function onFeedText(text) {
    let msg;
    try {
      msg = JSON.parse(text);
    } catch (e) {
      return;
    }
    if (msg.type === "status" && msg.status) render(msg.status);
    else if (msg.type === "event" && msg.event) addEvent(msg.event, true);
    else if (msg.type === "hello" && msg.role && msg.role !== state.role) applyRole(msg.role);
  }

  /* A JPEG of the program: shown once decoded, then acknowledged. A frame
   * that arrives while one decodes waits; a newer one replaces it. */
  function onFrame(blob) {
    if (state.decoding) {
      if (state.pendingFrame) ack(); /* skipped, but taken */
      state.pendingFrame = blob;
      return;
    }
    showFrame(blob);
  }

  async function showFrame(blob) {
    const ws = state.ws;
    state.decoding = true;
    const img = $("preview");
    const url = URL.createObjectURL(blob);
    img.src = url;
    try {
      await img.decode();
    } catch (e) {
      /* a frame that does not decode is skipped */
    }
    if (state.ws !== ws || !state.loggedIn) {
      URL.revokeObjectURL(url);
      return;
    }
    if (state.shownUrl) URL.revokeObjectURL(state.shownUrl);
    state.shownUrl = url;
    state.frames++;
    img.dataset.frames = String(state.frames);
    $("preview-waiting").hidden = true;
    ack();
    state.decoding = false;
    if (state.pendingFrame) {
      const next = state.pendingFrame;
      state.pendingFrame = null;
      showFrame(next);
    }
  }

  /* ---- the signal path: uplinks, destinations, cameras (tables.js) ---- */

  const tables = window.ScPanelTables({ $, t, el, changed, setText });

  /* ---- status ---- */

  function render(status) {
    if (!status || !state.loggedIn) return;
    state.status = status;
    renderLive(status.live, status.live_since_ms);
    const tally = $("tally");
    tally.textContent = status.tally ? (window.ScI18n.has(`tally.${status.tally}`) ? t(`tally.${status.tally}`) : status.tally) : "—";
    tally.dataset.state = status.tally || "";
    renderRecording(status.recording);
    renderShow(status.show);
    renderAudio(status.audio);
    renderStudio(status.studio);
    tables.renderUplinks(status.uplinks || []);
    tables.renderDestinations(status.destinations || []);
    tables.renderSignalSummary(status.uplinks || [], status.destinations || []);
    tables.renderCameras(status.cameras || []);
  }

  function renderLive(live, sinceMs) {
    const onair = $("onair");
    onair.dataset.state = live ? "on" : "off";
    onair.textContent = t(live ? "onair.on" : "onair.off");
    document.body.classList.toggle("is-live", !!live);
    state.liveSince = live && typeof sinceMs === "number" ? sinceMs : null;
    $("go-live").hidden = !!live;
    $("end-show").hidden = !live;
    tick();
  }

  /* The show's recording (status.recording): its state, time and size while
   * live; a stop by the disk in the warning colour; after the show, a link to
   * download its report once it is made. */
  function renderRecording(recording) {
    const box = $("recording");
    if (!recording || typeof recording !== "object") {
      box.hidden = true;
      return;
    }
    const stopped = recording.stop === "disk-full" || recording.stop === "failed";
    const state = !recording.enabled ? "off" : stopped ? recording.stop : recording.state;
    const parts = [window.ScI18n.has(`recording.${state}`) ? t(`recording.${state}`) : String(state)];
    if (recording.live && recording.enabled) {
      parts.push(duration((recording.duration_ms || 0) / 1000, true));
      parts.push(`${Math.round((recording.bytes || 0) / 1048576)} MB`);
    }
    if (recording.dropped_tags) parts.push(t("recording.dropped", { n: recording.dropped_tags }));
    const text = parts.join(" · ");
    const report = !recording.live && recording.report_ready && recording.show ? recording.show : "";
    box.dataset.state = state;
    if (changed(box, `${window.ScI18n.language}|${text}|${report}`)) {
      const children = [el("span", "label", t("recording")), document.createTextNode(" "), el("strong", null, text)];
      if (report) {
        const link = el("a", "rec-report", t("recording.report"));
        link.href = `/api/v1/report.html?show=${encodeURIComponent(report)}`;
        link.download = `${report}-report.html`;
        children.push(document.createTextNode(" "), link);
      }
      box.replaceChildren(...children);
    }
    box.hidden = false;
  }

  function renderShow(show) {
    const products = (show && show.products) || [];
    const current = show && show.product ? products.find((p) => p.id === show.product) : null;
    const name = $("current-product");
    name.textContent = current ? current.name : t("product.none");
    name.dataset.id = current ? current.id : "";
    $("current-price").textContent = show && show.product && show.price ? `¥${show.price}` : "";
    const next = show && show.next ? products.find((p) => p.id === show.next) : null;
    $("upnext").textContent = next ? t("product.upnext", { name: next.name }) : "";
    const explain = $("explain-timer");
    explain.textContent = duration(show ? show.explain_s || 0 : 0);
    explain.dataset.over = show && show.explain_over_limit ? "true" : "false";
    $("explain-warning").hidden = !(show && show.explain_over_limit);
    $("price-input").placeholder = current ? current.price : "";
    $("stock-input").placeholder = current && current.stock >= 0 ? String(current.stock) : "";
    setToggle($("coupon-toggle"), !!(show && show.coupon));
    setToggle($("stock-toggle"), !!(show && show.stock));
    setToggle($("opening-toggle"), !!(show && show.opening));
    setToggle($("closing-toggle"), !!(show && show.closing));
    $("lt-state").textContent = show && show.lower_third ? `${t("state.on")}: ${show.lower_third}` : t("state.off");
    renderFlash(show);
    renderRunOfShow(products, show ? show.next : null);
  }

  function renderFlash(show) {
    const box = $("countdown");
    if (show && show.flash_sale && typeof show.flash_end_ms === "number") {
      let end = show.flash_end_ms;
      /* a phone whose clock is off by more than a moment counts from what is left */
      if (typeof show.flash_left_s === "number" && Math.abs(end - Date.now() - show.flash_left_s * 1000) > LIVE_SKEW_MS)
        end = Date.now() + show.flash_left_s * 1000;
      state.flashEnd = end;
      box.dataset.running = "true";
    } else {
      state.flashEnd = null;
      box.dataset.running = "false";
    }
    tick();
  }

  function renderRunOfShow(products, nextId) {
    const key = JSON.stringify([products, nextId, window.ScI18n.language]);
    if (key === state.productsKey) return;
    state.productsKey = key;
    const list = $("run-of-show");
    list.replaceChildren(
      ...products.map((p, i) => {
        const li = el("li", "ros-row");
        const button = el("button", "ros-item");
        button.type = "button";
        button.id = `product-${p.id}`;
        button.dataset.id = p.id;
        button.title = t("ros.goto");
        if (p.on_air) button.classList.add("on-air");
        if (p.id === nextId) button.classList.add("next");
        const facts = [t("ros.price", { price: p.price })];
        if (p.stock >= 0) facts.push(t("ros.stock", { stock: p.stock }));
        if (p.flash_sale_s > 0) facts.push(t("ros.flash", { s: p.flash_sale_s }));
        const badge = p.on_air ? el("span", "badge badge-red", t("ros.onair")) : p.id === nextId ? el("span", "badge", t("ros.next")) : null;
        button.append(el("span", "ros-pos", i + 1), el("span", "ros-name", p.name), el("span", "ros-facts", facts.join(" · ")));
        if (badge) button.append(badge);
        li.append(button);
        return li;
      })
    );
  }

  /* dBFS -> 0..1 of a meter that shows -60..0 dB */
  function level(db) {
    if (typeof db !== "number" || !isFinite(db)) return 0;
    return Math.min(1, Math.max(0, (db + 60) / 60));
  }

  function renderMeter(box, meter) {
    const peaks = (meter && meter.peak_db) || [], rms = (meter && meter.rms_db) || [];
    if (box.dataset.channels !== String(peaks.length)) {
      box.replaceChildren(
        ...peaks.map(() => {
          const bar = el("div", "bar");
          bar.append(el("div", "fill"), el("div", "peak"));
          return bar;
        })
      );
      box.dataset.channels = String(peaks.length);
    }
    box.classList.toggle("clip", !!(meter && meter.clipping));
    Array.from(box.children).forEach((bar, i) => {
      bar.firstChild.style.transform = `scaleX(${level(rms[i]).toFixed(3)})`;
      bar.lastChild.style.left = `${(level(peaks[i]) * 100).toFixed(1)}%`;
      bar.title = `peak ${peaks[i]} dB · RMS ${rms[i]} dB`;
    });
  }

  function renderAudio(audio) {
    renderMeter($("meter-mic"), audio && audio.mic);
    renderMeter($("meter-program"), audio && audio.program);
    $("clipping").hidden = !(audio && ((audio.mic && audio.mic.clipping) || (audio.program && audio.program.clipping)));
    const micLost = $("mic-lost"); /* the platforms hear silence until it is back */
    micLost.hidden = !(audio && audio.mic_state === "lost");
    micLost.title = (audio && audio.mic_lost_because) || "";
    setToggle($("mute-toggle"), !!(audio && audio.mute));
    if (audio && typeof audio.gain_db === "number") $("gain-input").placeholder = String(audio.gain_db);
  }

  function fact(list, label, value) {
    list.append(el("dt", null, label), el("dd", null, value));
  }

  function renderStudio(studio) {
    $("scene-current").textContent = studio && studio.scene ? studio.scene : t("studio.scene.none");
    const scenes = new Set(state.configScenes);
    if (studio && Array.isArray(studio.scenes))
      studio.scenes.forEach((s) => scenes.add(typeof s === "string" ? s : s && s.name));
    scenes.delete(undefined);
    const names = Array.from(scenes).sort();
    const key = names.join("\n");
    const buttons = $("scene-buttons");
    if (buttons.dataset.key !== key) {
      buttons.dataset.key = key;
      $("scene-list").replaceChildren(
        ...names.map((n) => {
          const o = el("option");
          o.value = n;
          return o;
        })
      );
      buttons.replaceChildren(
        ...names.map((n) => {
          const b = el("button", "btn btn-small scene-button", n);
          b.type = "button";
          b.dataset.scene = n;
          return b;
        })
      );
    }
    buttons.querySelectorAll(".scene-button").forEach((b) => b.classList.toggle("active", !!studio && b.dataset.scene === studio.scene));
    const info = $("studio-info");
    if (!changed(info, JSON.stringify([window.ScI18n.language, studio && studio.lights, studio && studio.lamps, studio && studio.problems]))) return;
    info.replaceChildren();
    if (!studio) return;
    if (studio.lights && Object.keys(studio.lights).length)
      fact(info, t("studio.lights"), Object.entries(studio.lights).map(([k, v]) => `${k} ${v}%`).join(" · "));
    if (studio.lamps)
      fact(info, t("studio.lamps"), Object.entries(studio.lamps).map(([k, v]) => `${k} ${v}`).join(" · "));
    if (Array.isArray(studio.problems) && studio.problems.length)
      fact(info, t("studio.problems"), studio.problems.map((p) => (typeof p === "string" ? p : JSON.stringify(p))).join("; "));
  }

  /* The show clock and the flash sale's countdown, from the device's clock. */
  function tick() {
    const clock = $("show-clock");
    clock.textContent = state.liveSince !== null ? duration((Date.now() - state.liveSince) / 1000, true) : "00:00:00";
    clock.dataset.running = state.liveSince !== null ? "true" : "false";
    const countdown = $("countdown");
    if (state.flashEnd !== null) {
      const left = Math.max(0, Math.ceil((state.flashEnd - Date.now()) / 1000));
      countdown.textContent = duration(left);
      countdown.dataset.left = String(left);
    } else {
      countdown.textContent = "--:--";
      countdown.dataset.left = "";
    }
  }

  /* ---- events ---- */

  function eventTime(ts) {
    const d = new Date(ts);
    return isNaN(d) ? String(ts || "") : `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
  }

  function addEvent(ev, newest) {
    const key = `${ev.ts}|${ev.kind}|${ev.subject}|${ev.state}|${ev.detail}`;
    if (state.eventKeys.has(key)) return;
    state.eventKeys.add(key);
    const li = el("li", `event kind-${String(ev.kind || "").replace(/[^a-z-]/gi, "")}`);
    li.title = ev.ts || "";
    li.append(
      el("time", "event-time", eventTime(ev.ts)),
      el("span", "event-kind", ev.kind),
      el("span", "event-subject", ev.subject),
      el("span", "event-state", ev.state),
      el("span", "event-detail", ev.detail || "")
    );
    li.dataset.key = key;
    const log = $("event-log");
    if (newest) log.prepend(li);
    else log.append(li);
    while (log.children.length > EVENTS_MAX) {
      const last = log.lastElementChild;
      state.eventKeys.delete(last.dataset.key);
      last.remove();
    }
    $("event-empty").hidden = log.children.length > 0;
  }

  async function loadEvents() {
    try {
      const events = await api("GET", `/api/v1/events?count=${EVENTS_MAX}`);
      if (Array.isArray(events)) events.forEach((ev) => addEvent(ev, true));
    } catch (e) {
      failed(e);
    }
    $("event-empty").hidden = $("event-log").children.length > 0;
  }

  /* ---- the technician's view (technician.js) ---- */

  const technician = window.ScPanelTechnician({ $, t, state, api, ApiError, act, failed, el, duration, fact, confirmAsk, renderStudio });

  /* ---- the operator's actions ---- */

  const show = (path, body) => (ev) => act(ev.currentTarget, "POST", `/api/v1/show/${path}`, typeof body === "function" ? body() : body);

  async function goLive(on, button) {
    if (!(await confirmAsk(t(on ? "live.confirm.go" : "live.confirm.end")))) return;
    const answer = await act(button, "POST", "/api/v1/live", { on }, t(on ? "live.started" : "live.ended"));
    if (answer) api("GET", "/api/v1/status").then(render, () => {});
  }

  function toggleAction(id, path) {
    $(id).addEventListener("click", (ev) => act(ev.currentTarget, "POST", path, { on: !isPressed(ev.currentTarget) }));
  }

  function bindOperator() {
    $("go-live").addEventListener("click", (ev) => goLive(true, ev.currentTarget));
    $("end-show").addEventListener("click", (ev) => goLive(false, ev.currentTarget));
    $("next-product").addEventListener("click", show("next", {}));
    $("prev-product").addEventListener("click", show("previous", {}));
    $("run-of-show").addEventListener("click", (ev) => {
      const item = ev.target.closest(".ros-item");
      if (item && !item.classList.contains("on-air")) act(item, "POST", "/api/v1/show/goto", { product: item.dataset.id });
    });
    $("flash-start").addEventListener("click", show("flash", { action: "start" }));
    $("flash-stop").addEventListener("click", show("flash", { action: "stop" }));
    $("flash-reset").addEventListener("click", show("flash", { action: "reset" }));
    $("price-form").addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const price = $("price-input").value.trim();
      if (!price) return;
      const answer = await act($("price-set"), "POST", "/api/v1/show/price", { price }, (a) => t("price.done", { price: (a && a.price) || price }));
      if (answer) $("price-input").value = "";
    });
    $("stock-form").addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const count = Number.parseInt($("stock-input").value, 10);
      if (!Number.isFinite(count)) return;
      if (await act($("stock-set"), "POST", "/api/v1/show/stock", { count })) $("stock-input").value = "";
    });
    toggleAction("stock-toggle", "/api/v1/show/stock");
    toggleAction("coupon-toggle", "/api/v1/show/coupon");
    toggleAction("opening-toggle", "/api/v1/show/opening");
    toggleAction("closing-toggle", "/api/v1/show/closing");
    toggleAction("mute-toggle", "/api/v1/audio/mute");
    $("lower-form").addEventListener("submit", (ev) => {
      ev.preventDefault();
      const body = { name: $("lt-name").value.trim() };
      if (!body.name) return;
      const role = $("lt-role").value.trim();
      if (role) body.role = role;
      act($("lt-show"), "POST", "/api/v1/show/lower-third", body);
    });
    $("lt-hide").addEventListener("click", (ev) => act(ev.currentTarget, "DELETE", "/api/v1/show/lower-third", {}));
    $("gain-form").addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const db = Number($("gain-input").value);
      if ($("gain-input").value !== "" && Number.isFinite(db) && (await act($("gain-set"), "POST", "/api/v1/audio/gain", { db }))) $("gain-input").value = "";
    });
    $("scene-form").addEventListener("submit", (ev) => {
      ev.preventDefault();
      const scene = $("scene-input").value.trim();
      if (scene) act($("scene-set"), "POST", "/api/v1/studio/scene", { scene });
    });
    $("scene-buttons").addEventListener("click", (ev) => {
      const b = ev.target.closest(".scene-button");
      if (b) act(b, "POST", "/api/v1/studio/scene", { scene: b.dataset.scene });
    });
    $("destinations").addEventListener("click", (ev) => {
      const b = ev.target.closest(".reconnect");
      if (b) act(b, "POST", "/api/v1/destinations/reconnect", { destination: b.dataset.destination }, t("dest.reconnected", { name: b.dataset.destination }));
    });
  }

  /* ---- setup, login, logout ---- */

  function bindGate() {
    $("setup-form").addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const password = $("setup-password").value, again = $("setup-password2").value;
      const error = $("setup-error");
      error.textContent = "";
      if (password.length < 8 || password.length > 128) return void (error.textContent = t("setup.length"));
      if (password !== again) return void (error.textContent = t("setup.mismatch"));
      $("setup-submit").disabled = true;
      try {
        const session = await api("POST", "/api/v1/setup", { password });
        $("setup-password").value = $("setup-password2").value = "";
        enter(session);
        if (window.ScSystem) window.ScSystem.firstRun(); /* then the box's name and network */
      } catch (e) {
        error.textContent = e.message;
      } finally {
        $("setup-submit").disabled = false;
      }
    });
    $("login-form").addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const error = $("login-error");
      error.textContent = "";
      delete error.dataset.status;
      $("login-submit").disabled = true;
      try {
        const session = await api("POST", "/api/v1/session", { role: $("login-role").value, password: $("login-password").value });
        $("login-password").value = "";
        enter(session);
      } catch (e) {
        error.textContent = e.message;
        error.dataset.status = String(e.status);
      } finally {
        $("login-submit").disabled = false;
      }
    });
    $("login-role").addEventListener("change", () => {
      $("login-username").value = $("login-role").value;
    });
    $("logout").addEventListener("click", async (ev) => {
      const button = ev.currentTarget;
      button.disabled = true;
      try {
        await api("DELETE", "/api/v1/session", {});
      } catch (e) {
        /* the session is forgotten here either way */
      } finally {
        button.disabled = false;
      }
      leave();
      showView("login");
    });
  }

  function bindChrome() {
    $("lang-toggle").addEventListener("click", () => {
      window.ScI18n.setLanguage(window.ScI18n.language === "zh" ? "en" : "zh");
      relabel();
    });
    document.querySelectorAll(".tab").forEach((tab) => tab.addEventListener("click", () => selectTab(tab.id)));
    document.addEventListener("visibilitychange", sendPreviewWish);
  }

  /* Text built by the script, again in the new language. */
  function relabel() {
    if (state.role) $("who").textContent = t(state.role === "technician" ? "who.technician" : "who.operator");
    setConn($("conn").dataset.state);
    state.productsKey = "";
    if (state.status) render(state.status);
    else renderLive(false, null);
    document.querySelectorAll(".toggle").forEach((b) => setToggle(b, isPressed(b)));
    technician.renderBoard();
    technician.renderPreflight();
    technician.renderConfig();
  }

  async function boot() {
    window.ScPanel = { api }; /* for system.js */
    window.ScI18n.apply();
    bindChrome();
    bindGate();
    bindOperator();
    technician.bind();
    document.querySelectorAll(".toggle").forEach((b) => setToggle(b, false));
    renderLive(false, null);
    setInterval(tick, 250);
    try {
      const setup = await api("GET", "/api/v1/setup");
      if (setup && setup.needs_setup) return showView("setup");
      const session = await fetchSession();
      if (session) enter(session);
      else showView("login");
    } catch (e) {
      showView("login");
      $("login-error").textContent = e.message;
    }
  }

  boot();
})();
