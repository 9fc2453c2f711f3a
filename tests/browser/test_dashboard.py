#!/usr/bin/env python3
"""The dashboard of taizhang-agent in a real browser (Debian's chromium, headless).

Run by scripts/browser-test against a taizhangd with the demo county loaded and
a taizhang-agent watching it:

    python3 tests/browser/test_dashboard.py --agent-url URL --socket SOCK --taizhang BIN

It checks, against what the daemon itself says (`taizhang alerts --open --json`
over its Unix socket):

  a) the page loads and renders a state from the agent's event stream
     (body data-updates >= 1) and shows the daemon up;
  b) every responsible unit's cell shows the light of its open unit_light alert
     (subject "DW00000001-2026Q3"), and green, pending or unset when it has none;
  c) the open alerts table has exactly one row per open alert;
  d) a new alert (an entity's report corrected to a standstill, then
     `taizhang monitor`) appears in the table without a reload of the page;
  e) when a unit has no targets for the quarter it shows, setting them (and
     spending nothing) lights it red or yellow on the page, again without a
     reload; then b) and c) hold again.

The page may lag the daemon by a poll or two, so each comparison is retried
(WebDriverWait) until it holds or its time runs out; then the differences are
printed and the script exits 1. Exit 0: everything held.
"""

import argparse
import json
import subprocess
import sys
import time

try:
    from selenium import webdriver
    from selenium.common.exceptions import TimeoutException, WebDriverException
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.support.ui import WebDriverWait
except ImportError:
    print("test_dashboard: FAIL: selenium is not installed (scripts/browser-test installs it: pip install selenium)", file=sys.stderr)
    sys.exit(1)


class Failure(Exception):
    """A check that did not hold; its text says what was seen."""


def log(text):
    print(f"test_dashboard: {text}", flush=True)


def check(text):
    print(f"  ok  {text}", flush=True)


# ---------------------------------------------------------------- the CLI


class CLI:
    """The project's `taizhang` against the daemon's Unix socket."""

    def __init__(self, binary, socket):
        self.binary = binary
        self.socket = socket

    def run(self, *arguments, allow_failure=False):
        command = [self.binary, *arguments, "--socket", self.socket]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=60)
        except (OSError, subprocess.TimeoutExpired) as error:
            raise Failure(f"cannot run {' '.join(command)}: {error}")
        if done.returncode != 0 and not allow_failure:
            raise Failure(f"{' '.join(command)} exited {done.returncode}:\n{done.stderr.strip()}")
        return done

    def json_documents(self, *arguments):
        """The JSON documents a --json command prints (one per page of a listing)."""
        text = self.run(*arguments, "--json").stdout
        decoder = json.JSONDecoder()
        documents, index = [], 0
        while True:
            while index < len(text) and text[index].isspace():
                index += 1
            if index >= len(text):
                return documents
            try:
                document, index = decoder.raw_decode(text, index)
            except json.JSONDecodeError as error:
                raise Failure(f"taizhang {' '.join(arguments)} --json printed something that is not JSON ({error}): {text[:300]!r}")
            documents.append(document)

    def open_alerts(self):
        """ListAlerts with state OPEN, every kind: {id: alert}. One page of up to 1000."""
        documents = self.json_documents("alerts", "--open", "--limit", "1000")
        if len(documents) != 1:
            raise Failure(f"taizhang alerts --open --json printed {len(documents)} documents, expected 1")
        if documents[0].get("next_page_token"):
            raise Failure("more than 1000 open alerts: this test reads one page only")
        alerts = {}
        for alert in documents[0].get("alerts", []):
            if not alert.get("open", False):
                raise Failure(f"taizhang alerts --open listed alert {alert.get('id')} that is not open")
            alerts[str(int(alert["id"]))] = alert
        return alerts


def level_of(alert):
    """"RED" / "ALERT_LEVEL_RED" / "red" -> "red"."""
    level = str(alert.get("level", "")).lower()
    return "red" if level.endswith("red") else "yellow" if level.endswith("yellow") else level


def unit_light_alerts(alerts):
    """The open unit_light alerts by unit id: {"DW00000001": [(quarter, level, alert id)]}."""
    units = {}
    for alert_id, alert in alerts.items():
        if alert.get("kind") != "unit_light":
            continue
        subject = str(alert.get("subject_id", ""))
        unit, _, quarter = subject.partition("-")
        units.setdefault(unit, []).append((alert.get("quarter") or quarter, level_of(alert), alert_id))
    return units


# ---------------------------------------------------------------- the page

SNAPSHOT = """
const all = (selector) => Array.from(document.querySelectorAll(selector));
return {
  updates: Number(document.body.dataset.updates || 0),
  generatedAt: document.body.dataset.generatedAt || "",
  connection: (document.getElementById("conn") || {}).textContent || "",
  daemons: all("[data-daemon][data-up]").map((e) => ({name: e.getAttribute("data-daemon"), up: e.getAttribute("data-up")})),
  units: all(".unit[data-unit-id]").map((e) => ({id: e.getAttribute("data-unit-id"), daemon: e.getAttribute("data-daemon"),
                                                  light: e.getAttribute("data-light"), quarter: e.getAttribute("data-quarter") || "",
                                                  text: (e.innerText || e.textContent).replace(/\\s+/g, " ").trim()})),
  alerts: all("tr[data-alert-id]").map((e) => ({id: e.getAttribute("data-alert-id"), daemon: e.getAttribute("data-daemon"),
                                                level: e.getAttribute("data-level")})),
  marker: window.__taizhangMarker === undefined ? null : window.__taizhangMarker,
  timeOrigin: performance.timeOrigin,
};
"""


def snapshot(driver):
    return driver.execute_script(SNAPSHOT)


def expected_light(cell, alerts_of_unit):
    """The light the cell must show given its unit's open unit_light alerts,
    or None when any of green, pending and unset will do."""
    if not alerts_of_unit:
        return None
    for quarter, level, _ in alerts_of_unit:
        if cell["quarter"] and quarter == cell["quarter"]:
            return level
    # Several quarters open (the last judged and an older one not yet cleared): the latest.
    return max(alerts_of_unit)[1]


def unit_problems(page, alerts, daemon):
    """Check b): each unit cell's light against the open unit_light alerts."""
    problems = []
    cells = [cell for cell in page["units"] if cell["daemon"] == daemon]
    if not cells:
        return [f"no unit cell (.unit[data-unit-id][data-daemon={daemon}]) on the page"]
    by_unit = unit_light_alerts(alerts)
    for cell in cells:
        if cell["light"] not in ("green", "yellow", "red", "pending", "unset"):
            problems.append(f"unit {cell['id']}: data-light={cell['light']!r} is none of green, yellow, red, pending, unset")
            continue
        wanted = expected_light(cell, by_unit.get(cell["id"], []))
        if wanted is None and cell["light"] not in ("green", "pending", "unset"):
            problems.append(f"unit {cell['id']} ({cell['text']}): shows {cell['light']} but has no open unit_light alert")
        elif wanted is not None and cell["light"] != wanted:
            problems.append(f"unit {cell['id']} ({cell['text']}): shows {cell['light']}, its open unit_light alert "
                            f"{by_unit[cell['id']]} says {wanted}")
    shown = {cell["id"] for cell in cells}
    for unit, open_alerts in sorted(by_unit.items()):
        if unit not in shown:
            problems.append(f"unit {unit} has open unit_light alerts {open_alerts} but no cell on the page")
    if len(shown) != len(cells):
        problems.append(f"{len(cells)} unit cells for {len(shown)} units: some unit is shown twice")
    return problems


def alert_problems(page, alerts, daemon):
    """Check c): one row per open alert, at its level, and no other row."""
    problems = []
    rows = [row for row in page["alerts"] if row["daemon"] == daemon]
    ids = [row["id"] for row in rows]
    if len(rows) != len(alerts):
        problems.append(f"{len(rows)} alert rows, ListAlerts has {len(alerts)} open alerts")
    if len(set(ids)) != len(ids):
        problems.append(f"alert rows repeated: {sorted({i for i in ids if ids.count(i) > 1})}")
    missing = sorted(set(alerts) - set(ids), key=int)
    if missing:
        problems.append(f"open alerts without a row: {missing}")
    extra = sorted(set(ids) - set(alerts), key=lambda i: (len(i), i))
    if extra:
        problems.append(f"rows for alerts that are not open: {extra}")
    for row in rows:
        if row["id"] in alerts and row["level"] != level_of(alerts[row["id"]]):
            problems.append(f"alert {row['id']}: row says {row['level']}, ListAlerts says {level_of(alerts[row['id']])}")
    return problems


def wait_until_consistent(driver, cli, daemon, seconds, what):
    """Retries b) and c) until both hold; the last differences on timeout."""
    last = {"problems": ["not compared yet"], "page": None, "alerts": None}

    def consistent(_):
        alerts = cli.open_alerts()
        page = snapshot(driver)
        last.update(page=page, alerts=alerts, problems=unit_problems(page, alerts, daemon) + alert_problems(page, alerts, daemon))
        return not last["problems"]

    try:
        WebDriverWait(driver, seconds, poll_frequency=0.5).until(consistent)
    except TimeoutException:
        raise Failure(f"{what}: the page did not agree with ListAlerts within {seconds} s:\n    " + "\n    ".join(last["problems"]))
    return last["page"], last["alerts"]


def wait_for(driver, seconds, condition, message):
    """WebDriverWait on a condition of the page snapshot; Failure(message(last snapshot)) on timeout."""
    last = {}

    def holds(_):
        last["page"] = snapshot(driver)
        return condition(last["page"])

    try:
        WebDriverWait(driver, seconds, poll_frequency=0.2).until(holds)
    except TimeoutException:
        raise Failure(message(last.get("page")))
    return last["page"]


# ---------------------------------------------------------------- changes made through the CLI


def raise_entity_alert(cli, alerts):
    """Corrects an entity's last report to a standstill (output and sales of 1
    yuan against targets of 1,000,000 and 800,000) and runs the monitor: its
    targets are missed, so the monitor raises entity_targets (and a risk score
    alert) at once. The entity chosen has no open alert yet. Returns its id."""
    subjects = {str(alert.get("subject_id", "")) for alert in alerts.values()}
    entities = [entity["id"] for page in cli.json_documents("entity", "list") for entity in page.get("entities", [])]
    for entity in entities:
        if entity in subjects:
            continue
        reports = [report for page in cli.json_documents("report", "list", entity) for report in page.get("reports", [])]
        if not reports:
            continue
        last = max(reports, key=lambda report: report["quarter"])
        cli.run("report", "submit", "--entity", entity, "--quarter", last["quarter"], "--output", "1", "--sales", "1",
                "--target-output", "1000000", "--target-sales", "800000", "--submitted-on", last["submitted_on"],
                "--correction-reason", "更正：本季度停产（浏览器测试）")
        cli.run("monitor")
        return entity, last["quarter"]
    raise Failure(f"no operating entity without an open alert and with a report to correct (entities: {entities})")


# ---------------------------------------------------------------- the test


def browser(arguments):
    options = Options()
    options.add_argument("--headless=new")
    options.add_argument("--no-sandbox")
    options.add_argument("--disable-dev-shm-usage")
    options.add_argument("--window-size=1280,1600")
    options.binary_location = arguments.chromium
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    try:
        driver = webdriver.Chrome(service=Service(arguments.chromedriver), options=options)
    except WebDriverException as error:
        raise Failure(f"cannot start {arguments.chromium} through {arguments.chromedriver}: {error.msg or error}")
    driver.set_page_load_timeout(30)
    driver.set_script_timeout(30)
    return driver


def script_errors(driver):
    """Uncaught errors of the page's script, from the browser's console."""
    try:
        entries = driver.get_log("browser")
    except WebDriverException:
        return []
    return [entry["message"] for entry in entries if entry.get("level") == "SEVERE" and "Uncaught" in entry.get("message", "")]


def run(arguments):
    cli = CLI(arguments.taizhang, arguments.socket)
    daemon = arguments.daemon
    url = arguments.agent_url if arguments.agent_url.endswith("/") else arguments.agent_url + "/"
    driver = browser(arguments)
    try:
        log(f"opening {url} in {arguments.chromium} (headless)")
        driver.get(url)
        if driver.title != "台账监测":
            raise Failure(f"the page's title is {driver.title!r}, not 台账监测")
        lang = driver.execute_script("return document.documentElement.lang")
        if lang != "zh-CN":
            raise Failure(f'<html lang="{lang}">, not zh-CN')

        # a) rendered from the event stream, the daemon up.
        page = wait_for(driver, 20, lambda p: p["updates"] >= 1,
                        lambda p: f"a) no state rendered within 20 s (body data-updates={p and p['updates']}, connection {p and p['connection']!r})")
        check(f"a) the page loaded and rendered {page['updates']} state message(s) (generated_at {page['generatedAt']}), connection {page['connection']!r}")
        page = wait_for(driver, 20, lambda p: any(d["name"] == daemon and d["up"] == "true" for d in p["daemons"]),
                        lambda p: f"a) no card data-daemon={daemon} data-up=true within 20 s (cards: {p and p['daemons']})")
        check(f"a) daemon {daemon} is shown up")

        # b) and c): the page agrees with ListAlerts.
        page, alerts = wait_until_consistent(driver, cli, daemon, 20, "b/c")
        cells = [cell for cell in page["units"] if cell["daemon"] == daemon]
        lights = {}
        for cell in cells:
            lights[cell["light"]] = lights.get(cell["light"], 0) + 1
        by_unit = unit_light_alerts(alerts)
        check(f"b) {len(cells)} unit cells, lights {lights}; each matches its open unit_light alerts "
              f"({sum(len(v) for v in by_unit.values())} open: {sorted(by_unit)})")
        check(f"c) {len(page['alerts'])} alert rows = {len(alerts)} open alerts of ListAlerts, each id with a row at its level")

        # d) a new alert appears without a reload.
        origin = driver.execute_script("window.__taizhangMarker = 42; return performance.timeOrigin;")
        updates_before = snapshot(driver)["updates"]
        entity, quarter = raise_entity_alert(cli, alerts)
        after = cli.open_alerts()
        new = sorted(set(after) - set(alerts), key=int)
        if not new:
            raise Failure(f"d) correcting {entity}'s {quarter} report to a standstill and running the monitor raised no new open alert")
        log(f"d) corrected {entity}'s {quarter} report to a standstill; the monitor raised alert(s) {new} "
            f"({', '.join(after[i].get('kind', '?') + ' ' + level_of(after[i]) for i in new)})")
        started = time.monotonic()
        page = wait_for(driver, 30, lambda p: set(new) <= {row["id"] for row in p["alerts"] if row["daemon"] == daemon},
                        lambda p: f"d) no row for new alert(s) {new} within 30 s (rows: {p and sorted(r['id'] for r in p['alerts'])}, "
                                  f"data-updates {p and p['updates']}, connection {p and p['connection']!r})")
        if page["marker"] != 42 or page["timeOrigin"] != origin:
            raise Failure(f"d) the page was reloaded: marker {page['marker']!r} (set 42), timeOrigin {page['timeOrigin']} (was {origin})")
        check(f"d) row(s) for new alert(s) {new} appeared in {time.monotonic() - started:.1f} s without a reload "
              f"(marker kept, timeOrigin unchanged, data-updates {updates_before} -> {page['updates']})")
        for row in page["alerts"]:
            if row["id"] in new and row["level"] != level_of(after[row["id"]]):
                raise Failure(f"d) new alert {row['id']}: row says {row['level']}, ListAlerts says {level_of(after[row['id']])}")

        # e) a unit without targets for the quarter it shows gets some and lights up.
        page, alerts = wait_until_consistent(driver, cli, daemon, 20, "after d)")
        candidates = [cell for cell in page["units"] if cell["daemon"] == daemon and cell["light"] == "unset"
                      and len(cell["quarter"]) == 6 and cell["quarter"][:4].isdigit() and cell["id"] not in unit_light_alerts(alerts)]
        if not candidates:
            log("e) skipped: no unit cell shows unset with a quarter (every unit has targets for the quarter shown)")
        else:
            cell = candidates[0]
            year = cell["quarter"][:4]
            done = cli.run("supervision", "targets", cell["id"], "--year", year, "--spend", "10000,10000,10000,10000", allow_failure=True)
            if done.returncode != 0:
                log(f"e) skipped: taizhang supervision targets {cell['id']} --year {year} refused: {done.stderr.strip()}")
            else:
                cli.run("monitor")
                now = cli.open_alerts()
                lit = unit_light_alerts(now).get(cell["id"], [])
                if not lit:
                    log(f"e) skipped: targets set for {cell['id']} in {year}, but the monitor raised no unit_light alert (quarter not judged yet?)")
                else:
                    wanted = expected_light(cell, lit)
                    page = wait_for(driver, 30, lambda p: any(c["id"] == cell["id"] and c["daemon"] == daemon and c["light"] == wanted for c in p["units"]),
                                    lambda p: f"e) unit {cell['id']} did not turn {wanted} within 30 s (its cell: "
                                              f"{p and [c for c in p['units'] if c['id'] == cell['id']]}; alerts {lit})")
                    if page["marker"] != 42 or page["timeOrigin"] != origin:
                        raise Failure(f"e) the page was reloaded: marker {page['marker']!r}, timeOrigin {page['timeOrigin']} (was {origin})")
                    check(f"e) unit {cell['id']} ({cell['text']}) turned {wanted} without a reload after its {year} targets were set "
                          f"(unit_light alert(s) {[a[2] for a in lit]})")
        page, alerts = wait_until_consistent(driver, cli, daemon, 20, "at the end")
        check(f"b/c) still consistent at the end: {len([c for c in page['units'] if c['daemon'] == daemon])} unit cells, "
              f"{len(page['alerts'])} rows = {len(alerts)} open alerts")

        errors = script_errors(driver)
        if errors:
            raise Failure("the page's script threw:\n    " + "\n    ".join(errors))
        check("no uncaught script error in the browser console")
    finally:
        try:
            driver.quit()
        except WebDriverException:
            pass


def main():
    parser = argparse.ArgumentParser(description="Checks taizhang-agent's dashboard in headless chromium against the daemon's ListAlerts.")
    parser.add_argument("--agent-url", required=True, help="the agent's base URL, e.g. http://127.0.0.1:8080")
    parser.add_argument("--socket", required=True, help="the watched taizhangd's Unix socket")
    parser.add_argument("--taizhang", required=True, help="the taizhang CLI binary")
    parser.add_argument("--daemon", default="demo", help="the daemon's name in the agent's configuration (default: demo)")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument("--chromedriver", default="/usr/bin/chromedriver")
    arguments = parser.parse_args()
    started = time.monotonic()
    try:
        run(arguments)
    except Failure as failure:
        print(f"test_dashboard: FAIL: {failure}", file=sys.stderr, flush=True)
        return 1
    log(f"PASS ({time.monotonic() - started:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
