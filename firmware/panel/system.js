/* system.js - "Box name and network": the box's hostname and its wired
 * network (DHCP or a fixed address), over GET and POST /api/v1/system
 * (README.md, "Box name and network"). The same form sits in the technician's
 * view and, at the first start, as the step after the password.
 *
 * The box checks every field and names the one it refuses ("gateway: ...");
 * that message is shown under the field. app.js calls ScSystem.load() when
 * the technician's view opens and ScSystem.firstRun() after the first
 * password; it lends its request function as ScPanel.api. */
"use strict";

(function () {
  const $ = (id) => document.getElementById(id);
  const t = (key, params) => window.ScI18n.t(key, params);
  const FIELDS = ["hostname", "network", "address", "gateway", "dns"];

  const forms = { card: null, first: null };

  function field(form, name) {
    return form.querySelector(`[name="${name}"]`);
  }

  function message(form, text, kind) {
    const m = form.querySelector(".system-message");
    m.textContent = text;
    m.dataset.kind = kind;
  }

  function clearErrors(form) {
    form.querySelectorAll(".field-error").forEach((e) => (e.textContent = ""));
    message(form, "", "");
  }

  /* "gateway: 192.168.2.1 is not in ..." goes under the gateway field. */
  function showError(form, text) {
    const m = /^(\w+): /.exec(text);
    const at = m && FIELDS.includes(m[1]) ? form.querySelector(`[data-error-for="${m[1]}"]`) : null;
    if (!at) return message(form, text, "error");
    at.textContent = text.slice(m[0].length);
    const input = field(form, m[1] === "network" ? "network" : m[1]);
    if (input) input.focus();
  }

  function showStatic(form) {
    form.querySelector(".system-static").hidden = field(form, "network").value !== "static";
  }

  function fill(form, s) {
    field(form, "hostname").value = s.hostname || "";
    const running = form.querySelector(".system-running");
    running.textContent = s.running_hostname ? t("system.running", { name: s.running_hostname }) : "";
    const net = s.network || { mode: "dhcp" };
    field(form, "network").value = net.mode;
    field(form, "address").value = net.address || "";
    field(form, "gateway").value = net.gateway || "";
    field(form, "dns").value = (net.dns || []).join(", ");
    showStatic(form);
  }

  /* What the form asks for: the name when given, the network always. */
  function body(form) {
    const b = { network: field(form, "network").value };
    const hostname = field(form, "hostname").value.trim();
    if (hostname) b.hostname = hostname;
    if (b.network === "static") {
      b.address = field(form, "address").value.trim();
      b.gateway = field(form, "gateway").value.trim();
      const dns = field(form, "dns").value.trim();
      if (dns) b.dns = dns;
    }
    return b;
  }

  function disable(form, off) {
    form.querySelectorAll("input, select, button").forEach((e) => (e.disabled = off));
  }

  async function load(form) {
    clearErrors(form);
    try {
      fill(form, await window.ScPanel.api("GET", "/api/v1/system"));
      disable(form, false);
      return true;
    } catch (e) {
      if (e.status === 501) {
        disable(form, true);
        message(form, t("system.unavailable"), "error");
      } else {
        message(form, e.message, "error");
      }
      return false;
    }
  }

  async function save(form, done) {
    clearErrors(form);
    const b = body(form);
    const button = form.querySelector(".system-save");
    button.disabled = true;
    try {
      const answer = await window.ScPanel.api("POST", "/api/v1/system", b);
      fill(form, answer);
      const address = b.network === "static" ? b.address.split("/")[0] : "";
      const moved = address && address !== window.location.hostname;
      message(form, moved ? t("system.saved.moved", { address }) : t("system.saved"), "ok");
      if (done) done();
    } catch (e) {
      showError(form, e.message);
    } finally {
      button.disabled = false;
    }
  }

  function build(container, done) {
    const form = $("system-template").content.firstElementChild.cloneNode(true);
    container.appendChild(form);
    window.ScI18n.apply(form);
    field(form, "network").addEventListener("change", () => showStatic(form));
    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      save(form, done);
    });
    return form;
  }

  /* ---- the first start: a step after the password, then the panel ---- */

  function finishFirstRun() {
    $("system-view").hidden = true;
    $("app-view").hidden = false;
    $("logout").hidden = false;
    document.body.dataset.view = "app";
  }

  async function firstRun() {
    if (!forms.first) {
      forms.first = build($("system-first"), () => setTimeout(finishFirstRun, 1500));
      const skip = forms.first.querySelector(".system-skip");
      skip.hidden = false;
      skip.addEventListener("click", finishFirstRun);
      const save = forms.first.querySelector(".system-save");
      save.dataset.i18n = "system.continue";
      save.textContent = t("system.continue");
    }
    if (!(await load(forms.first))) return; /* no system settings here: straight to the panel */
    $("app-view").hidden = true;
    $("system-view").hidden = false;
    document.body.dataset.view = "system";
    field(forms.first, "hostname").focus();
  }

  function loadCard() {
    if (!forms.card) forms.card = build($("system-card"), null);
    load(forms.card);
  }

  window.ScSystem = { load: loadCard, firstRun };
})();
