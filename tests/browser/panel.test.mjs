// panel.test.mjs - shopcast's web panel end to end, in headless Chromium.
//
//   node panel.test.mjs --url http://127.0.0.1:PORT/ [--artifacts DIR] [--chromium PATH]
//
// Drives the panel of a running shopcastd (run.sh starts one on the simulated board
// with the example show, first start, 3 login attempts before the lockout) the way an
// operator and a technician would, and checks what they would see: the panel, the API's
// answers and the program preview's pixels. Each step prints "ok - NAME" or
// "not ok - NAME: why" and leaves a screenshot NAME.png in the artifacts folder; the last
// line is "N passed, N failed". Every wait is bounded. Exit status 1 when a step failed.

import { chromium } from "playwright-core";
import { mkdirSync } from "node:fs";
import path from "node:path";

const options = parseArgs(process.argv.slice(2));
const BASE = new URL(options.url).toString();
const ARTIFACTS = options.artifacts || process.env.SHOPCAST_ARTIFACTS || "test-artifacts/browser";
const TECH_PASSWORD = "studio-tech-2026";
const OPERATOR_PASSWORD = "zhubo-pass-88";
const GRAPHICS_INTERVAL_MS = 650; // the example show allows a graphics change every 500 ms

function parseArgs(argv) {
  const out = {};
  for (let i = 0; i < argv.length; i += 2) {
    const name = argv[i].replace(/^--/, "");
    if (!["url", "artifacts", "chromium"].includes(name) || argv[i + 1] === undefined) {
      console.error(`usage: node panel.test.mjs --url URL [--artifacts DIR] [--chromium PATH] (not ${argv[i]})`);
      process.exit(64);
    }
    out[name] = argv[i + 1];
  }
  if (!out.url) {
    console.error("usage: node panel.test.mjs --url URL [--artifacts DIR] [--chromium PATH]");
    process.exit(64);
  }
  return out;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/* Polls @probe until it returns a truthy value, for at most @ms. */
async function until(what, probe, ms = 10000, every = 100) {
  const end = Date.now() + ms;
  let last;
  for (;;) {
    try {
      last = await probe();
      if (last) return last;
    } catch (e) {
      last = e.message;
    }
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}${last ? ` (last: ${last})` : ""}`);
    await sleep(every);
  }
}

function check(condition, message) {
  if (!condition) throw new Error(message);
}

/* ---- the browser ---- */

mkdirSync(ARTIFACTS, { recursive: true });
const browser = await chromium.launch({
  executablePath: options.chromium || "/usr/bin/chromium",
  headless: true,
  // a fresh temporary profile is Playwright's own for each launch
  args: [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
  ],
  timeout: 20000,
});
const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: "zh-CN" });
context.setDefaultTimeout(8000);
const page = await context.newPage();

// The browser reports every answer >= 400 as a console error ("Failed to load
// resource"); those of the API are the answers the steps provoke (401 wrong
// password, 403 refused, 429 locked out). Anything else - a CSP violation, a
// script error, a missing file - fails the run.
const consoleErrors = [];
page.on("console", (msg) => {
  if (msg.type() !== "error") return;
  const where = msg.location().url || "";
  const expected = /^Failed to load resource: the server responded with a status of 4\d\d/.test(msg.text()) && new URL(where, BASE).pathname.startsWith("/api/");
  if (!expected) consoleErrors.push(`${msg.text()}${where ? ` (${where})` : ""}`);
});
page.on("pageerror", (err) => consoleErrors.push(`uncaught: ${err.message}`));

/* ---- steps ---- */

let passed = 0;
let failed = 0;

async function step(name, fn) {
  const started = Date.now();
  try {
    await fn();
    passed++;
    console.log(`ok - ${name} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  } catch (e) {
    failed++;
    console.log(`not ok - ${name}: ${String(e.message || e).split("\n")[0]}`);
  }
  const file = path.join(ARTIFACTS, `${name.replace(/[^A-Za-z0-9]+/g, "-").replace(/^-|-$/g, "").toLowerCase()}.png`);
  await page.screenshot({ path: file, timeout: 5000 }).catch((e) => console.log(`# no screenshot for ${name}: ${e.message}`));
}

async function visible(selector, ms = 8000) {
  await page.locator(selector).waitFor({ state: "visible", timeout: ms });
}

async function text(selector) {
  return (await page.locator(selector).textContent()) || "";
}

/* GET @path with the page's session (the context's cookies). */
async function apiGet(p) {
  const res = await page.request.get(new URL(p, BASE).toString(), { timeout: 5000 });
  let body = null;
  try {
    body = await res.json();
  } catch (e) {
    body = null;
  }
  return { status: res.status(), body };
}

/* A request made by the page itself (fetch), with the session's CSRF token. */
async function pageFetch(method, p, body) {
  return page.evaluate(
    async ({ method, p, body }) => {
      const session = await fetch("/api/v1/session").then((r) => r.json());
      const init = { method, headers: { "X-CSRF-Token": session.csrf || "" } };
      if (method !== "GET") {
        init.headers["Content-Type"] = "application/json";
        init.body = JSON.stringify(body || {});
      }
      const res = await fetch(p, init);
      return { status: res.status, body: await res.json().catch(() => null) };
    },
    { method, p, body }
  );
}

async function login(role, password) {
  await visible("#login-view");
  await page.selectOption("#login-role", role);
  await page.fill("#login-password", password);
  const answer = page.waitForResponse((r) => r.url().endsWith("/api/v1/session") && r.request().method() === "POST", { timeout: 8000 });
  await page.click("#login-submit");
  return answer;
}

async function logout() {
  await page.click("#logout");
  await visible("#login-view");
}

/* ---- the program preview's pixels ---- */

/* The part of the 16:9 program where the product column sits (overlays/render.c:
 * landscape, title-safe 5 %, a column 30 % of the width at the right edge, the
 * price correction above the product card), a little wider, as RGB. */
const REGION = { x0: 0.62, x1: 0.97, y0: 0.03, y1: 0.6 };

async function framesShown() {
  return Number(await page.locator("#preview").getAttribute("data-frames"));
}

async function waitFrames(n, ms = 10000) {
  const start = await framesShown();
  await until(`${n} new preview frames`, async () => (await framesShown()) >= start + n, ms, 50);
}

async function grabRegion() {
  const shot = await page.evaluate((r) => {
    const img = document.getElementById("preview");
    const w = img.naturalWidth, h = img.naturalHeight;
    const canvas = document.createElement("canvas");
    canvas.width = w;
    canvas.height = h;
    const ctx = canvas.getContext("2d", { willReadFrequently: true });
    ctx.drawImage(img, 0, 0);
    const x0 = Math.round(r.x0 * w), y0 = Math.round(r.y0 * h);
    const rw = Math.round(r.x1 * w) - x0, rh = Math.round(r.y1 * h) - y0;
    const rgba = ctx.getImageData(x0, y0, rw, rh).data;
    let binary = "";
    for (let i = 0; i < rgba.length; i += 4) binary += String.fromCharCode(rgba[i], rgba[i + 1], rgba[i + 2]);
    return { w, h, rw, rh, rgb: btoa(binary) }; /* a string crosses to node much faster than an array */
  }, REGION);
  return { ...shot, rgb: Buffer.from(shot.rgb, "base64") };
}

function pixelDiff(a, b, i) {
  return Math.max(Math.abs(a.rgb[i] - b.rgb[i]), Math.abs(a.rgb[i + 1] - b.rgb[i + 1]), Math.abs(a.rgb[i + 2] - b.rgb[i + 2]));
}

/* A graphics state seen over about 1.5 s: its last picture, and which pixels
 * held still meanwhile. The camera behind the cards moves (the simulated test
 * card scrolls): pixels that change without the graphics changing - the gaps
 * between cards, JPEG noise at card edges - are left out of the comparisons. */
async function captureState() {
  await waitFrames(3);
  const shots = [];
  for (let i = 0; i < 4; i++) {
    if (i) await waitFrames(2);
    shots.push(await grabRegion());
  }
  const last = shots[shots.length - 1];
  const still = new Uint8Array(last.rw * last.rh);
  for (let p = 0; p < still.length; p++) {
    still[p] = shots.every((s, k) => k === 0 || pixelDiff(s, shots[k - 1], p * 3) < 40) ? 1 : 0;
  }
  return { image: last, still };
}

/* The share of pixels still in both states that differ clearly between them. */
function changedShare(a, b) {
  let both = 0, changed = 0;
  for (let p = 0; p < a.still.length; p++) {
    if (!a.still[p] || !b.still[p]) continue;
    both++;
    if (pixelDiff(a.image, b.image, p * 3) > 64) changed++;
  }
  check(both > a.still.length * 0.2, `too little of the column held still to compare (${both} of ${a.still.length} pixels)`);
  return changed / both;
}

async function setPrice(price) {
  await page.fill("#price-input", price);
  await page.click("#price-set");
  await until(`the panel to show ¥${price}`, async () => (await text("#current-price")) === `¥${price}`, 5000);
  const error = await page.locator('#toast[data-kind="error"]:not([hidden])').count();
  check(error === 0, `the panel showed an error: ${await text("#toast")}`);
}

/* ---- the run ---- */

const hms = (s) => s.split(":").reduce((acc, part) => acc * 60 + Number(part), 0);

await step("first-run password setup", async () => {
  await page.goto(BASE, { waitUntil: "load", timeout: 10000 });
  await visible("#setup-view");
  check(!(await page.locator("#login-view").isVisible()), "the login shows before the first password is set");
  await page.fill("#setup-password", TECH_PASSWORD);
  await page.fill("#setup-password2", `${TECH_PASSWORD}x`);
  await page.click("#setup-submit");
  await until("the mismatch message", async () => (await text("#setup-error")).length > 0, 3000);
  await page.fill("#setup-password2", TECH_PASSWORD);
  await page.click("#setup-submit");
  await visible("#system-view");
  check((await page.locator("#who").getAttribute("data-role")) === "technician", "not logged in as the technician after the setup");
});

const SYSTEM = "#system-first";

await step("first-run box name and network: a bad gateway is named, then saved", async () => {
  await page.fill(`${SYSTEM} input[name=hostname]`, "Studio-7");
  await page.selectOption(`${SYSTEM} select[name=network]`, "static");
  await visible(`${SYSTEM} input[name=address]`);
  await page.fill(`${SYSTEM} input[name=address]`, "192.168.50.20/24");
  await page.fill(`${SYSTEM} input[name=gateway]`, "192.168.51.1");
  await page.fill(`${SYSTEM} input[name=dns]`, "223.5.5.5, 119.29.29.29");
  await page.click(`${SYSTEM} .system-save`);
  const gatewayError = `${SYSTEM} [data-error-for="gateway"]`;
  await until("the gateway's error under its field", async () => (await text(gatewayError)).includes("not in the address's subnet 192.168.50.0/24"), 5000);
  check((await text(`${SYSTEM} [data-error-for="address"]`)) === "", "an error shows under the address too");
  const refused = await apiGet("/api/v1/system");
  check(refused.status === 200 && refused.body.hostname === null, `something was saved despite the bad gateway: ${JSON.stringify(refused.body)}`);
  await page.fill(`${SYSTEM} input[name=gateway]`, "192.168.50.1");
  await page.click(`${SYSTEM} .system-save`);
  await until("the saved message", async () => (await page.locator(`${SYSTEM} .system-message`).getAttribute("data-kind")) === "ok", 5000);
  check((await text(gatewayError)) === "", "the gateway's error stays after saving");
  await visible("#app-view");
  const saved = await apiGet("/api/v1/system");
  const net = saved.body && saved.body.network;
  check(saved.body.hostname === "studio-7", `the box name read back: ${JSON.stringify(saved.body)}`);
  check(net && net.mode === "static" && net.address === "192.168.50.20/24" && net.gateway === "192.168.50.1" && net.dns.join(" ") === "223.5.5.5 119.29.29.29", `the network read back: ${JSON.stringify(net)}`);
});

await step("first start done", async () => {
  await visible("#app-view");
  const setup = await apiGet("/api/v1/setup");
  check(setup.body && setup.body.needs_setup === false, `GET /api/v1/setup still says ${JSON.stringify(setup.body)}`);
  await until("the first preview frame", async () => (await framesShown()) > 0, 10000);
});

await step("logout and login", async () => {
  await logout();
  const gone = await apiGet("/api/v1/session");
  check(gone.status === 401, `GET /api/v1/session after logout: ${gone.status}`);
  const answer = await login("technician", TECH_PASSWORD);
  check(answer.status() === 200, `login answered ${answer.status()}`);
  await visible("#app-view");
  const session = await apiGet("/api/v1/session");
  check(session.status === 200 && session.body.role === "technician", `GET /api/v1/session: ${session.status} ${JSON.stringify(session.body)}`);
  await visible("#tab-tech");
});

await step("go live with confirmation", async () => {
  check((await page.locator("#onair").getAttribute("data-state")) === "off", "ON AIR before going live");
  await page.click("#go-live");
  await visible("#confirm-dialog");
  await page.click("#confirm-no");
  await sleep(300);
  check((await apiGet("/api/v1/status")).body.live === false, "cancelling the dialog went live");
  await page.click("#go-live");
  await visible("#confirm-dialog");
  await page.click("#confirm-yes");
  await until("ON AIR", async () => (await page.locator("#onair").getAttribute("data-state")) === "on", 8000);
  const first = await text("#show-clock");
  await sleep(2100);
  const second = await text("#show-clock");
  check(hms(second) > hms(first), `the show clock did not run: ${first} then ${second}`);
  const status = await apiGet("/api/v1/status");
  check(status.status === 200 && status.body.live === true, `GET /api/v1/status: live is ${status.body && status.body.live}`);
  check(typeof status.body.live_since_ms === "number", "no live_since_ms in the status");
  await until("the going live in the event log", async () => (await page.locator("#event-log .event-state", { hasText: "on air" }).count()) > 0, 5000);
  const bitrate = "#destinations tbody tr:first-child td:nth-child(4)";
  await until("the destination's bitrate now in its table", async () => /^[1-9]\d* kb\/s$/.test((await text(bitrate)).trim()), 8000);
});

await step("price correction reaches the preview", async () => {
  await page.click("#tab-show");
  await page.click("#product-down-jacket");
  await until("the down jacket on air", async () => (await page.locator("#current-product").getAttribute("data-id")) === "down-jacket", 5000);
  await sleep(GRAPHICS_INTERVAL_MS);
  const plain = await captureState();
  await setPrice("189");
  const corrected = await captureState();
  await sleep(GRAPHICS_INTERVAL_MS);
  await setPrice("179");
  const other = await captureState();
  await sleep(GRAPHICS_INTERVAL_MS);
  await setPrice("189");
  const back = await captureState();
  const shares = {
    correction: changedShare(plain, corrected),
    newPrice: changedShare(corrected, other),
    back: changedShare(corrected, back),
    backFromOther: changedShare(other, back),
  };
  const pct = (x) => `${(x * 100).toFixed(2)} %`;
  console.log(`# price column pixels changed: 199 -> 189 ${pct(shares.correction)}, 189 -> 179 ${pct(shares.newPrice)}, 179 -> 189 ${pct(shares.backFromOther)}; 189 then 189 again ${pct(shares.back)}`);
  check(shares.correction > 0.03, `the correction card did not appear in the preview (${pct(shares.correction)} changed)`);
  check(shares.newPrice > 0.004, `¥179 did not change the preview's price column (${pct(shares.newPrice)} changed)`);
  check(shares.backFromOther > 0.004, `¥189 again did not change the preview from ¥179 (${pct(shares.backFromOther)} changed)`);
  check(shares.back < shares.newPrice / 4 && shares.back < 0.003, `¥189 again does not look like ¥189 did (${pct(shares.back)} differ)`);
  const status = await apiGet("/api/v1/status");
  check(status.body.show.price === "189", `the status says the price is ${status.body.show.price}`);
});

await step("flash sale countdown", async () => {
  await sleep(GRAPHICS_INTERVAL_MS);
  await page.click("#flash-start");
  await until("the countdown to run", async () => (await page.locator("#countdown").getAttribute("data-running")) === "true", 5000);
  const first = await text("#countdown");
  await sleep(2100);
  const second = await text("#countdown");
  check(hms(first) > 0 && hms(second) < hms(first), `the countdown did not tick down: ${first} then ${second}`);
  check(hms(first) <= 300, `the countdown starts above the product's 300 s: ${first}`);
  const status = await apiGet("/api/v1/status");
  check(status.body.show.flash_sale === true, "the status' flash_sale is not true");
  check(Math.abs(status.body.show.flash_left_s - hms(await text("#countdown"))) <= 2, `the panel shows ${await text("#countdown")}, the box ${status.body.show.flash_left_s} s left`);
});

await step("the show's recording, and its report after the show", async () => {
  await until("the recording strip recording", async () => (await page.locator("#recording").getAttribute("data-state")) === "recording", 8000);
  await until("recorded bytes in the status", async () => ((await apiGet("/api/v1/status")).body.recording || {}).bytes > 0, 8000);
  await page.click("#end-show");
  await visible("#confirm-dialog");
  await page.click("#confirm-yes");
  await until("the report's link", async () => (await page.locator("#recording a.rec-report").count()) === 1, 20000);
  const href = await page.locator("#recording a.rec-report").getAttribute("href");
  const report = await page.request.get(new URL(href, BASE).toString(), { timeout: 5000 });
  const type = report.headers()["content-type"] || "";
  check(report.status() === 200 && type.startsWith("text/html"), `${href}: ${report.status()} ${type}`);
  const html = await report.text();
  check(html.includes("冬季保暖专场") && html.includes("<svg"), `${href} is not the show's report (${html.length} bytes)`);
  await page.click("#go-live");
  await visible("#confirm-dialog");
  await page.click("#confirm-yes");
  await until("ON AIR again", async () => (await page.locator("#onair").getAttribute("data-state")) === "on", 8000);
  await until("the new show's recording", async () => (await page.locator("#recording").getAttribute("data-state")) === "recording", 8000);
});

await step("technician sets the operator password", async () => {
  await page.click("#tab-tech");
  await visible("#panel-tech");
  await until("the board facts", async () => (await page.locator("#board-info dd").count()) > 3, 5000);
  await until("the config editor", async () => (await page.locator('#config-editor fieldset[data-group="destination local"]').count()) === 1, 5000);
  const key = page.locator('#config-editor input[data-group="destination local"][data-key="key"]');
  check((await key.inputValue()) === "", "the stream key field is not empty (keys are write-only)");
  check(/\*\*\*\*/.test((await key.getAttribute("placeholder")) || ""), "the stream key is not shown masked");
  await page.fill("#op-password", OPERATOR_PASSWORD);
  await page.fill("#op-password2", OPERATOR_PASSWORD);
  await page.click("#op-password-set");
  await until("the password saved", async () => (await page.locator("#password-message").getAttribute("data-kind")) === "ok", 8000);
});

await step("technician view reads back the box name and network", async () => {
  const card = "#system-card";
  await until("the box name in its field", async () => (await page.locator(`${card} input[name=hostname]`).inputValue()) === "studio-7", 5000);
  check((await page.locator(`${card} select[name=network]`).inputValue()) === "static", "the network is not shown as a fixed address");
  check((await page.locator(`${card} input[name=address]`).inputValue()) === "192.168.50.20/24", "the address is not read back");
  check((await page.locator(`${card} input[name=gateway]`).inputValue()) === "192.168.50.1", "the gateway is not read back");
  /* live now: a change is refused, and says why */
  await page.click(`${card} .system-save`);
  await until("the refusal while live", async () => (await text(`${card} .system-message`)).includes("the box is live"), 5000);
});

await step("technician's firmware update is refused while live", async () => {
  await until("the running firmware", async () => /slot|分区/.test(await text("#update-running")), 5000);
  await page.setInputFiles("#update-file", { name: "update.raucb", mimeType: "application/octet-stream", buffer: Buffer.alloc(200000) });
  await page.click("#update-start");
  await visible("#confirm-dialog");
  await page.click("#confirm-yes");
  await until("the refusal", async () => (await page.locator("#update-message").getAttribute("data-kind")) === "error", 8000);
  const message = await text("#update-message");
  check(message.includes("the box is live"), `the update form says: ${message}`);
});

await step("a lost microphone is shown, and cleared when it is back", async () => {
  const off = await pageFetch("POST", "/api/v1/audio/drill", { mode: "off" });
  check(off.status === 200, `the mic drill answered ${off.status}`);
  await until("the mic-lost badge", async () => page.locator("#mic-lost").isVisible(), 5000);
  const on = await pageFetch("POST", "/api/v1/audio/drill", { mode: "on" });
  check(on.status === 200, `the mic drill answered ${on.status}`);
  await until("the badge gone", async () => !(await page.locator("#mic-lost").isVisible()), 8000);
});

await step("operator cannot use the technician view", async () => {
  await logout();
  const answer = await login("operator", OPERATOR_PASSWORD);
  check(answer.status() === 200, `the operator's login answered ${answer.status()}`);
  await visible("#app-view");
  check((await page.locator("#who").getAttribute("data-role")) === "operator", "not logged in as the operator");
  check(!(await page.locator("#tab-tech").isVisible()), "the operator sees the technician tab");
  check(!(await page.locator("#panel-tech").isVisible()), "the operator sees the technician view");
  const config = await pageFetch("GET", "/api/v1/config");
  check(config.status === 403, `GET /api/v1/config as the operator: ${config.status}`);
  const preflight = await pageFetch("POST", "/api/v1/preflight", {});
  check(preflight.status === 403, `POST /api/v1/preflight as the operator: ${preflight.status}`);
  const status = await pageFetch("GET", "/api/v1/status");
  check(status.status === 200, `GET /api/v1/status as the operator: ${status.status}`);
  await visible("#end-show");
});

await step("panel fits a 360 px phone", async () => {
  await page.setViewportSize({ width: 360, height: 740 });
  await sleep(300);
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  check(width <= 360, `the page is ${width} px wide at 360 px`);
  for (const id of ["#end-show", "#next-product", "#flash-start"]) {
    const box = await page.locator(id).boundingBox();
    check(box && box.height >= 44, `${id} is smaller than a finger (${box && box.height} px)`);
  }
  await page.click("#lang-toggle");
  await until("the English labels", async () => (await text("#tab-show")) === "Show", 3000);
  await page.reload({ waitUntil: "load", timeout: 10000 });
  await visible("#app-view");
  check((await text("#tab-show")) === "Show", "the English choice was not remembered");
  await page.click("#lang-toggle");
  await until("the Chinese labels again", async () => (await text("#tab-show")) === "直播", 3000);
});

await step("lockout after 3 wrong passwords", async () => {
  await page.setViewportSize({ width: 1280, height: 900 });
  await logout();
  for (let i = 1; i <= 3; i++) {
    const answer = await login("technician", `wrong-password-${i}`);
    check(answer.status() === 401, `wrong password ${i} answered ${answer.status()}`);
    await until("the error", async () => (await text("#login-error")).length > 0, 3000);
  }
  const answer = await login("technician", TECH_PASSWORD);
  check(answer.status() === 429, `the right password after 3 wrong ones answered ${answer.status()}, not 429`);
  const message = (await answer.json()).error;
  await until("the lockout message", async () => (await text("#login-error")) === message, 3000);
  check(!(await page.locator("#app-view").isVisible()), "logged in while locked out");
  console.log(`# lockout message: ${message}`);
});

await step("no console errors", async () => {
  check(consoleErrors.length === 0, `${consoleErrors.length}: ${consoleErrors.slice(0, 5).join(" | ")}`);
});

await browser.close();
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
