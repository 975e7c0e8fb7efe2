// Live progress of a connection's initial import on the Support addresses page: polls the same-origin JSON
// endpoint while any import runs and updates its bar and count. Without script the page still shows the
// progress as of its loading (the Content-Security-Policy allows only this origin's scripts).
(function () {
  "use strict";
  var INTERVAL_MS = 1000;

  function cells() {
    return Array.prototype.slice.call(document.querySelectorAll("[data-import-address]"));
  }

  function show(cell, item) {
    var bar = cell.querySelector("progress");
    var count = cell.querySelector(".import-count");
    bar.max = item.total;
    bar.value = item.done;
    // The words come from the page, in its language (data-said-* on the cell; {done} and {total} filled in here).
    var fill = function (name, done) {
      return cell.getAttribute(name).replace("{done}", done).replace("{total}", item.total);
    };
    bar.textContent = fill("data-said-progress", item.done);
    count.textContent = item.running ? fill("data-said-mails", item.done) : fill("data-said-done", item.total);
    cell.setAttribute("data-running", item.running ? "yes" : "no");
  }

  function poll() {
    var running = cells().filter(function (c) { return c.getAttribute("data-running") === "yes"; });
    if (running.length === 0) {
      return;
    }
    fetch(running[0].getAttribute("data-progress-url"),
          { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (data) {
          var byAddress = {};
          data.imports.forEach(function (item) { byAddress[item.address] = item; });
          cells().forEach(function (cell) {
            var item = byAddress[cell.getAttribute("data-import-address")];
            if (item) { show(cell, item); }
          });
        }
      })
      .catch(function () { /* the next round tries again */ })
      .then(function () { window.setTimeout(poll, INTERVAL_MS); });
  }

  document.addEventListener("DOMContentLoaded", function () { window.setTimeout(poll, INTERVAL_MS); });
}());
