// The dashboard: polls the control API (clock and pools, the request journal, the latest
// transactions) and draws them; the advance buttons move the sandbox clock. Everything shown
// is written as text (never as HTML): journaled paths and parameters are the clients' own.
(function () {
  "use strict";
  var POLL_MS = 2000;
  var ADMIN_HEADER = "X-Sandbox-Admin-Token";
  var TOKEN_KEY = "invoca-sandbox-admin-token";
  var REQUESTS = 12;
  var TRANSACTIONS = 10;
  var byId = function (id) { return document.getElementById(id); };
  var busy = false;

  // ---- a small DOM builder: el("td", {class: "x"}, ["text", child]) -------------------
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      if (name === "style") { node.style.cssText = attrs[name]; }
      else { node.setAttribute(name, attrs[name]); }
    });
    (children || []).forEach(function (child) {
      if (child === null || child === undefined) { return; }
      node.appendChild(typeof child === "string" || typeof child === "number"
        ? document.createTextNode(String(child)) : child);
    });
    return node;
  }

  function table(headings, rows) {
    return el("table", {}, [
      el("thead", {}, [el("tr", {}, headings.map(function (h) { return el("th", {}, [h]); }))]),
      el("tbody", {}, rows)
    ]);
  }

  function replace(container, child) {
    container.textContent = "";
    container.appendChild(child);
  }

  // ---- formats ---------------------------------------------------------------------------
  function when(iso) {  // "2016-10-01 00:30:00" (UTC, as the sandbox keeps time)
    return iso ? iso.replace("T", " ").replace(/(\.\d+)?Z$/, "") : "";
  }

  function clockTime(iso) { return iso ? when(iso).slice(11) : ""; }

  function duration(seconds) {  // 1h 02m, 4m 05s, 12s
    var s = Math.max(0, Math.round(seconds));
    var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
    if (h) { return h + "h " + String(m).padStart(2, "0") + "m"; }
    if (m) { return m + "m " + String(r).padStart(2, "0") + "s"; }
    return r + "s";
  }

  function phone(digits) {
    var d = String(digits || "");
    return /^\d{10}$/.test(d) ? d.slice(0, 3) + "-" + d.slice(3, 6) + "-" + d.slice(6) : d;
  }

  function params(map) {
    var names = Object.keys(map || {});
    return names.length ? names.map(function (n) { return n + "=" + map[n]; }).join(", ") : "";
  }

  // ---- the control API ---------------------------------------------------------------------
  function call(method, path, body) {
    var headers = {"Accept": "application/json"};
    var token = window.sessionStorage.getItem(TOKEN_KEY);
    if (token) { headers[ADMIN_HEADER] = token; }
    if (body !== undefined) { headers["Content-Type"] = "application/json"; }
    return fetch(path, {method: method, headers: headers,
                        body: body === undefined ? undefined : JSON.stringify(body)})
      .then(function (response) {
        if (response.status === 401) { throw {locked: true}; }
        if (!response.ok) {
          return response.text().then(function (text) {
            throw {message: method + " " + path + ": " + response.status + " " + text};
          });
        }
        return response.json();
      });
  }

  function status(text, state) {
    var node = byId("status");
    node.textContent = text;
    node.setAttribute("data-state", state);
  }

  // ---- drawing -----------------------------------------------------------------------------
  function drawClock(data) {
    byId("clock-now").textContent = when(data.now) + " UTC";
    byId("clock-now").setAttribute("data-now", data.now);
    replace(byId("clock-mode"), el("span", {}, [
      el("span", {"class": "badge", "data-mode": data.clock}, [data.clock + " clock"]), " ",
      data.clock === "manual" ? "moves only when told to" : "follows real time, plus what it was advanced"
    ]));
    byId("clock-note").textContent = "Holds end, calls settle and delivery reports arrive on " +
      "this clock. Advancing it never goes back.";
  }

  function figure(value, label, extra) {
    return el("div", {"class": "figure" + (extra ? " " + extra : "")}, [el("b", {}, [value]),
                                                                         el("span", {}, [label])]);
  }

  function holdRow(hold, lifetime) {
    var share = lifetime ? Math.max(0, Math.min(1, hold.seconds_left / lifetime)) : 0;
    return el("tr", {"data-number": hold.promo_number}, [
      el("td", {"class": "mono"}, [phone(hold.promo_number)]),
      el("td", {}, ["#" + hold.allocation_id, hold.affiliate_id_from_network
        ? el("div", {"class": "muted small"}, ["affiliate " + hold.affiliate_id_from_network])
        : null]),
      el("td", {"class": "mono small"}, [params(hold.params) || "\u2014"]),
      el("td", {"class": "nowrap"}, [clockTime(hold.allocated_at)]),
      el("td", {}, [el("div", {"class": "left"}, [
        el("span", {"class": "time-left"}, [duration(hold.seconds_left)]),
        el("span", {"class": "track"}, [el("span", {
          "class": share < 0.2 ? "low" : "", "style": "width:" + (share * 100).toFixed(1) + "%"
        })])
      ])])
    ]);
  }

  function poolCard(pool) {
    var size = pool.max_pool_size || 1;
    var heldPct = (100 * pool.held / size).toFixed(1);
    var freePct = (100 * pool.free / size).toFixed(1);
    var where = ["pool " + pool.id, pool.id_from_network, pool.pool_type,
                 "hold " + duration(pool.lifetime_seconds),
                 "campaign " + pool.advertiser_campaign_id_from_network];
    if (pool.affiliate_id_from_network) { where.push("affiliate " + pool.affiliate_id_from_network); }
    if (pool.fill_at) { where.push("local fill at " + when(pool.fill_at)); }
    var holds = pool.holds.length
      ? table(["Number", "Allocation", "Visit parameters", "Since", "Time left"],
              pool.holds.map(function (h) { return holdRow(h, pool.lifetime_seconds); }))
      : el("p", {"class": "empty"}, ["No number is held right now."]);
    return el("article", {"class": "card pool", "data-pool-id": pool.id}, [
      el("h3", {}, [pool.name || pool.id_from_network || ("RingPool " + pool.id)]),
      el("div", {"class": "sub"}, [where.filter(Boolean).join(" \u00b7 ")]),
      el("div", {"class": "figures"}, [
        figure(pool.held + " / " + pool.max_pool_size, "held"),
        figure(pool.free, "free"),
        figure(pool.max_pool_size - pool.provisioned, "not issued yet"),
        figure(pool.overflow_count, "overflowed", pool.overflow_count ? "overflow" : ""),
        figure(pool.allocations, "allocations")
      ]),
      el("div", {"class": "meter", "title": pool.held + " held, " + pool.free + " free"}, [
        el("span", {"class": "held", "style": "width:" + heldPct + "%"}),
        el("span", {"class": "free", "style": "width:" + freePct + "%"})
      ]),
      el("div", {"class": "legend"}, [
        el("i", {"style": "background:var(--held)"}), "held",
        el("i", {"style": "background:var(--free)"}), "free",
        el("i", {"style": "background:var(--unissued)"}), "not issued",
        "  \u00b7  overflow number ",
        el("span", {"class": "mono"}, [pool.overflow_number ? phone(pool.overflow_number)
                                                            : "none (overflow off)"])
      ]),
      holds
    ]);
  }

  function drawPools(pools) {
    var container = byId("pools");
    container.textContent = "";
    if (!pools.length) {
      container.appendChild(el("p", {"class": "empty"}, ["This world has no ring pools."]));
      return;
    }
    pools.forEach(function (pool) { container.appendChild(poolCard(pool)); });
  }

  function drawRequests(entries) {
    var rows = entries.slice().reverse().map(function (entry) {
      var code = String(entry.status);
      return el("tr", {}, [
        el("td", {"class": "nowrap"}, [when(entry.at)]),
        el("td", {"class": "mono"}, [entry.method]),
        el("td", {"class": "path mono small"}, [entry.path]),
        el("td", {}, [entry.operation_id || ""]),
        el("td", {}, [el("span", {"class": "code s" + code.charAt(0)}, [code])])
      ]);
    });
    replace(byId("requests"), rows.length
      ? table(["At", "Method", "Path", "Operation", "Status"], rows)
      : el("p", {"class": "empty"}, ["No API request yet. Try the API docs."]));
  }

  function drawTransactions(rows) {
    var lines = rows.slice().reverse().map(function (row) {
      return el("tr", {}, [
        el("td", {"class": "nowrap"}, [typeof row.start_time_utc === "number"
          ? when(new Date(row.start_time_utc).toISOString()) : ""]),
        el("td", {"class": "mono small"}, [row.transaction_id]),
        el("td", {}, [row.transaction_type || ""]),
        el("td", {"class": "mono"}, [row.calling_phone_number || ""]),
        el("td", {}, [row.duration !== undefined && row.duration !== null
          ? duration(row.duration) : ""]),
        el("td", {}, [row.advertiser_campaign_name || ""]),
        el("td", {}, [row.call_result_description_detail || ""])
      ]);
    });
    replace(byId("transactions"), lines.length
      ? table(["Start", "Transaction", "Type", "Caller", "Length", "Campaign", "Result"], lines)
      : el("p", {"class": "empty"}, ["No transaction yet. POST /_sandbox/calls makes one."]));
  }

  function setButtons(enabled) {
    Array.prototype.forEach.call(document.querySelectorAll(".advance button"), function (b) {
      b.disabled = !enabled;
    });
  }

  // ---- the loop ------------------------------------------------------------------------------
  function refresh() {
    return Promise.all([
      call("GET", "/_sandbox/pools"),
      call("GET", "/_sandbox/requests?limit=" + REQUESTS),
      call("GET", "/_sandbox/transactions?limit=" + TRANSACTIONS)
    ]).then(function (answers) {
      byId("admin").hidden = true;
      drawClock(answers[0]);
      drawPools(answers[0].pools);
      drawRequests(answers[1]);
      drawTransactions(answers[2]);
      setButtons(!busy);
      status("live \u00b7 updated " + new Date().toLocaleTimeString(), "live");
    }).catch(function (problem) {
      setButtons(false);
      if (problem && problem.locked) {
        byId("admin").hidden = false;
        status("needs the admin token", "locked");
      } else {
        status("cannot reach the sandbox" + (problem && problem.message ? ": " +
               problem.message : ""), "error");
      }
    });
  }

  Array.prototype.forEach.call(document.querySelectorAll(".advance button"), function (button) {
    button.addEventListener("click", function () {
      busy = true;
      setButtons(false);
      call("POST", "/_sandbox/clock", {advance_seconds: Number(button.dataset.seconds)})
        .catch(function (problem) {
          status(problem && problem.message ? problem.message : "the clock did not move", "error");
        })
        .then(function () { busy = false; return refresh(); });
    });
  });

  byId("admin").addEventListener("submit", function (event) {
    event.preventDefault();
    var token = byId("admin-token").value.trim();
    if (token) { window.sessionStorage.setItem(TOKEN_KEY, token); }
    refresh();
  });

  setButtons(false);
  refresh();
  window.setInterval(function () { if (!busy) { refresh(); } }, POLL_MS);
}());
