/* tables.js - the signal path in the web panel: the uplinks' and the
 * destinations' tables (a row per uplink or destination, kept in place as the
 * status changes, with each destination's reconnect button), their summary
 * beside the preview, and the cameras.
 *
 * Loaded before app.js, which calls window.ScPanelTables(core) once with the
 * helpers the panel shares; the functions returned render the status's
 * uplinks, destinations and cameras. */
"use strict";

window.ScPanelTables = function (core) {
  const { $, t, el, changed, setText } = core;

  function stateClass(text) {
    return `state-${String(text || "").replace(/[^a-z]/gi, "-").toLowerCase()}`;
  }

  function setPill(pill, value) {
    setText(pill, value || "—");
    const name = `pill ${stateClass(value)}`;
    if (pill.className !== name) pill.className = name;
  }

  /* Keeps one row per item of @items (by @keyOf), in order: @build makes a
   * new row's cells, @update fills them in. */
  function syncRows(table, items, keyOf, build, update) {
    const body = table.tBodies[0];
    const old = new Map(Array.from(body.rows).map((r) => [r.dataset.key, r]));
    items.forEach((item, i) => {
      const key = keyOf(item);
      let row = old.get(key);
      if (row) old.delete(key);
      else {
        row = build(item);
        row.dataset.key = key;
      }
      update(row, item);
      if (body.rows[i] !== row) body.insertBefore(row, body.rows[i] || null);
    });
    old.forEach((row) => row.remove());
  }

  function cells(row, specs) {
    specs.forEach(([className, child]) => {
      const cell = el("td", className);
      if (child) cell.append(child);
      row.append(cell);
    });
  }

  function renderUplinks(uplinks) {
    syncRows(
      $("uplinks"),
      uplinks,
      (u) => u.uplink,
      () => {
        const row = el("tr");
        cells(row, [["strong"], ["mono"], [null, el("span", "pill")], ["num"], ["chosen"]]);
        return row;
      },
      (row, u) => {
        const c = row.cells;
        setText(c[0], u.uplink);
        setText(c[1], u.interface || "—");
        setPill(c[2].firstChild, u.state);
        setText(c[3], typeof u.rtt_ms === "number" ? t("ms", { ms: Math.round(u.rtt_ms * 10) / 10 }) : "—");
        setText(c[4], u.chosen ? "★" : "");
      }
    );
    $("uplinks").hidden = uplinks.length === 0;
    $("uplinks-none").hidden = uplinks.length > 0;
  }

  function renderDestinations(destinations) {
    syncRows(
      $("destinations"),
      destinations,
      (d) => d.destination,
      (d) => {
        const row = el("tr");
        const name = el("div");
        name.append(el("strong"), el("div", "mono small"));
        const button = el("button", "btn btn-small reconnect");
        button.type = "button";
        button.dataset.destination = d.destination;
        cells(row, [[null, name], [null, el("span", "pill")], [null], ["num"], ["num"], ["num"], [null, button]]);
        return row;
      },
      (row, d) => {
        const c = row.cells;
        setText(c[0].querySelector("strong"), d.destination);
        setText(c[0].querySelector(".mono"), d.url || "");
        setPill(c[1].firstChild, d.state);
        setText(c[2], [d.ingest, d.interface].filter(Boolean).join(" · ") || "—");
        const kbps = d.state === "live" && d.rate ? d.rate.throughput_kbps : null;
        setText(c[3], typeof kbps === "number" ? t("kbps", { kbps: Math.round(kbps / 10) * 10 }) : "—");
        setText(c[4], `${d.tags_sent ?? 0} / ${d.tags_dropped ?? 0}`);
        setText(c[5], `${d.connections ?? 0} / ${d.failures ?? 0} / ${d.moves ?? 0}`);
        setText(c[6].firstChild, t("dest.reconnect"));
      }
    );
    $("destinations").hidden = destinations.length === 0;
    $("destinations-none").hidden = destinations.length > 0;
  }

  /* The destinations and uplinks at a glance, beside the preview. */
  function renderSignalSummary(uplinks, destinations) {
    const chip = (name, what, extra) => {
      const c = el("span", `chip ${stateClass(what)}`);
      c.append(el("strong", null, name), document.createTextNode(` ${what || "—"}${extra || ""}`));
      return c;
    };
    const key = JSON.stringify([destinations.map((d) => [d.destination, d.state]), uplinks.map((u) => [u.uplink, u.state, u.chosen])]);
    const box = $("signal-summary");
    if (box.dataset.key === key) return;
    box.dataset.key = key;
    box.replaceChildren(
      ...destinations.map((d) => chip(d.destination, d.state)),
      ...uplinks.map((u) => chip(u.uplink, u.state, u.chosen ? " ★" : ""))
    );
  }

  function renderCameras(cameras) {
    const list = $("cameras");
    const shown = cameras.map((c) => [c.camera, c.state, c.program, c.showing, c.device, c.lost_because]);
    if (!changed(list, JSON.stringify(shown))) return;
    list.replaceChildren(
      ...cameras.map((c) => {
        const li = el("li");
        li.append(el("strong", null, c.camera), document.createTextNode(" "), el("span", `pill state-${c.state}`, c.state));
        const more = [c.program ? "PGM" : null, c.showing, c.device, c.lost_because].filter(Boolean).join(" · ");
        li.append(document.createTextNode(` ${more}`));
        return li;
      })
    );
  }

  return { renderUplinks, renderDestinations, renderSignalSummary, renderCameras };
};
