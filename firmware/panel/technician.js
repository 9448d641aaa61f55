/* technician.js - the technician's tab of the web panel: the board's facts,
 * the pre-flight check, the firmware update (the bundle uploaded, then
 * RAUC's progress), the config editor and the operator's password.
 *
 * Loaded before app.js, which calls window.ScPanelTechnician(core) once with
 * what the tab shares with the rest of the panel (the session's state, the
 * API, the helpers); the functions returned load the tab's data when it is
 * opened, bind its controls and render it again in a new language. */
"use strict";

window.ScPanelTechnician = function (core) {
  const { $, t, state, api, ApiError, act, failed, el, duration, fact, confirmAsk, renderStudio } = core;

  function loadTechnician() {
    if (!state.board) loadBoard();
    if (!state.config) loadConfig();
    loadFirmware();
    if (window.ScSystem) window.ScSystem.load();
  }

  /* ---- firmware update: the bundle uploaded, then RAUC's progress ---- */

  function updateMessage(text, kind) {
    const m = $("update-message");
    m.textContent = text;
    m.dataset.kind = kind;
  }

  function showFirmware(fw) {
    $("update-running").textContent = t("tech.update.running", { version: fw.version || t("none"), slot: fw.slot || t("none") });
    const bar = $("update-progress");
    if (fw.state === "installing") {
      bar.hidden = false;
      bar.value = fw.progress;
      updateMessage(t("tech.update.installing", { percent: fw.progress, message: fw.message }), "ok");
    } else if (fw.state === "installed") {
      bar.value = 100;
      updateMessage(t("tech.update.installed"), "ok");
    } else if (fw.state === "failed") {
      bar.hidden = true;
      updateMessage(t("tech.update.failed", { message: fw.message }), "error");
    }
  }

  async function loadFirmware() {
    try {
      const fw = await api("GET", "/api/v1/firmware");
      showFirmware(fw);
      return fw;
    } catch (e) {
      failed(e);
      return null;
    }
  }

  /* Asks every second until RAUC is done (at most 30 minutes). */
  async function followInstall() {
    for (let i = 0; i < 1800; i++) {
      const fw = await loadFirmware();
      if (!fw || (fw.state !== "installing" && fw.state !== "receiving")) return;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }

  /* XMLHttpRequest, not fetch: only it reports the upload's progress. */
  function uploadBundle(file) {
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open("POST", "/api/v1/firmware");
      xhr.setRequestHeader("Content-Type", "application/octet-stream");
      xhr.setRequestHeader("X-CSRF-Token", state.csrf || "");
      xhr.upload.onprogress = (ev) => {
        if (!ev.lengthComputable) return;
        const percent = Math.floor((ev.loaded * 100) / ev.total);
        $("update-progress").value = percent;
        updateMessage(t("tech.update.uploading", { percent }), "ok");
      };
      xhr.onerror = () => reject(new ApiError(t("error.network", { message: "upload" }), 0));
      xhr.onload = () => {
        let data = null;
        try {
          data = JSON.parse(xhr.responseText);
        } catch (e) {
          data = null;
        }
        if (xhr.status >= 200 && xhr.status < 300) resolve(data);
        else reject(new ApiError(data && data.error ? data.error : t("error.generic", { status: xhr.status }), xhr.status));
      };
      xhr.send(file);
    });
  }

  async function startUpdate(ev) {
    ev.preventDefault();
    const file = $("update-file").files[0];
    if (!file) return updateMessage(t("tech.update.none"), "error");
    if (!(await confirmAsk(t("tech.update.confirm", { name: file.name })))) return;
    const button = $("update-start");
    button.disabled = true;
    $("update-progress").hidden = false;
    $("update-progress").value = 0;
    try {
      await uploadBundle(file);
      await followInstall();
    } catch (e) {
      $("update-progress").hidden = true;
      if (e.status === 401) failed(e);
      else updateMessage(e.message, "error");
    } finally {
      button.disabled = false;
    }
  }

  async function loadBoard() {
    try {
      state.board = await api("GET", "/api/v1/board");
      renderBoard();
    } catch (e) {
      failed(e);
    }
  }

  function renderBoard() {
    const list = $("board-info");
    list.replaceChildren();
    if (!state.board) return;
    Object.entries(state.board).forEach(([k, v]) => {
      let value = v === null ? t("none") : String(v);
      if (k === "uptime_s" && typeof v === "number") value = duration(v, true);
      if (k === "temperature_c" && typeof v === "number") value = `${v.toFixed(1)} °C`;
      fact(list, window.ScI18n.has(`board.${k}`) ? t(`board.${k}`) : k, value);
    });
  }

  function renderPreflight() {
    const list = $("preflight-results");
    list.replaceChildren();
    $("preflight-summary").textContent = "";
    if (!state.preflight) return;
    state.preflight.forEach((item) => {
      if (item && typeof item.passed === "number") {
        const summary = $("preflight-summary");
        summary.textContent = t("tech.preflight.summary", { passed: item.passed, failed: item.failed });
        summary.dataset.failed = String(item.failed);
        return;
      }
      const li = el("li", item.pass ? "pass" : "fail");
      li.append(el("span", "check-mark", t(item.pass ? "tech.preflight.pass" : "tech.preflight.fail")), el("strong", null, item.check), el("span", "muted", item.detail || ""));
      list.append(li);
    });
  }

  const EDITABLE = /^(video|audio|failover|destination .+|uplink .+)$/;
  const NEW_GROUP_KEYS = { destination: ["url", "key"], uplink: ["interface", "probe-hosts"] };

  function isSecret(group, key) {
    return group.startsWith("destination ") && key === "key";
  }

  async function loadConfig() {
    try {
      const data = await api("GET", "/api/v1/config");
      state.configPath = data.path || "";
      const groups = {};
      ["video", "audio"].forEach((g) => {
        groups[g] = { isNew: !(data.groups && data.groups[g]), removed: false, keys: {} };
      });
      Object.entries(data.groups || {}).forEach(([g, keys]) => {
        if (!EDITABLE.test(g)) return;
        groups[g] = { isNew: false, removed: false, keys: {} };
        Object.entries(keys).forEach(([k, v]) => {
          groups[g].keys[k] = { orig: v, value: isSecret(g, k) ? "" : v, removed: false };
        });
      });
      state.config = groups;
      state.configScenes = Object.keys(data.groups || {})
        .filter((g) => g.startsWith("scene "))
        .map((g) => g.slice(6));
      renderConfig();
      if (state.status) renderStudio(state.status.studio);
    } catch (e) {
      failed(e);
    }
  }

  function groupOrder(a, b) {
    const rank = (g) => (g === "video" ? 0 : g === "audio" ? 1 : g.startsWith("destination ") ? 2 : g.startsWith("uplink ") ? 3 : 4);
    return rank(a) - rank(b) || a.localeCompare(b);
  }

  function renderConfig() {
    const editor = $("config-editor");
    editor.replaceChildren();
    $("config-path").textContent = state.configPath ? t("tech.config.path", { path: state.configPath }) : "";
    if (!state.config) return;
    Object.keys(state.config)
      .sort(groupOrder)
      .forEach((g) => editor.append(renderGroup(g, state.config[g])));
  }

  function renderGroup(name, group) {
    const box = el("fieldset", "cfg-group");
    box.dataset.group = name;
    if (group.removed) box.classList.add("removed");
    const legend = el("legend");
    legend.append(el("span", "mono", `[${name}]`));
    box.append(legend);
    if (name !== "video" && name !== "audio") {
      const remove = el("button", "btn btn-small btn-ghost cfg-remove-group", t(group.removed ? "tech.config.restore-group" : "tech.config.remove-group"));
      remove.type = "button";
      remove.dataset.group = name;
      legend.append(remove);
    }
    if (group.removed) {
      box.append(el("p", "muted", t("tech.config.removed")));
      return box;
    }
    Object.entries(group.keys).forEach(([k, entry]) => box.append(renderKey(name, k, entry)));
    const add = el("div", "cfg-row cfg-add");
    const keyInput = el("input", "cfg-new-key");
    keyInput.type = "text";
    keyInput.placeholder = t("tech.config.key");
    keyInput.maxLength = 64;
    const valueInput = el("input", "cfg-new-value");
    valueInput.type = "text";
    valueInput.placeholder = t("tech.config.value");
    const addButton = el("button", "btn btn-small cfg-add-key", t("tech.config.add-key"));
    addButton.type = "button";
    addButton.dataset.group = name;
    add.append(keyInput, valueInput, addButton);
    box.append(add);
    return box;
  }

  function renderKey(group, key, entry) {
    const row = el("label", "cfg-row");
    if (entry.removed) row.classList.add("removed");
    row.append(el("span", "cfg-key mono", key));
    const input = el("input", "cfg-value");
    const secret = isSecret(group, key);
    input.type = secret ? "password" : "text";
    input.autocomplete = secret ? "new-password" : "off";
    input.value = entry.value;
    if (secret && entry.orig !== undefined) input.placeholder = t("tech.config.key-placeholder", { masked: entry.orig });
    input.dataset.group = group;
    input.dataset.key = key;
    input.disabled = entry.removed;
    const remove = el("button", "btn btn-small btn-ghost cfg-remove-key", entry.removed ? "↺" : "×");
    remove.type = "button";
    remove.title = t("tech.config.remove-key");
    remove.dataset.group = group;
    remove.dataset.key = key;
    row.append(input, remove);
    return row;
  }

  /* The changes the editor holds, as PUT /api/v1/config wants them. */
  function configChanges() {
    const changes = {};
    Object.entries(state.config || {}).forEach(([g, group]) => {
      if (group.removed) {
        if (!group.isNew) changes[g] = null;
        return;
      }
      const keys = {};
      Object.entries(group.keys).forEach(([k, entry]) => {
        if (entry.removed) {
          if (entry.orig !== undefined) keys[k] = null;
        } else if (isSecret(g, k) && entry.orig !== undefined) {
          if (entry.value !== "") keys[k] = entry.value; /* write-only: sent only when typed */
        } else if (entry.orig === undefined ? entry.value !== "" : entry.value !== entry.orig) {
          keys[k] = entry.value;
        }
      });
      if (Object.keys(keys).length) changes[g] = keys;
    });
    return changes;
  }

  function configMessage(text, kind) {
    const m = $("config-message");
    m.textContent = text;
    m.dataset.kind = kind;
  }

  async function saveConfig(button) {
    const changes = configChanges();
    if (!Object.keys(changes).length) {
      configMessage(t("tech.config.nothing"), "ok");
      return;
    }
    button.disabled = true;
    try {
      await api("PUT", "/api/v1/config", { groups: changes });
      state.config = null;
      await loadConfig();
      configMessage(t("tech.config.saved"), "ok");
    } catch (e) {
      if (e.status === 401) failed(e);
      else configMessage(e.message, "error");
    } finally {
      button.disabled = false;
    }
  }

  function onConfigClick(ev) {
    const target = ev.target.closest("button");
    if (!target || !state.config) return;
    const group = state.config[target.dataset.group];
    if (!group) return;
    if (target.classList.contains("cfg-remove-group")) {
      group.removed = !group.removed;
    } else if (target.classList.contains("cfg-remove-key")) {
      const entry = group.keys[target.dataset.key];
      if (entry.orig === undefined) delete group.keys[target.dataset.key];
      else entry.removed = !entry.removed;
    } else if (target.classList.contains("cfg-add-key")) {
      const row = target.closest(".cfg-add");
      const key = row.querySelector(".cfg-new-key").value.trim();
      const value = row.querySelector(".cfg-new-value").value;
      if (!/^[A-Za-z0-9-]{1,64}$/.test(key)) {
        row.querySelector(".cfg-new-key").focus();
        return;
      }
      if (group.keys[key]) {
        group.keys[key].removed = false;
        group.keys[key].value = value;
      } else {
        group.keys[key] = { orig: undefined, value, removed: false };
      }
    } else {
      return;
    }
    renderConfig();
  }

  function onConfigInput(ev) {
    const input = ev.target;
    if (!input.classList.contains("cfg-value") || !state.config) return;
    const entry = state.config[input.dataset.group] && state.config[input.dataset.group].keys[input.dataset.key];
    if (entry) entry.value = input.value;
  }

  function onConfigAddGroup(ev) {
    ev.preventDefault();
    if (!state.config) return;
    const kind = $("config-add-kind").value;
    const name = $("config-add-name").value.trim();
    if (!/^[A-Za-z0-9_-]{1,32}$/.test(name)) return;
    const group = `${kind} ${name}`;
    if (!state.config[group]) {
      state.config[group] = { isNew: true, removed: false, keys: {} };
      NEW_GROUP_KEYS[kind].forEach((k) => {
        state.config[group].keys[k] = { orig: undefined, value: "", removed: false };
      });
    }
    state.config[group].removed = false;
    $("config-add-name").value = "";
    renderConfig();
  }

  function passwordMessage(text, kind) {
    const m = $("password-message");
    m.textContent = text;
    m.dataset.kind = kind;
  }

  async function setOperatorPassword(ev) {
    ev.preventDefault();
    const password = $("op-password").value, again = $("op-password2").value;
    if (password.length < 8 || password.length > 128) return passwordMessage(t("setup.length"), "error");
    if (password !== again) return passwordMessage(t("setup.mismatch"), "error");
    const button = $("op-password-set");
    button.disabled = true;
    try {
      await api("PUT", "/api/v1/passwords/operator", { password });
      $("op-password").value = $("op-password2").value = "";
      passwordMessage(t("tech.passwords.saved"), "ok");
    } catch (e) {
      if (e.status === 401) failed(e);
      else passwordMessage(e.message, "error");
    } finally {
      button.disabled = false;
    }
  }

  async function removeOperatorPassword(ev) {
    if (!(await confirmAsk(t("tech.passwords.confirm-remove")))) return;
    const answer = await act(ev.currentTarget, "DELETE", "/api/v1/passwords/operator", {});
    if (answer) passwordMessage(t("tech.passwords.removed"), "ok");
  }

  async function runPreflight(ev) {
    state.preflight = null;
    renderPreflight();
    const answer = await act(ev.currentTarget, "POST", "/api/v1/preflight", {});
    if (Array.isArray(answer)) {
      state.preflight = answer;
      renderPreflight();
    }
  }

  function bindTechnician() {
    $("preflight-run").addEventListener("click", runPreflight);
    $("update-form").addEventListener("submit", startUpdate);
    $("config-reload").addEventListener("click", () => {
      state.config = null;
      configMessage("", "ok");
      loadConfig();
    });
    $("config-save").addEventListener("click", (ev) => saveConfig(ev.currentTarget));
    $("config-editor").addEventListener("click", onConfigClick);
    $("config-editor").addEventListener("input", onConfigInput);
    $("config-add-form").addEventListener("submit", onConfigAddGroup);
    $("config-form").addEventListener("submit", (ev) => ev.preventDefault()); /* Enter saves nothing by itself */
    $("password-form").addEventListener("submit", setOperatorPassword);
    $("op-password-remove").addEventListener("click", removeOperatorPassword);
  }

  return { load: loadTechnician, bind: bindTechnician, renderBoard, renderPreflight, renderConfig };
};
