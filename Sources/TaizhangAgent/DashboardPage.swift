// The dashboard taizhang-agent serves at "/": one self-contained page (inline
// CSS and script, nothing fetched from elsewhere, no framework), in Chinese.
// It opens the server-sent-events stream "events" (relative, so it works
// behind a path prefix) and renders the whole page again from each
// `event: state` message, whose data is the agent's state (the JSON of
// GET /api/state): the daemons (up, serving, version, last poll, open alerts
// by level, last audit-chain verification), the responsible units' traffic
// lights grouped by daemon, and the open alerts, red first then newest first.
// The data is untrusted (names and messages come from the ledgers): every
// piece of it goes in with textContent or as an attribute value, never as
// markup. For tests, <body> carries data-updates (state messages rendered so
// far) and data-generated-at (the last state's generated_at); each daemon
// card, unit cell and alert row carries data-* attributes naming what it
// shows (tests/browser/test_dashboard.py reads them).

enum DashboardPage {
    static let html: String = #"""
    <!doctype html>
    <html lang="zh-CN">
    <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>台账监测</title>
    <style>
    :root { --green: #2e7d32; --yellow: #f9a825; --red: #c62828; --grey: #9e9e9e; --ink: #212121; --muted: #616161; --line: #e0e0e0; }
    * { box-sizing: border-box; }
    body { margin: 0; font-family: "Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", "WenQuanYi Micro Hei", sans-serif; color: var(--ink); background: #fafafa; font-size: 14px; }
    header { display: flex; flex-wrap: wrap; align-items: baseline; gap: 12px 24px; padding: 12px 20px; background: #263238; color: #fff; }
    header h1 { margin: 0; font-size: 20px; font-weight: 600; }
    #conn { padding: 2px 10px; border-radius: 10px; font-size: 13px; background: var(--grey); }
    #conn[data-state="open"] { background: var(--green); }
    #conn[data-state="error"] { background: var(--red); }
    #generated { font-size: 13px; color: #cfd8dc; }
    #totals { font-size: 13px; }
    main { padding: 8px 20px 32px; }
    section { margin-top: 16px; }
    h2 { font-size: 17px; margin: 8px 0; padding-bottom: 4px; border-bottom: 2px solid var(--line); }
    h3 { font-size: 15px; margin: 12px 0 6px; color: var(--muted); }
    .empty { color: var(--muted); padding: 6px 0; }
    .cards { display: flex; flex-wrap: wrap; gap: 12px; }
    .card { background: #fff; border: 1px solid var(--line); border-left: 6px solid var(--green); border-radius: 4px; padding: 10px 14px; min-width: 280px; max-width: 420px; flex: 1 1 300px; }
    .card[data-up="false"] { border-left-color: var(--red); }
    .card.not-serving { border-left-color: var(--yellow); }
    .card .title { font-size: 16px; font-weight: 600; }
    .card .name { color: var(--muted); font-size: 12px; margin-left: 6px; }
    .card dl { display: grid; grid-template-columns: max-content 1fr; gap: 3px 10px; margin: 8px 0 0; }
    .card dt { color: var(--muted); }
    .card dd { margin: 0; overflow-wrap: anywhere; }
    .badge { display: inline-block; padding: 0 8px; border-radius: 9px; color: #fff; font-size: 12px; margin-left: 8px; vertical-align: 2px; }
    .badge.ok { background: var(--green); }
    .badge.down { background: var(--red); }
    .badge.stopped { background: var(--yellow); color: #212121; }
    .count-red { color: var(--red); font-weight: 600; }
    .count-yellow { color: #b26a00; font-weight: 600; }
    .verify-bad { color: var(--red); font-weight: 600; }
    .verify-ok { color: var(--green); }
    .error { color: var(--red); }
    .grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(170px, 1fr)); gap: 8px; }
    .unit { border-radius: 4px; padding: 8px 10px; color: #fff; background: var(--grey); min-height: 72px; }
    .unit[data-light="green"] { background: var(--green); }
    .unit[data-light="yellow"] { background: var(--yellow); color: #212121; }
    .unit[data-light="red"] { background: var(--red); }
    .unit .unit-name { font-weight: 600; }
    .unit .unit-meta, .unit .unit-light { font-size: 12px; margin-top: 3px; }
    table { border-collapse: collapse; width: 100%; background: #fff; }
    th, td { border: 1px solid var(--line); padding: 5px 8px; text-align: left; vertical-align: top; }
    th { background: #eceff1; font-weight: 600; white-space: nowrap; }
    td.level { white-space: nowrap; font-weight: 600; }
    tr[data-level="red"] td.level { color: var(--red); }
    tr[data-level="yellow"] td.level { color: #b26a00; }
    tr.overdue { background: #ffebee; }
    tr.overdue td.overdue-cell { color: var(--red); font-weight: 600; }
    .subject-id { color: var(--muted); font-size: 12px; margin-left: 4px; }
    td.time { white-space: nowrap; }
    </style>
    </head>
    <body data-updates="0">
    <header>
      <h1>台账监测</h1>
      <span id="conn" data-state="connecting">连接中…</span>
      <span id="totals"></span>
      <span id="generated"></span>
    </header>
    <main>
      <section id="daemons-section">
        <h2>守护进程</h2>
        <div id="daemons" class="cards"><div class="empty">等待数据…</div></div>
      </section>
      <section id="units-section">
        <h2>责任单位红黄绿灯</h2>
        <div id="units"><div class="empty">等待数据…</div></div>
      </section>
      <section id="alerts-section">
        <h2>未结预警</h2>
        <table id="alerts">
          <thead><tr><th>级别</th><th>类别</th><th>对象</th><th>地区</th><th>发出时间</th><th>跟进</th><th>逾期</th></tr></thead>
          <tbody id="alert-rows"><tr><td colspan="7" class="empty">等待数据…</td></tr></tbody>
        </table>
      </section>
    </main>
    <script>
    (function () {
      "use strict";
      var updates = 0;
      var source = null;
      var retryTimer = null;

      // An element with optional class and text (always textContent: the data is untrusted).
      function el(tag, className, text) {
        var node = document.createElement(tag);
        if (className) { node.className = className; }
        if (text !== undefined && text !== null) { node.textContent = String(text); }
        return node;
      }
      function str(value) { return value === undefined || value === null ? "" : String(value); }
      function num(value) { var n = Number(value); return isFinite(n) ? n : 0; }
      function lower(value) { return str(value).toLowerCase(); }
      function clear(node) { while (node.firstChild) { node.removeChild(node.firstChild); } }

      // An RFC 3339 time as China Standard Time, "2026-12-07 10:00:00"; the text itself when it is not one.
      function time(value) {
        var text = str(value);
        if (!text) { return "—"; }
        var ms = Date.parse(text);
        if (isNaN(ms)) { return text; }
        var d = new Date(ms + 8 * 3600 * 1000);
        function two(n) { return (n < 10 ? "0" : "") + n; }
        return d.getUTCFullYear() + "-" + two(d.getUTCMonth() + 1) + "-" + two(d.getUTCDate()) + " " +
               two(d.getUTCHours()) + ":" + two(d.getUTCMinutes()) + ":" + two(d.getUTCSeconds());
      }
      function timeCell(tag, value) {
        var node = el(tag, "time", time(value));
        if (value) { node.title = str(value); }
        return node;
      }

      var levelNames = { red: "红灯", yellow: "黄灯", green: "绿灯" };
      var lightNames = { green: "绿灯", yellow: "黄灯", red: "红灯", pending: "待评", unset: "未设目标" };
      var kindNames = { township: "乡镇", department: "部门" };
      var lights = { green: true, yellow: true, red: true, pending: true, unset: true };

      function field(list, label, value, className) {
        list.appendChild(el("dt", null, label));
        var dd = el("dd", className || null);
        if (value instanceof Node) { dd.appendChild(value); } else { dd.textContent = str(value); }
        list.appendChild(dd);
        return dd;
      }

      function daemonCard(d) {
        var up = d.up === true;
        var serving = d.serving !== false;
        var card = el("div", "card");
        card.setAttribute("data-daemon", str(d.name));
        card.setAttribute("data-up", up ? "true" : "false");
        card.setAttribute("data-serving", up && serving ? "true" : "false");
        if (up && !serving) { card.classList.add("not-serving"); }
        var head = el("div");
        head.appendChild(el("span", "title", str(d.title) || str(d.name)));
        if (d.title && d.title !== d.name) { head.appendChild(el("span", "name", str(d.name))); }
        var badge = up ? (serving ? el("span", "badge ok", "正常") : el("span", "badge stopped", "停止服务")) : el("span", "badge down", "不可达");
        badge.setAttribute("data-role", "status");
        head.appendChild(badge);
        card.appendChild(head);
        var list = el("dl");
        field(list, "版本", str(d.version) || "—");
        field(list, "最近轮询", time(d.last_poll)).title = str(d.last_poll);
        var open = d.open || {};
        var counts = el("span");
        counts.setAttribute("data-role", "open");
        counts.appendChild(el("span", "count-red", "红 " + num(open.red)));
        counts.appendChild(document.createTextNode(" / "));
        counts.appendChild(el("span", "count-yellow", "黄 " + num(open.yellow)));
        field(list, "未结预警", counts);
        var verify = d.verify;
        var verifyText = el("span");
        verifyText.setAttribute("data-role", "verify");
        if (verify && typeof verify === "object") {
          var intact = verify.intact === true;
          verifyText.setAttribute("data-intact", intact ? "true" : "false");
          verifyText.appendChild(el("span", intact ? "verify-ok" : "verify-bad", intact ? "通过" : "未通过"));
          verifyText.appendChild(document.createTextNode("，" + time(verify.at) + "，链头序号 " + str(verify.head_seq)));
          if (verify.problem) { verifyText.appendChild(el("div", "verify-bad", str(verify.problem))); }
        } else {
          verifyText.textContent = "尚未校验";
        }
        field(list, "最近校验", verifyText);
        if (d.error) { field(list, "错误", str(d.error), "error").setAttribute("data-role", "error"); }
        card.appendChild(list);
        return card;
      }

      function unitCell(u) {
        var light = lower(u.light);
        if (!lights[light]) { light = "unset"; }
        var cell = el("div", "unit");
        cell.setAttribute("data-unit-id", str(u.id));
        cell.setAttribute("data-daemon", str(u.daemon));
        cell.setAttribute("data-light", light);
        cell.setAttribute("data-quarter", str(u.quarter));
        cell.title = str(u.id);
        cell.appendChild(el("div", "unit-name", str(u.name) || str(u.id)));
        var kind = kindNames[lower(u.kind)] || str(u.kind);
        cell.appendChild(el("div", "unit-meta", kind + (u.quarter ? " · " + str(u.quarter) : "")));
        cell.appendChild(el("div", "unit-light", lightNames[light]));
        return cell;
      }

      function alertRow(a) {
        var level = lower(a.level) === "red" ? "red" : "yellow";
        var row = el("tr");
        row.setAttribute("data-alert-id", str(a.id));
        row.setAttribute("data-daemon", str(a.daemon));
        row.setAttribute("data-level", level);
        if (a.overdue === true) { row.className = "overdue"; }
        row.appendChild(el("td", "level", levelNames[level]));
        row.appendChild(el("td", null, str(a.kind_zh) || str(a.kind)));
        var subject = el("td");
        subject.appendChild(el("span", null, str(a.subject_name)));
        subject.appendChild(el("span", "subject-id", str(a.subject_id)));
        if (a.message) { subject.title = str(a.message); }
        row.appendChild(subject);
        row.appendChild(el("td", null, str(a.admin_code)));
        row.appendChild(timeCell("td", a.raised_at));
        row.appendChild(el("td", null, str(a.follow_up) || "—"));
        row.appendChild(el("td", "overdue-cell", a.overdue === true ? "是" : ""));
        return row;
      }

      function raisedMillis(a) { var ms = Date.parse(str(a.raised_at)); return isNaN(ms) ? 0 : ms; }

      function render(state) {
        var daemons = Array.isArray(state.daemons) ? state.daemons : [];
        var units = Array.isArray(state.units) ? state.units : [];
        var alerts = Array.isArray(state.alerts) ? state.alerts : [];
        var titles = {};
        daemons.forEach(function (d) { titles[str(d.name)] = str(d.title) || str(d.name); });

        var cards = document.getElementById("daemons");
        clear(cards);
        if (daemons.length === 0) { cards.appendChild(el("div", "empty", "未配置守护进程")); }
        daemons.forEach(function (d) { cards.appendChild(daemonCard(d || {})); });

        var unitsBox = document.getElementById("units");
        clear(unitsBox);
        if (units.length === 0) { unitsBox.appendChild(el("div", "empty", "暂无责任单位")); }
        var groups = [];
        var byDaemon = {};
        units.forEach(function (u) {
          u = u || {};
          var name = str(u.daemon);
          if (!byDaemon.hasOwnProperty(name)) { byDaemon[name] = []; groups.push(name); }
          byDaemon[name].push(u);
        });
        groups.forEach(function (name) {
          var group = el("div", "unit-group");
          group.setAttribute("data-daemon", name);
          group.appendChild(el("h3", null, titles[name] || name));
          var grid = el("div", "grid");
          byDaemon[name].forEach(function (u) { grid.appendChild(unitCell(u)); });
          group.appendChild(grid);
          unitsBox.appendChild(group);
        });

        var rows = document.getElementById("alert-rows");
        clear(rows);
        var sorted = alerts.map(function (a) { return a || {}; }).slice();
        sorted.sort(function (a, b) {
          var ra = lower(a.level) === "red" ? 0 : 1, rb = lower(b.level) === "red" ? 0 : 1;
          if (ra !== rb) { return ra - rb; }
          var ta = raisedMillis(a), tb = raisedMillis(b);
          if (ta !== tb) { return tb - ta; }
          return num(b.id) - num(a.id);
        });
        if (sorted.length === 0) {
          var none = el("tr");
          none.appendChild(el("td", "empty", "暂无未结预警")).setAttribute("colspan", "7");
          rows.appendChild(none);
        }
        sorted.forEach(function (a) { rows.appendChild(alertRow(a)); });

        var red = 0, yellow = 0;
        sorted.forEach(function (a) { if (lower(a.level) === "red") { red += 1; } else { yellow += 1; } });
        document.getElementById("totals").textContent = "未结预警：红灯 " + red + " 条，黄灯 " + yellow + " 条";
        document.getElementById("generated").textContent = "数据时间 " + time(state.generated_at);
        document.body.dataset.generatedAt = str(state.generated_at);
        updates += 1;
        document.body.dataset.updates = String(updates);
      }

      function setConnection(open) {
        var conn = document.getElementById("conn");
        conn.setAttribute("data-state", open ? "open" : "error");
        conn.textContent = open ? "已连接" : "连接中断，正在重连";
      }

      function connect() {
        retryTimer = null;
        source = new EventSource("events");
        source.onopen = function () { setConnection(true); };
        source.onerror = function () {
          setConnection(false);
          // The browser retries by itself unless the stream was refused outright; then so do we.
          if (source.readyState === EventSource.CLOSED && retryTimer === null) {
            source.close();
            retryTimer = setTimeout(connect, 3000);
          }
        };
        source.addEventListener("state", function (event) {
          var state;
          try {
            state = JSON.parse(event.data);
          } catch (e) {
            document.getElementById("generated").textContent = "收到的数据无法解析";
            return;
          }
          if (state && typeof state === "object") { render(state); }
        });
      }

      connect();
    })();
    </script>
    </body>
    </html>
    """#
}
