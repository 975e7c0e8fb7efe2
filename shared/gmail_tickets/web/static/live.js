// gmail-tickets console: progressive enhancement only; every page works without it (web/live.py says why
// polling). Local times, the phone menu, live lists and ticket, "Ana is replying".
(function () {
  "use strict";
  var body = document.body;
  var narrow = window.matchMedia("(max-width: 48rem)");

  // ---- times: <time datetime="…Z">UTC text</time> → the agent's timezone, relative when recent; UTC on hover
  var lang = document.documentElement.lang || undefined;  // the console's language (web/i18n.py), not the browser's
  var absolute = new Intl.DateTimeFormat(lang, { dateStyle: "medium", timeStyle: "short" });
  var relative = Intl.RelativeTimeFormat ? new Intl.RelativeTimeFormat(lang, { numeric: "auto" }) : null;
  var STEPS = [[3600, 60, "minute"], [6 * 3600, 3600, "hour"]];  // below how many seconds ago, unit size, unit

  function phrase(at) {
    var seconds = (at.getTime() - Date.now()) / 1000;
    if (!relative || seconds > 0 || seconds <= -6 * 3600) return absolute.format(at);  // "at 20:52", not "at in 4 min"
    if (Math.abs(seconds) < 60) return relative.format(0, "second");  // "now"
    for (var i = 0; i < STEPS.length; i++) {
      if (Math.abs(seconds) < STEPS[i][0]) return relative.format(Math.round(seconds / STEPS[i][1]), STEPS[i][2]);
    }
    return absolute.format(at);
  }

  function localise(root) {
    var times = root.querySelectorAll("time[datetime]");
    for (var i = 0; i < times.length; i++) {
      var el = times[i], at = new Date(el.getAttribute("datetime"));
      if (isNaN(at.getTime())) continue;
      // the server's title is the UTC time in ISO form (web/time_html.py): unambiguous in any language
      if (!el.hasAttribute("data-utc")) el.setAttribute("data-utc", el.title || el.textContent.trim());
      el.textContent = phrase(at);
      el.title = absolute.format(at) + " · " + el.getAttribute("data-utc");
    }
  }

  // ---- phone menu: open by default (works without script); closed on narrow screens, always open on wide ones
  var menu = document.querySelector("details.menu");
  function fitMenu() { if (menu) menu.open = !narrow.matches; }
  if (narrow.addEventListener) narrow.addEventListener("change", fitMenu);

  // ---- tables wider than the screen scroll inside themselves; keyboard users can reach them too
  function scrollables(root) {
    var tables = root.querySelectorAll("table");
    for (var i = 0; i < tables.length; i++) {
      var t = tables[i];
      if (t.scrollWidth > t.clientWidth + 1 && !t.hasAttribute("tabindex")) t.setAttribute("tabindex", "0");
    }
  }

  // ---- live: poll the change mark; when it moves, fetch this page again and swap what changed
  var key = body.getAttribute("data-live");
  var seen = body.getAttribute("data-live-mark");
  var ticket = body.getAttribute("data-ticket");
  var etag = null;
  var status = null;

  function dirty(f) {
    if (f.type === "hidden" || f.type === "submit") return false;
    if (f.type === "checkbox" || f.type === "radio") return f.checked !== f.defaultChecked;
    if (f.type === "file") return f.files && f.files.length > 0;
    if (f.tagName === "SELECT") {  // with no option marked selected, a single select's default is its first
      var marked = Array.prototype.some.call(f.options, function (o) { return o.defaultSelected; });
      for (var i = 0; i < f.options.length; i++) {
        var initial = marked ? f.options[i].defaultSelected : (i === 0 && !f.multiple);
        if (f.options[i].selected !== initial) return true;
      }
      return false;
    }
    return f.value !== f.defaultValue;
  }

  function busy(el) {
    var active = document.activeElement;
    if (active && active !== body && el.contains(active) && active.matches("input, textarea, select")) return true;
    var fields = el.querySelectorAll("input, textarea, select");
    for (var i = 0; i < fields.length; i++) if (dirty(fields[i])) return true;
    return false;
  }

  function parts(main) {
    return Array.prototype.filter.call(main.children, function (c) {
      return !c.matches(".flashes, #typing-note, #live-status");
    });
  }

  function swap(fresh) {
    var main = document.querySelector("main"), olds = parts(main), news = parts(fresh);
    var same = olds.length === news.length && olds.every(function (o, i) {
      return o.tagName === news[i].tagName && o.id === news[i].id;
    });
    if (same) {
      olds.forEach(function (o, i) { if (!busy(o)) o.replaceWith(document.importNode(news[i], true)); });
    } else if (!busy(main)) {
      olds.forEach(function (o) { o.remove(); });
      news.forEach(function (n) { main.appendChild(document.importNode(n, true)); });
    }
    localise(main);
    scrollables(main);
    say(body.getAttribute("data-said-updated"));
  }

  function say(text) {
    if (!status) {
      status = document.createElement("p");
      status.id = "live-status";
      status.className = "visually-hidden";
      status.setAttribute("role", "status");
      document.querySelector("main").appendChild(status);
    }
    status.textContent = text;
  }

  function refresh() {
    return fetch(location.href, { credentials: "same-origin", cache: "no-store", headers: { "X-Live-Refresh": "1" } })
      .then(function (r) { return r.ok && !r.redirected ? r.text() : null; })
      .then(function (html) {
        if (!html) return;
        var fresh = new DOMParser().parseFromString(html, "text/html").querySelector("main");
        if (fresh) swap(fresh);
      });
  }

  function showTyping(names) {
    var note = document.getElementById("typing-note");
    var heading = document.querySelector("main h1");
    if (!note && heading) {
      note = document.createElement("p");
      note.id = "typing-note";
      note.className = "typing";
      note.setAttribute("role", "status");
      heading.insertAdjacentElement("afterend", note);
    }
    if (!note) return;
    // The words come from the page, in its language (data-said-* on <body>, web/templates/base.html).
    note.textContent = !names.length ? "" :
      body.getAttribute(names.length === 1 ? "data-said-replying-one" : "data-said-replying-many")
        .replace("{names}", names.join(body.getAttribute("data-said-and")));
  }

  function poll() {
    if (document.hidden) return later();
    var url = body.getAttribute("data-live-url") + "?key=" + encodeURIComponent(key) + (ticket ? "&ticket=" + ticket : "");
    fetch(url, { credentials: "same-origin", cache: "no-store", headers: etag ? { "If-None-Match": etag } : {} })
      .then(function (r) {
        if (r.status === 304 || !r.ok) return null;
        etag = r.headers.get("ETag");
        return r.json();
      })
      .then(function (answer) {
        if (!answer) return null;
        if (ticket) showTyping(answer.typing || []);
        var mark = String(answer.marks[key]);
        if (mark === seen) return null;
        seen = mark;
        return refresh();
      })
      .catch(function () { /* offline, signed out, IAP re-authenticating: try again next time */ })
      .then(later);
  }

  function later() {
    window.setTimeout(poll, 1000 * Number(body.getAttribute("data-poll-seconds") || 5));
  }

  // ---- typing: tell the others at most every renew-seconds while this agent types a reply
  function watchTyping() {
    var box = document.getElementById("reply-body");
    var url = body.getAttribute("data-typing-url");
    var token = document.querySelector("input[name=csrf_token]");
    var every = 1000 * Number(body.getAttribute("data-renew-seconds") || 10);
    var last = 0;
    if (!box || !url || !token) return;
    box.addEventListener("input", function () {
      if (Date.now() - last < every) return;
      last = Date.now();
      fetch(url, { method: "POST", credentials: "same-origin", headers: { "X-CSRFToken": token.value } })
        .catch(function () {});
    });
  }

  localise(document);
  fitMenu();
  scrollables(document);
  window.setInterval(function () { localise(document); }, 30000);
  if (key) later();
  if (ticket) watchTyping();
})();
