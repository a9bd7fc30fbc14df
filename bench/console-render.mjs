// Times ferry's web console in Debian's headless Chromium against a worker that already runs
// many connectors (bench/metrics-cost.sh, part (b)): each of RUNS fresh page loads measures
//  - list: from navigation to /ui/ until every connector is listed ("Showing N of N connectors.");
//  - filter: typing one connector's full name until the list shows just it;
//  - open: clicking it until its page shows its task's state;
//  - refresh: the list's periodic refresh (status of all + /metrics, parsed and redrawn), from
//    the first request of a refresh to the redrawn count, measured by the page's own clock.
// Prints one JSON object: the medians in ms and every run's figures.
// Environment: FERRY_URL, EXPECT (number of connectors), RUNS (5), FERRY_TEST_CHROMIUM,
// FERRY_TEST_NODE_MODULES (scripts/lib.sh ensure_browser).
import path from "node:path";

const url = process.env.FERRY_URL;
const expect = Number(process.env.EXPECT);
const runs = Number(process.env.RUNS || 5);
const { chromium } = await import(path.join(process.env.FERRY_TEST_NODE_MODULES, "playwright-core", "index.mjs"));
const browser = await chromium.launch({ executablePath: process.env.FERRY_TEST_CHROMIUM, args: ["--no-sandbox", "--disable-dev-shm-usage"] });

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const all = { list: [], filter: [], open: [], refresh: [] };
for (let r = 0; r < runs; r++) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(60000);
  let t = Date.now();
  await page.goto(`${url}/ui/`);
  await page.getByText(`Showing ${expect} of ${expect} connectors.`).waitFor();
  all.list.push(Date.now() - t);

  // One refresh cycle, timed inside the page: from the next status request to the redraw.
  const refresh = await page.evaluate(() => new Promise((resolve) => {
    const count = document.getElementById("connector-count");
    const from = performance.now();
    const mo = new MutationObserver(() => {
      const calls = performance.getEntriesByType("resource")
        .filter((e) => e.name.includes("/connectors?expand=status") && e.startTime > from);
      if (calls.length) {
        mo.disconnect();
        resolve(performance.now() - calls[calls.length - 1].startTime);
      }
    });
    mo.observe(count, { childList: true, characterData: true, subtree: true });
  }));
  all.refresh.push(refresh);

  const names = await page.locator("#connector-rows tr").evaluateAll((rows) => rows.map((r) => r.dataset.connector));
  const pick = names[Math.floor(names.length / 2)];
  const matching = names.filter((n) => n.toLowerCase().includes(pick.toLowerCase())).length;
  t = Date.now();
  await page.locator("#f-text").fill(pick);
  await page.getByText(`Showing ${matching} of ${expect} connectors.`).waitFor();
  all.filter.push(Date.now() - t);

  t = Date.now();
  await page.getByRole("link", { name: pick, exact: true }).click();
  await page.locator("#connector-live tr[data-task] .state").first().waitFor();
  all.open.push(Date.now() - t);
  await context.close();
}
await browser.close();
console.log(JSON.stringify({
  connectors: expect,
  runs,
  median_ms: Object.fromEntries(Object.entries(all).map(([k, v]) => [k, Math.round(median(v))])),
  all_ms: Object.fromEntries(Object.entries(all).map(([k, v]) => [k, v.map(Math.round)])),
}));
