// Drives ferry's web console in a real headless Chromium, as an operator would: run by
// tests/tests/console.rs, which starts the worker and its connectors and checks the outcome
// again through the REST API afterwards. Every page visited leaves a screenshot in
// FERRY_SCREENSHOTS. Input (environment): FERRY_URL, FERRY_SCREENSHOTS, FERRY_TEST_CHROMIUM,
// FERRY_TEST_NODE_MODULES and FERRY_CONSOLE_SCENARIO, a JSON object naming the connectors the
// Rust side prepared.
import path from "node:path";
import fs from "node:fs";

const env = (k) => {
  const v = process.env[k];
  if (!v) throw new Error(`${k} is not set`);
  return v;
};
const base = env("FERRY_URL");
const shots = env("FERRY_SCREENSHOTS");
const scenario = JSON.parse(env("FERRY_CONSOLE_SCENARIO"));
const { chromium } = await import(path.join(env("FERRY_TEST_NODE_MODULES"), "playwright-core", "index.mjs"));
fs.mkdirSync(shots, { recursive: true });

const browser = await chromium.launch({
  executablePath: env("FERRY_TEST_CHROMIUM"),
  args: ["--no-sandbox", "--disable-dev-shm-usage"],
});
const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
const page = await context.newPage();
const consoleErrors = [];
page.on("pageerror", (e) => consoleErrors.push(`page error: ${e.message}`));
// A connector deleted on purpose answers 404 from then on: those answers are expected.
let deletedOnPurpose = null;
const expected = (url, status) => status === 404 && deletedOnPurpose !== null && url.includes(deletedOnPurpose);
page.on("console", (m) => {
  if (m.type() !== "error") return;
  const url = (m.location() && m.location().url) || "";
  if (m.text().includes("404") && expected(url, 404)) return;
  consoleErrors.push(`console error: ${m.text()} (${url})`);
});
page.on("response", (r) => {
  if (r.status() >= 400 && !expected(r.url(), r.status())) consoleErrors.push(`HTTP ${r.status()} for ${r.request().method()} ${r.url()}`);
});
page.setDefaultTimeout(20000);

let step = "start";
async function shot(name, p = page) {
  const file = path.join(shots, `${name}.png`);
  await p.screenshot({ path: file, fullPage: true });
  console.log(`screenshot ${file}`);
}
function check(cond, what) {
  if (!cond) throw new Error(`${step}: ${what}`);
}
async function visible(locator, what) {
  try {
    await locator.first().waitFor({ state: "visible" });
  } catch {
    throw new Error(`${step}: ${what} never appeared`);
  }
}
const begin = (name) => { step = name; console.log(`step: ${name}`); };

try {
  begin("the list loads and shows every connector");
  await page.goto(`${base}/ui/`);
  for (const name of scenario.all) {
    await visible(page.getByRole("link", { name, exact: true }), `the connector ${name} in the list`);
  }
  await visible(page.getByText(`Showing ${scenario.all.length} of ${scenario.all.length} connectors.`), "the count");
  // Every form control has a label a screen reader can read.
  const unlabelled = await page.evaluate(() =>
    [...document.querySelectorAll("input, select, textarea")].filter((el) => el.labels.length === 0 && !el.getAttribute("aria-label")).map((el) => el.id || el.outerHTML));
  check(unlabelled.length === 0, `controls without a label: ${unlabelled.join(", ")}`);
  await shot("01-connectors");

  begin("the filter narrows the list, by keyboard");
  await page.keyboard.press("Tab"); // the skip link
  let guard = 0;
  while (!(await page.evaluate(() => document.activeElement && document.activeElement.id === "f-text")) && guard++ < 20) {
    await page.keyboard.press("Tab");
  }
  check(guard < 20, "Tab never reached the filter field");
  await page.keyboard.type(scenario.paused);
  await visible(page.getByText(`Showing 1 of ${scenario.all.length} connectors.`), "the filtered count");
  check(await page.getByRole("link", { name: scenario.failed, exact: true }).count() === 0, "a connector the filter excludes is still listed");
  await shot("02-connectors-filtered");
  // The list's refresh (every 3 s) leaves the keyboard focus where it was.
  await page.getByRole("link", { name: scenario.paused, exact: true }).focus();
  await page.waitForTimeout(3500);
  check(await page.evaluate((n) => document.activeElement && document.activeElement.textContent === n, scenario.paused),
    "the list's refresh took the keyboard focus away");
  // Opens the connector from the keyboard: Enter on the focused link.
  await page.keyboard.press("Enter");

  begin("pause a connector and see it PAUSED");
  await visible(page.getByRole("heading", { name: scenario.paused, level: 1 }), "the connector page");
  await visible(page.locator("#connector-live .state.RUNNING"), "the RUNNING state");
  // Its task's progress, from whichever worker runs it: the file's end, every line written.
  const progress = page.locator('#connector-live tr[data-task] td[data-label="Progress"]');
  await visible(progress.getByText(`{"position":${scenario.paused_position}}`), "the task's committed position");
  await visible(progress.getByText(`${scenario.paused_lines} records written`), "the task's records written");
  await page.getByRole("button", { name: "Pause", exact: true }).click();
  await visible(page.locator("#connector-live dd .state.PAUSED"), "the connector PAUSED");
  await visible(page.locator("#connector-live tr[data-task] .state.PAUSED"), "its task PAUSED");
  check(await page.getByRole("button", { name: "Pause", exact: true }).isDisabled(), "Pause stays enabled once PAUSED");
  await shot("03-connector-paused");

  begin("a FAILED task shows its trace");
  await page.goto(`${base}/ui/#/connectors/${encodeURIComponent(scenario.failed)}`);
  await visible(page.locator("#connector-live tr[data-task] .state.FAILED"), "the FAILED task");
  const trace = await page.locator("pre.trace").first().innerText();
  check(trace.includes(scenario.failed_trace_contains), `the trace does not say ${JSON.stringify(scenario.failed_trace_contains)}: ${trace}`);
  await shot("04-failed-task-trace");

  begin("secrets are hidden, placeholders shown");
  const configText = await page.locator("table").last().innerText();
  check(!configText.includes(scenario.secret_value), "a secret value is shown in the config");
  check(configText.includes(scenario.placeholder), "a config provider placeholder is not shown");

  begin("the form shows a validation error first, then creates the connector");
  await page.getByRole("link", { name: "New connector" }).first().click();
  await visible(page.getByRole("heading", { name: "New connector" }), "the form");
  await page.locator("#f-name").fill(scenario.created);
  await page.locator("#f-class").selectOption(scenario.created_class);
  await visible(page.locator(`[data-field="topic"]`), "the plugin's topic field");
  await page.locator("#cfg-file").fill(scenario.created_file);
  await page.getByRole("button", { name: "Create" }).click();
  await visible(page.getByRole("alert"), "the summary of problems");
  const fieldError = await page.locator("#err-topic").innerText();
  check(fieldError.trim().length > 0, "no error shown at the topic field");
  check(await page.locator("#cfg-topic").getAttribute("aria-invalid") === "true", "the topic field is not marked invalid");
  await shot("05-form-validation-error");
  const created = await fetch(`${base}/connectors/${encodeURIComponent(scenario.created)}`);
  check(created.status === 404, "the connector was created although the form showed an error");
  await page.locator("#cfg-topic").fill(scenario.created_topic);
  await page.getByRole("button", { name: "Create" }).click();
  await visible(page.getByRole("heading", { name: scenario.created, level: 1 }), "the new connector's page");
  await visible(page.locator("#connector-live tr[data-task] .state.RUNNING"), "the new connector's task RUNNING");
  await shot("06-connector-created");

  begin("the edit form starts from the connector's config and saves a change");
  await page.getByRole("link", { name: "Edit config" }).click();
  await visible(page.getByRole("heading", { name: `Edit ${scenario.created}` }), "the edit form");
  check(await page.locator("#cfg-topic").inputValue() === scenario.created_topic, "the form does not show the current topic");
  await page.locator("#cfg-file").fill(scenario.edited_file);
  await shot("06b-connector-edit");
  await page.getByRole("button", { name: "Save" }).click();
  await visible(page.getByRole("heading", { name: scenario.created, level: 1 }), "the connector page after saving");
  await visible(page.getByText(scenario.edited_file), "the new file in the config");
  // As the REST API has it.
  const saved = await (await fetch(`${base}/connectors/${encodeURIComponent(scenario.created)}/config`)).json();
  check(saved.file === scenario.edited_file && saved.topic === scenario.created_topic,
    `the saved config is ${JSON.stringify(saved)}`);

  begin("offsets of a stopped connector are reset after a confirmation");
  await page.goto(`${base}/ui/#/connectors/${encodeURIComponent(scenario.stopped)}`);
  await visible(page.locator("#connector-live dd .state.STOPPED"), "the STOPPED state");
  await visible(page.locator("#offsets table"), "the committed offsets");
  await page.getByRole("button", { name: "Reset offsets" }).click();
  const dialog = page.getByRole("dialog");
  await visible(dialog, "the confirmation");
  await shot("07-reset-confirmation");
  // Escape leaves everything as it was.
  await page.keyboard.press("Escape");
  await page.waitForTimeout(300);
  const kept = await (await fetch(`${base}/connectors/${encodeURIComponent(scenario.stopped)}/offsets`)).json();
  check(kept.offsets.length > 0, "offsets were reset without confirmation");
  await page.getByRole("button", { name: "Reset offsets" }).click();
  await dialog.getByRole("button", { name: "Reset offsets" }).click();
  await visible(page.getByText("No offsets committed."), "the offsets gone");
  await shot("08-offsets-reset");

  begin("delete asks first");
  await page.goto(`${base}/ui/#/connectors/${encodeURIComponent(scenario.created)}`);
  await visible(page.getByRole("heading", { name: scenario.created, level: 1 }), "the connector page");
  await page.getByRole("button", { name: "Delete", exact: true }).click();
  await dialog.getByRole("button", { name: "Cancel" }).click();
  check((await fetch(`${base}/connectors/${encodeURIComponent(scenario.created)}`)).status === 200, "cancelled delete deleted");
  // Deleted from elsewhere (another operator, a script): the open page says it is gone.
  deletedOnPurpose = encodeURIComponent(scenario.created);
  const gone = await fetch(`${base}/connectors/${encodeURIComponent(scenario.created)}`, { method: "DELETE" });
  check(gone.status === 204, `DELETE answered ${gone.status}`);
  await visible(page.getByText(`There is no connector ${scenario.created} (any more)`), "the page saying the connector is gone");

  begin("the workers page shows what runs where");
  await page.getByRole("link", { name: "Workers" }).click();
  await visible(page.getByRole("heading", { name: "Workers", level: 1 }), "the workers page");
  for (const w of scenario.workers) await visible(page.getByRole("heading", { name: w }), `worker ${w}`);
  check(await page.getByText("Leader", { exact: true }).count() === 1, "not exactly one worker is shown as the leader");
  await shot("09-workers");

  begin("readable on a phone");
  const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const small = await phone.newPage();
  await small.goto(`${base}/ui/`);
  await visible(small.getByRole("link", { name: scenario.failed, exact: true }), "the list on a phone");
  const overflow = await small.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  check(overflow <= 1, `the list is ${overflow}px wider than the phone's screen`);
  await shot("10-phone-connectors", small);
  await small.goto(`${base}/ui/#/connectors/${encodeURIComponent(scenario.failed)}`);
  await visible(small.locator("pre.trace"), "the trace on a phone");
  const pageOverflow = await small.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  check(pageOverflow <= 1, `the connector page is ${pageOverflow}px wider than the phone's screen`);
  await shot("11-phone-failed-connector", small);
  await phone.close();

  check(consoleErrors.length === 0, `the page logged errors:\n${consoleErrors.join("\n")}`);
  console.log("all steps passed");
} catch (e) {
  console.error(`FAILED at "${step}": ${e.message}`);
  if (consoleErrors.length) console.error(consoleErrors.join("\n"));
  try { await shot("failure"); } catch { /* the page may be gone */ }
  await browser.close();
  process.exit(1);
}
await browser.close();
