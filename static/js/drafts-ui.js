// The phone's drafts on the page (drafts.js keeps and sends them): the filing and survey forms save to the phone and
// send from there; a list shows what is waiting; logging out warns before the drafts are deleted from the phone.
// Texts come from the page (#drafts-text, in the user's language). Without this script the forms post as always.
(function () {
  "use strict";
  var D = window.ClaimsDrafts;
  try { // the offline page follows the text size chosen on the other pages (sw-register.js keeps the choice)
    if (document.getElementById("offline") && localStorage.getItem("claims.largeText") === "1") { document.documentElement.classList.add("large-text"); }
  } catch (e) { /* standard size */ }
  if (!D || !window.indexedDB || !window.fetch || !window.Promise) { return; }
  var T = {};
  try { T = JSON.parse(document.getElementById("drafts-text").textContent); } catch (e) { T = {}; }
  function t(key, n) { return String(T[key] || key).replace("{n}", n); }
  var meta = document.querySelector("meta[name=claims-account]");
  var owner = meta ? meta.content : null;
  try {
    if (owner) { localStorage.setItem("claims.owner", owner); } else if (document.getElementById("offline")) { owner = localStorage.getItem("claims.owner"); }
  } catch (e) { /* storage refused: drafts need an owner */ }
  if (!owner) { return; }
  // Another account logged in on this phone (in another tab): this page is no longer theirs to use.
  window.addEventListener("storage", function (e) {
    if (e.key === "claims.owner" && e.newValue && e.newValue !== owner && meta) { location.reload(); }
  });

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined && text !== null) { node.textContent = text; }
    return node;
  }
  function when(ms) { var d = new Date(ms); return d.toLocaleString("zh-CN", { hour12: false }); }
  function randomKey() {
    var bytes = new Uint8Array(16); crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  // ---- The list of what is on the phone ---------------------------------------------------------------------------
  var box = document.getElementById("drafts");
  function list(rows) {
    var ul = el("ul", { "class": "drafts-list" });
    rows.forEach(function (d) {
      var li = el("li", { "data-draft-id": d.id, "data-state": d.state });
      li.appendChild(el("strong", {}, d.title || t("kind_" + d.kind)));
      li.appendChild(el("span", { "class": "badge draft-state" }, t("state_" + (d.invalid ? "arrived_draft" : d.state))));
      li.appendChild(el("small", {}, " " + when(d.savedAt) + (d.photos && d.photos.length ? " · " + t("photos", d.photos.length) : "")));
      if (d.message && d.state !== "done") { li.appendChild(el("p", { "class": "hint" }, d.message)); }
      var actions = el("p", { "class": "draft-actions" });
      if (d.state === "done") {
        if (d.result) { actions.appendChild(el("a", { href: d.result, "class": "button" }, t("view"))); }
      } else {
        actions.appendChild(el("a", { href: d.url + "?draft=" + encodeURIComponent(d.id), "class": "button" }, t("open")));
        if (d.state === "waiting" || d.state === "login") {
          var now = el("button", { type: "button", "class": "button", "data-send": d.id }, t("send_now")); actions.appendChild(now);
        }
      }
      actions.appendChild(el("button", { type: "button", "class": "button danger", "data-discard": d.id }, d.state === "done" ? t("dismiss") : t("discard")));
      li.appendChild(actions);
      ul.appendChild(li);
    });
    return ul;
  }
  function render() {
    if (!box) { return Promise.resolve(); }
    return D.list(owner).then(function (rows) {
      box.textContent = "";
      box.hidden = rows.length === 0;
      if (!rows.length) { return; }
      // What still waits under its own heading; what arrived (a receipt, for a few days) under another.
      var waiting = rows.filter(function (d) { return d.state !== "done"; }), arrived = rows.filter(function (d) { return d.state === "done"; });
      [[waiting, "list_title"], [arrived, "sent_title"]].forEach(function (group) {
        if (group[0].length) { box.appendChild(el("h2", {}, t(group[1]))); box.appendChild(list(group[0])); }
      });
      if (rows.some(function (d) { return d.state === "login"; })) {
        var p = el("p", { "class": "flash flash-warning" }, t("login_needed") + " ");
        p.appendChild(el("a", { href: "/login?next=" + encodeURIComponent(location.pathname + location.search) }, t("log_in")));
        box.appendChild(p);
      }
    });
  }
  if (box) {
    box.addEventListener("click", function (e) {
      var send = e.target.closest("[data-send]"), discard = e.target.closest("[data-discard]");
      if (send) { retry(true); }
      if (discard) {
        var id = discard.getAttribute("data-discard");
        D.get(id).then(function (d) {
          if (d && d.state !== "done" && !window.confirm(t("confirm_discard"))) { return; }
          return D.remove(id).then(render);
        });
      }
    });
  }

  // ---- Sending: now, when the signal returns, and by a retry loop with back-off -----------------------------------
  var timer = null, delay = 5000;
  function retry(force) {
    window.clearTimeout(timer);
    return D.sendAll({ owner: owner, force: force }).then(function (r) {
      return render().then(function () {
        // This page's draft arrived (sent from here, another tab or the service worker): on to what it became.
        if (form && current) { return D.get(current.id).then(function (d) { if (d && d.state === "done") { location.assign(d.result); } else if (d) { current = d; showState(d); } }); }
      }).then(function () {
        if (r.left !== 0) { timer = window.setTimeout(function () { retry(false); }, delay); delay = Math.min(delay * 2, 120000); } else { delay = 5000; }
      });
    }, function () { timer = window.setTimeout(function () { retry(false); }, delay); });
  }
  window.addEventListener("online", function () { delay = 5000; retry(true); });
  function backgroundSync() {
    if (!navigator.serviceWorker) { return; }
    navigator.serviceWorker.ready.then(function (reg) { if (reg.sync) { return reg.sync.register("claims-drafts"); } }).catch(function () { /* the loop sends */ });
  }

  // ---- Logging out: nothing of this account stays on a shared phone -------------------------------------------------
  Array.prototype.forEach.call(document.querySelectorAll("form[data-logout]"), function (f) {
    f.addEventListener("submit", function (e) {
      if (f.getAttribute("data-cleared")) { return; }
      e.preventDefault();
      if (navigator.onLine === false) { window.alert(t("logout_offline")); return; } // the server must end the session too
      D.unsent(owner).then(function (rows) {
        if (rows.length && !window.confirm(t("logout_warning", rows.length))) { return; }
        return D.clear(owner).then(function () { return window.caches ? window.caches["delete"]("claims-forms-" + owner) : null; }).then(function () {
          try { localStorage.removeItem("claims.owner"); } catch (err) { /* nothing kept there */ }
          f.setAttribute("data-cleared", "1"); f.submit();
        });
      }).catch(function () { f.setAttribute("data-cleared", "1"); f.submit(); }); // storage refused: log out all the same
    });
  });

  // ---- Forms that reached the server as an ordinary post: their copies on the phone are no longer needed ---------
  var arrived = document.querySelector("meta[name=claims-arrived]");
  var cleared = arrived ? Promise.all(arrived.content.split(" ").map(function (id) {
    return D.get(id).then(function (d) { if (d && d.owner === owner && d.state !== "done") { return D.remove(id); } });
  })) : Promise.resolve();

  // ---- The form that works without a signal ---------------------------------------------------------------------
  var form = document.querySelector("form[data-draft]");
  // Where the form posts, which names its draft: a refused filing's page is drawn at /claims/new, but its form (and
  // so its draft, and the page that opens it again) is the claim's own edit page.
  var formPath = location.pathname;
  if (form && form.getAttribute("action")) { var a = document.createElement("a"); a.href = form.getAttribute("action"); formPath = a.pathname; }
  // A form page the service worker did not keep under the form's address, where a draft typed on it opens again: one
  // drawn at another address (the refused filing's), or drawn again for a post that was refused (the kept copy, from
  // before, carries the claim's old version). The form is fetched and kept now, while there is a signal, on the
  // service worker's terms (the account's own form only: claims/core/sync.py's headers).
  var drawnAgain = !!document.querySelector("meta[name=claims-drawn-again]");
  if (form && (formPath !== location.pathname || drawnAgain) && window.caches && navigator.onLine !== false) {
    fetch(formPath, { credentials: "same-origin" }).then(function (r) {
      var draftOwner = r.headers.get("X-Claims-Draft-Owner");
      if (!r.ok || !draftOwner || draftOwner !== owner || r.headers.get("X-Claims-Account") !== owner) { return null; }
      return window.caches.open("claims-forms-" + owner).then(function (cache) { return cache.put(new URL(formPath, location.href).href, r); });
    })["catch"](function () { /* no signal after all: the draft stays listed on the offline page */ });
  }
  var current = null, restored = [], dirty = false;
  var status = null, saveData = null;
  var shrunk = typeof WeakMap !== "undefined" ? new WeakMap() : null;

  function photoMeta() {
    var records = {};
    try { JSON.parse((form.elements.photo_meta && form.elements.photo_meta.value) || "[]").forEach(function (r) { records[r.name + ":" + r.size] = r; }); } catch (e) { /* none */ }
    return records;
  }
  function shrink(file) {
    if (!saveData || !saveData.checked || !window.ClaimsPhotos) { return Promise.resolve(null); }
    if (shrunk && shrunk.has(file)) { return Promise.resolve(shrunk.get(file)); }
    return window.ClaimsPhotos.shrink(file, 2560).then(function (small) { if (shrunk) { shrunk.set(file, small); } return small; }, function () { return null; });
  }
  // The form as a draft: its fields, and its photos with where and when each was taken (resized in save-data mode).
  function collect(state) {
    var fields = [], inputs = [], records = photoMeta();
    new FormData(form).forEach(function (value, name) { if (typeof value === "string") { fields.push([name, value]); } });
    Array.prototype.forEach.call(form.querySelectorAll("input[type=file]"), function (input) {
      Array.prototype.forEach.call(input.files || [], function (f) { inputs.push({ input: input, file: f }); });
    });
    // One photo at a time: a cheap phone decodes each at full size to make it smaller.
    var photos = [];
    return inputs.reduce(function (chain, item) {
      return chain.then(function () {
        var f = item.file, r = records[f.name + ":" + f.size] || {};
        return shrink(f).then(function (small) {
          photos.push({ field: item.input.name, blob: small || f, name: f.name, type: f.type, lastModified: f.lastModified || null,
            lat: r.lat === undefined ? null : r.lat, lon: r.lon === undefined ? null : r.lon, acc: r.acc === undefined ? null : r.acc, resized: !!small });
        });
      });
    }, Promise.resolve()).then(function () {
      var key = form.elements.submission_key.value;
      return { id: key, owner: owner, kind: form.getAttribute("data-draft"), url: formPath, once: form.hasAttribute("data-draft-once"), title: form.getAttribute("data-draft-title"),
        fields: fields, photos: restored.concat(photos), state: state, savedAt: Date.now(), attempts: 0 };
    });
  }
  function save(state) {
    return collect(state).then(function (draft) {
      current = draft;
      return D.put(draft).then(function () { if (state !== "waiting") { mark(draft); } return render(); }).then(function () { return draft; });
    });
  }
  // The page's address names the draft, so that opening it again (offline too) brings the draft back.
  function mark(draft) {
    if (location.search.indexOf("draft=") < 0 || location.pathname !== draft.url) { history.replaceState(null, "", draft.url + "?draft=" + encodeURIComponent(draft.id)); }
  }

  function say(text, kind) {
    status.textContent = "";
    status.className = "flash flash-" + (kind || "info") + " draft-status";
    status.hidden = !text;
    if (text) { status.appendChild(el("p", {}, text)); }
    return status;
  }
  function showErrors(errors) {
    Array.prototype.forEach.call(form.querySelectorAll(".js-error"), function (n) { n.remove(); });
    Object.keys(errors || {}).forEach(function (name) {
      var field = form.elements[name];
      var node = field && (field.length !== undefined && !field.tagName ? field[0] : field);
      var holder = node && node.closest ? (node.closest(".field") || node.parentNode) : null;
      if (!holder) { return; }
      holder.classList.add("has-error");
      errors[name].forEach(function (m) { holder.appendChild(el("p", { "class": "error js-error", role: "alert" }, m)); });
    });
  }
  function label(name) {
    var node = form.querySelector("[name='" + name + "']");
    var lab = node && node.id ? form.querySelector("label[for='" + node.id + "']") : null;
    return lab ? lab.textContent.trim() : null;
  }
  function shown(name, value) {
    var node = form.querySelector("[name='" + name + "']");
    if (node && node.tagName === "SELECT") { var opt = Array.prototype.find.call(node.options, function (o) { return o.value === value; }); return opt ? opt.textContent : value; }
    if (node && (node.type === "radio" || node.type === "checkbox")) {
      var choice = form.querySelector("[name='" + name + "'][value='" + (window.CSS ? CSS.escape(value) : value) + "']");
      var lab = choice && choice.id ? form.querySelector("label[for='" + choice.id + "']") : null;
      return lab ? lab.textContent.trim() : value;
    }
    return value;
  }
  // A claim changed on the server meanwhile: both versions side by side, and the user decides.
  function showConflict(draft) {
    var server = draft.server || {}, fields = server.fields || {};
    var panel = say(t("conflict_title"), "warning");
    panel.id = "draft-conflict";
    if (server.status) { panel.appendChild(el("p", {}, t("server_status") + "：" + server.status)); }
    if (server.history && server.history.length) {
      var ul = el("ul", { "class": "server-history" });
      server.history.forEach(function (line) { ul.appendChild(el("li", {}, line)); });
      panel.appendChild(ul);
    }
    var table = el("table", { "class": "conflict" }), head = el("tr");
    [t("col_field"), t("col_phone"), t("col_server")].forEach(function (h) { head.appendChild(el("th", { scope: "col" }, h)); });
    table.appendChild(head);
    var seen = {};
    draft.fields.forEach(function (pair) {
      var name = pair[0], text = label(name);
      if (!text || seen[name]) { return; }
      seen[name] = true;
      var mine = draft.fields.filter(function (p) { return p[0] === name; }).map(function (p) { return shown(name, p[1]); }).join("、");
      var theirs = Object.prototype.hasOwnProperty.call(fields, name) ? shown(name, fields[name]) : "—";
      var row = el("tr", { "data-field": name, "class": theirs !== "—" && theirs !== mine ? "differs" : "" });
      row.appendChild(el("th", { scope: "row" }, text)); row.appendChild(el("td", { "class": "mine" }, mine || "—")); row.appendChild(el("td", { "class": "theirs" }, theirs));
      table.appendChild(row);
    });
    var wrap = el("div", { "class": "table-wrap", tabindex: "0", role: "region", "aria-label": t("conflict_title") });
    wrap.appendChild(table); panel.appendChild(wrap);
    var actions = el("p", { "class": "actions" });
    var mine = el("button", { type: "button", "class": "button primary", id: "send-mine" }, t("send_mine"));
    var drop = el("button", { type: "button", "class": "button danger", id: "discard-mine" }, t("discard"));
    mine.addEventListener("click", function () {
      draft.fields = draft.fields.map(function (p) { return p[0] === "version" ? ["version", String(server.version)] : p; });
      if (form.elements.version) { form.elements.version.value = String(server.version); }
      draft.state = "waiting"; draft.server = null; draft.nextTry = 0;
      D.put(draft).then(function () { sendNow(draft); });
    });
    drop.addEventListener("click", function () {
      if (!window.confirm(t("confirm_discard"))) { return; }
      D.remove(draft.id).then(function () { location.assign(draft.result || "/"); });
    });
    if (server.version !== undefined && server.version !== null) { actions.appendChild(mine); } // only over a version the user saw
    actions.appendChild(drop); panel.appendChild(actions);
    panel.scrollIntoView();
  }
  function showState(draft) {
    if (draft.state === "conflict") { showConflict(draft); return; }
    if (draft.state === "invalid") { showErrors(draft.errors); say(draft.message || t("errors_title"), "error"); return; }
    if (draft.state === "refused") { say(draft.message || t("state_refused"), "error"); return; }
    if (draft.state === "login") {
      say(t("login_needed") + " ", "warning").appendChild(el("a", { href: "/login?next=" + encodeURIComponent(location.pathname + location.search) }, t("log_in")));
      return;
    }
    if (draft.state === "waiting") { say(t("saved_offline"), "info"); return; }
    if (draft.state === "editing") { say(t("restored"), "info"); }
  }

  function progress(draft) {
    var list = el("ul", { "class": "upload-progress" }), bars = [];
    (draft.photos || []).forEach(function (p, i) {
      var li = el("li", {}, t("photo", i + 1) + " "), bar = el("progress", { max: "1", value: "0" });
      li.appendChild(bar); list.appendChild(li); bars.push(bar);
    });
    say(t("sending"), "info").appendChild(list);
    return function (i, fraction) { if (bars[i]) { bars[i].value = fraction; } };
  }
  // The ordinary post of the form (the button pressed kept); `withoutPhotos` when the server has them already. Out here,
  // not in the block below that calls it too: in strict mode a function declared in a block is not seen outside it.
  function post(extra, withoutPhotos) {
    if (extra) {
      var pressed = el("input", { type: "hidden", name: extra[0] }); pressed.value = extra[1]; form.appendChild(pressed);
    }
    if (withoutPhotos) {
      Array.prototype.forEach.call(form.querySelectorAll("input[type=file]"), function (input) { input.value = ""; });
      if (form.elements.photo_meta) { form.elements.photo_meta.value = "[]"; }
    }
    form.submit();
  }
  function sendNow(draft, extra) {
    var onProgress = progress(draft), token = null;
    return D.withLock(function () {
      return D.get(draft.id).then(function (now) {
        if (now && now.state === "done") { return { result: "done", url: now.result, message: now.message }; } // sent meanwhile
        return D.session().then(function (who) {
          if (who.result === "login" || (who.result === "session" && who.owner !== owner)) { return { result: "login" }; }
          if (who.result !== "session") { return { result: "network" }; }
          token = who.token;
          return D.send(draft, who.token, onProgress).then(function (answer) {
            if (answer.result !== "csrf") { return answer; }
            return D.session().then(function (again) { token = again.token || token; return again.token ? D.send(draft, again.token, onProgress) : { result: "login" }; });
          });
        });
      });
    }).then(function (answer) {
      return D.settle(draft, answer).then(function (saved) {
        current = saved;
        if (saved.invalid && answer.url && formPath === draft.url) {
          // A filing that arrived but cannot be submitted as it is: the server keeps it as a draft with its photos.
          // The same form is posted once more without them, so that the page comes back with each message next to
          // its field, as it does for an ordinary post.
          if (token && form.elements.csrf_token) { form.elements.csrf_token.value = token; }
          if (answer.version && form.elements.version) { form.elements.version.value = answer.version; } // what passed moved it on
          post(extra, true);
          return;
        }
        if (saved.state === "done") { location.assign(saved.result); return; }
        mark(saved);
        showState(saved);
        render();
        if (saved.state === "waiting") { backgroundSync(); retry(false); }
      });
    });
  }

  if (form && form.elements.submission_key) {
    status = el("div", { id: "draft-status", role: "status", "aria-live": "polite" });
    status.hidden = true;
    form.parentNode.insertBefore(status, form);
    saveData = document.getElementById("save-data");
    if (saveData) {
      var pref = null;
      try { pref = localStorage.getItem("claims.saveData"); } catch (e) { pref = null; }
      saveData.checked = pref === null ? !!(navigator.connection && navigator.connection.saveData) : pref === "1";
      saveData.addEventListener("change", function () { try { localStorage.setItem("claims.saveData", saveData.checked ? "1" : "0"); } catch (e) { /* default next time */ } });
    }
    var wanted = new URLSearchParams(location.search).get("draft");
    var ready = wanted ? D.get(wanted) : Promise.resolve(null);
    ready.then(function (draft) {
      if (!draft || draft.owner !== owner || draft.state === "done" || draft.url !== formPath) {
        form.elements.submission_key.value = randomKey(); // a page kept on the phone must not file its earlier key again
        if (wanted) { history.replaceState(null, "", location.pathname); }
        return;
      }
      current = draft;
      restore(draft);
      showState(draft);
    });
    function edited() {
      dirty = true;
      // A draft from the queue being changed leaves the queue until it is sent again, so the old copy does not go.
      if (current && current.state !== "editing" && current.state !== "done") { current.state = "editing"; current.nextTry = 0; D.put(current).then(render); }
    }
    form.addEventListener("input", edited);
    form.addEventListener("change", function (e) { if (e.isTrusted) { edited(); } });
    // Sending: a copy goes on the phone first, then (with a signal) the page sends it, showing each photo's progress.
    // If the upload is cut on the way, the copy stays and the retry loop sends it again when it can; without a
    // signal the copy waits here.
    var posting = false, clicked = null;
    form.addEventListener("click", function (e) { var b = e.target.closest("button[type=submit], input[type=submit]"); if (b) { clicked = b; } });
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      if (posting) { return; }
      posting = true;
      var submitter = e.submitter || clicked || form.querySelector("button[type=submit][name]"); // older phones: no e.submitter
      var extra = submitter && submitter.name ? [submitter.name, submitter.value] : null;
      save("waiting").then(function (draft) {
        if (extra) { draft.fields = draft.fields.filter(function (p) { return p[0] !== extra[0]; }).concat([extra]); }
        return D.put(draft).then(function () {
          dirty = false;
          if (navigator.onLine === false) { posting = false; mark(draft); say(t("saved_offline"), "info"); backgroundSync(); retry(false); return; }
          return sendNow(draft, extra).then(function () { posting = false; });
        });
      }).catch(function () { post(extra, false); }); // the phone would not keep it: post it the ordinary way
    });
    function keep() {
      if (dirty && (!current || current.state === "editing")) { dirty = false; save("editing"); }
    }
    window.addEventListener("offline", keep);
    document.addEventListener("visibilitychange", function () { if (document.visibilityState === "hidden") { keep(); } });
  }

  // A saved draft back into the form: its fields, and its photos shown from the phone.
  function restore(draft) {
    var names = {};
    draft.fields.forEach(function (p) { names[p[0]] = true; });
    Array.prototype.forEach.call(form.querySelectorAll("input[type=checkbox][name], input[type=radio][name]"), function (box) { if (names[box.name] || box.type === "checkbox") { box.checked = false; } });
    var add = document.getElementById("add-loss");
    draft.fields.forEach(function (pair) {
      var name = pair[0], value = pair[1];
      if (name === "csrf_token") { return; } // the page's own token is the fresher
      var line = /^losses-(\d+)-/.exec(name);
      if (line && add) { for (var i = 0; i < 20 && !form.querySelector("[name='" + name + "']"); i++) { add.click(); } }
      var nodes = form.querySelectorAll("[name='" + name + "']");
      Array.prototype.forEach.call(nodes, function (node) {
        if (node.type === "file" || node.type === "submit" || node.tagName === "BUTTON") { return; }
        if (node.type === "checkbox" || node.type === "radio") { if (node.value === value) { node.checked = true; } node.dispatchEvent(new Event("change", { bubbles: true })); return; }
        node.value = value;
        if (node.tagName === "SELECT") {
          node.dispatchEvent(new Event("change", { bubbles: true })); node.value = value;
          // A place the page does not list yet (its list comes with the place tree): claim-form.js chooses it then.
          if (node.value !== value && value) { node.setAttribute("data-wanted", value); } else { node.removeAttribute("data-wanted"); }
        }
      });
    });
    restored = draft.photos || [];
    var preview = document.getElementById("photo-preview");
    restored.forEach(function (p, i) {
      // The site photos in the preview list; an invoice's photo beside its own field.
      var input = (p.field || "photos") === "photos" ? null : form.querySelector("input[type=file][name='" + p.field + "']");
      var holder = input ? el("p", { "class": "on-phone" }) : el("li", { "class": "on-phone" });
      var img = el("img", { alt: t("photo", i + 1), width: input ? "80" : "160" });
      img.src = URL.createObjectURL(p.blob);
      holder.appendChild(img); holder.appendChild(el("small", {}, t("on_phone")));
      if (input) { input.parentNode.appendChild(holder); } else if (preview) { preview.appendChild(holder); }
    });
    if (form.elements.gps_lat && form.elements.gps_lat.value) {
      var gps = document.getElementById("gps-status");
      if (gps) { gps.textContent = "✓ " + form.elements.gps_lat.value + ", " + form.elements.gps_lon.value; }
    }
  }

  cleared.then(render).then(function () {
    return D.list(owner).then(function (rows) { if (rows.some(function (d) { return D.SENDABLE[d.state]; })) { retry(true); } });
  });
})();
