// The booth kiosk: provisioning, offline code checks, the ballot, the queue, sync, staff panel.
//
// What it keeps (IndexedDB "votesvc-kiosk"): "config" (credential, booth keys, the bundle of
// screens, the staff PIN's salted PBKDF2 hash), "queue" (ballots cast and not yet answered by
// the server), "used" (SHA-256 of each token id voted here: a code is refused offline the
// second time), "refused" (what the server quarantined, for staff) and "status" (last sync).
// A voter's marks live only in this page's memory until the cast writes the ballot to the
// queue; the receipt shows only after that write completed. After a cast or when a voter
// walks away the page is replaced by a fresh load (served by the service worker), so nothing
// of the previous voter stays in the page, its history or its memory. docs/kiosk.md has the
// protocol; the token check is votesvc/voting/tokens.py KioskVerifier's, with Web Crypto.
(function () {
  "use strict";

  var ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
  var NAME = /^[A-Za-z0-9_-]{1,64}$/;
  var ID_SYMBOLS = 16;
  var BATCH = 500;
  var PBKDF2_ROUNDS = 210000;
  var SKEW_WARNING_MS = 60 * 1000;
  var EXPORT_FORMAT = "votesvc.kiosk-queue.v1";
  var PIN_TRIES = 5, PIN_LOCK_MS = 30 * 1000, PIN_LOCK_MAX_MS = 60 * 60 * 1000;
  var subtle = window.crypto && window.crypto.subtle;
  var encoder = new TextEncoder();

  // --- encodings -------------------------------------------------------------------------
  function b64urlToBytes(text) {
    var plain = text.replace(/-/g, "+").replace(/_/g, "/");
    while (plain.length % 4) { plain += "="; }
    var raw = atob(plain), bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i += 1) { bytes[i] = raw.charCodeAt(i); }
    return bytes;
  }
  function bytesToB64url(buffer) {
    var bytes = new Uint8Array(buffer), raw = "";
    for (var i = 0; i < bytes.length; i += 1) { raw += String.fromCharCode(bytes[i]); }
    return btoa(raw).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  function hex(buffer) {
    return Array.prototype.map.call(new Uint8Array(buffer), function (b) {
      return (b < 16 ? "0" : "") + b.toString(16);
    }).join("");
  }

  // --- short codes and receipt ids (votesvc/voting/shortcodes.py) ------------------------
  function timesTwo(v) { v <<= 1; return (v & 32) ? v ^ 37 : v; }
  function damm(symbols) {
    var c = 0;
    for (var i = 0; i < symbols.length; i += 1) { c = timesTwo(c) ^ ALPHABET.indexOf(symbols.charAt(i)); }
    return c;
  }
  function normalise(text) {
    return text.toUpperCase().replace(/[\s\-_.·\/\u2010-\u2014\u2212\u30fb]/g, "")
      .replace(/O/g, "0").replace(/[IL]/g, "1");
  }
  function shortCodeId(text) {
    var symbols = normalise(text);
    if (symbols.length !== ID_SYMBOLS + 1) { return { error: "token_malformed" }; }
    for (var i = 0; i < symbols.length; i += 1) {
      if (ALPHABET.indexOf(symbols.charAt(i)) < 0) { return { error: "token_malformed" }; }
    }
    if (damm(symbols) !== 0) { return { error: "typo" }; }
    return { id: symbols.slice(0, ID_SYMBOLS) };
  }
  // 80 random bits as a short code: 16 symbols, the Damm check, groups of four.
  function receiptId() {
    var bytes = window.crypto.getRandomValues(new Uint8Array(10));
    var bits = "";
    bytes.forEach(function (b) { bits += (b + 256).toString(2).slice(1); });
    var symbols = "";
    for (var i = 0; i < 80; i += 5) { symbols += ALPHABET.charAt(parseInt(bits.slice(i, i + 5), 2)); }
    var full = symbols + ALPHABET.charAt(timesTwo(damm(symbols)));
    return full.match(/.{1,4}/g).join("-");
  }

  // --- the token check: KioskVerifier with Web Crypto -------------------------------------
  // Refusal codes and their order are the Python verifier's: malformed, then another channel
  // (a kiosk holds only its own booth's keys), then the signature under any of the rotated
  // keys (compared as text, so only the canonical base64 spelling passes), then the election.
  function makeVerifier(channel, election, keys) {
    var imported = Promise.all(keys.map(function (key) {
      return subtle.importKey("raw", b64urlToBytes(key), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    }));
    return function verify(signed) {
      var parts = typeof signed === "string" && signed.length <= 512 ? signed.split(".") : [];
      if ((parts.length !== 5 && parts.length !== 6) || parts[0] !== "v1") { return Promise.resolve({ error: "token_malformed" }); }
      var flags = parts.slice(4, -1);
      var id = parts[3];
      var wellFormed = NAME.test(parts[1]) && NAME.test(parts[2]) &&
        (flags.length === 0 || (flags.length === 1 && flags[0] === "t")) &&
        id.length === ID_SYMBOLS && id.split("").every(function (s) { return ALPHABET.indexOf(s) >= 0; });
      if (!wellFormed) { return Promise.resolve({ error: "token_malformed" }); }
      if (parts[2] !== channel) { return Promise.resolve({ error: "token_wrong_channel" }); }
      var cut = signed.lastIndexOf(".");
      var payload = encoder.encode(signed.slice(0, cut)), signature = signed.slice(cut + 1);
      return imported.then(function (cryptoKeys) {
        return Promise.all(cryptoKeys.map(function (key) { return subtle.sign("HMAC", key, payload); }));
      }).then(function (macs) {
        var good = macs.some(function (mac) { return bytesToB64url(mac) === signature; });
        if (!good) { return { error: "token_bad_signature" }; }
        if (parts[1] !== election) { return { error: "token_wrong_election" }; }
        return { id: id, test: flags.length === 1 };
      });
    };
  }

  // --- IndexedDB ----------------------------------------------------------------------------
  var STORES = { config: null, queue: "id", used: "h", refused: "id", status: null };
  function openDb() {
    return new Promise(function (resolve, reject) {
      var request = indexedDB.open("votesvc-kiosk", 1);
      request.onupgradeneeded = function () {
        Object.keys(STORES).forEach(function (name) {
          request.result.createObjectStore(name, STORES[name] ? { keyPath: STORES[name] } : undefined);
        });
      };
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
  }
  var dbReady = openDb();
  // One transaction; resolves when it has committed (durably: "strict").
  function tx(names, mode, work) {
    return dbReady.then(function (db) {
      return new Promise(function (resolve, reject) {
        var t = db.transaction(names, mode, { durability: "strict" });
        var result;
        t.oncomplete = function () { resolve(result); };
        t.onerror = t.onabort = function () { reject(t.error); };
        var stores = {};
        [].concat(names).forEach(function (n) { stores[n] = t.objectStore(n); });
        work(stores, function (value) { result = value; });
      });
    });
  }
  function getOne(store, key) {
    return tx(store, "readonly", function (s, done) {
      s[store].get(key).onsuccess = function (e) { done(e.target.result); };
    });
  }
  function getAll(store, limit) {
    return tx(store, "readonly", function (s, done) {
      s[store].getAll(null, limit).onsuccess = function (e) { done(e.target.result); };
    });
  }
  function count(store) {
    return tx(store, "readonly", function (s, done) {
      s[store].count().onsuccess = function (e) { done(e.target.result); };
    });
  }
  function putOne(store, value, key) {
    return tx(store, "readwrite", function (s) { s[store].put(value, key); });
  }
  function sha256(text) { return subtle.digest("SHA-256", encoder.encode(text)).then(hex); }

  // --- the staff PIN: salted PBKDF2-SHA256, only the hash is kept ---------------------------
  function pinHash(pin, salt, rounds) {
    return subtle.importKey("raw", encoder.encode(pin), "PBKDF2", false, ["deriveBits"]).then(function (key) {
      return subtle.deriveBits({ name: "PBKDF2", hash: "SHA-256", salt: salt, iterations: rounds }, key, 256);
    }).then(bytesToB64url);
  }
  function newPin(pin) {
    var salt = window.crypto.getRandomValues(new Uint8Array(16));
    return pinHash(pin, salt, PBKDF2_ROUNDS).then(function (hash) {
      return { salt: bytesToB64url(salt), rounds: PBKDF2_ROUNDS, hash: hash };
    });
  }

  // --- the page -----------------------------------------------------------------------------
  var root = document.getElementById("kiosk");
  if (!root) {
    window.VotesvcKiosk = { makeVerifier: makeVerifier, receiptId: receiptId, shortCodeId: shortCodeId };
    return;
  }
  var screen = document.getElementById("screen");
  var config = null, verify = null, lang = "ko", texts = {}, current = "start";
  var voter = null;  // this voter's code and marks: memory only, gone with the page
  var sync = { running: null, backoff: 0, timer: null };
  var idle = { timer: null, countdown: null };
  var pinTimer = null;
  var receipt = null;  // the receipt shown (its id and whether a test): memory only

  function $(selector, within) { return (within || screen).querySelector(selector); }
  function live(name) { return $("[data-live='" + name + "']"); }
  function fill(text, values) { return text.replace(/\{(\w+)\}/g, function (_, n) { return values[n]; }); }
  function setText(el, text) { el.textContent = text; el.hidden = !text; }

  function show(name) {
    current = name;
    Array.prototype.forEach.call(screen.querySelectorAll("[data-screen]"), function (section) {
      if (section.dataset.screen !== "idle") { section.hidden = section.dataset.screen !== name; }
    });
    var heading = $("[data-screen='" + name + "'] h1");
    if (heading) { heading.focus(); }
  }

  // A fresh page for the next voter: the document is emptied, then replaced by a new load (no
  // history entry), so neither the back button nor this page's memory keeps anything.
  function reset() {
    screen.textContent = "";
    voter = null;
    window.location.replace(window.location.pathname);
  }

  function render() {
    var part = config.bundle[lang];
    texts = part.texts;
    screen.innerHTML = part.html;
    document.documentElement.lang = lang;
    document.getElementById("provision").hidden = true;
    show("start");
    bindScreens();
    refreshBanner();
  }

  // The voter (or staff) switches language on any screen: the screens are drawn again in the
  // other language and the same screen comes back, with this step's marks kept. The next voter
  // starts in the booth's default language again (each voter gets a fresh page).
  function switchLanguage(to) {
    var was = current, typed = $("#voter-code").value;
    var form = $("[data-slot=contest] form.ballot");
    if (was === "ballot" && form) { keepMarks(voter.step, window.VotesvcBallot.read(form)); }
    lang = to;
    render();
    $("#voter-code").value = typed;
    if (was === "ballot") { notices(); step(voter.step); }
    else if (was === "review") { review(); }
    else if (was === "receipt") { showReceipt(); }
    else if (was === "pin") { show("pin"); pinState().then(showLock); }
    else if (was === "staff") { staff(); }
  }
  function keepMarks(index, marked) {
    var code = contestsHere()[index];
    var counted = marked.choices.some(function (mark) { return mark !== null; });
    if (counted) { voter.marks[code] = marked; } else { delete voter.marks[code]; }
  }

  // --- provisioning ---------------------------------------------------------------------------
  function setupUrl(electionId, boothId) {
    return root.dataset.setup + "?election=" + encodeURIComponent(electionId) + "&booth=" + encodeURIComponent(boothId);
  }
  function fetchSetup(electionId, boothId, credential) {
    var sent = Date.now();
    return fetch(setupUrl(electionId, boothId), {
      headers: { Authorization: "Bearer " + credential }, cache: "no-store", credentials: "omit"
    }).then(function (response) {
      if (!response.ok) { throw new Error("setup refused: " + response.status); }
      noteSkew(response, sent);
      return response.json();
    });
  }
  function keep(setup, credential, pin, defaultLang) {
    return {
      lang: defaultLang,
      credential: credential, kioskId: setup.kiosk_id, electionId: setup.election_id,
      boothId: setup.booth_id, election: setup.election, channel: setup.channel,
      keys: setup.channel_keys, contests: setup.contests, exportKey: setup.export_key,
      bundle: setup.bundle, timers: setup.timers, keysAt: Date.now(), pin: pin
    };
  }
  function provision(event) {
    event.preventDefault();
    var form = event.target;
    var error = form.querySelector("[data-live='provision-error']");
    var parts = form.code.value.trim().split(".");
    var pin = form.pin.value;
    if (parts.length !== 4 || parts[0] !== "vkp1") { error.textContent = form.dataset.textCode; return; }
    if (pin.length < 6 || !/^\d+$/.test(pin) || pin !== form["pin-again"].value) {
      error.textContent = form.dataset.textPin;
      return;
    }
    error.textContent = "…";
    Promise.all([fetchSetup(parts[1], parts[2], parts[3]), newPin(pin)]).then(function (both) {
      config = keep(both[0], parts[3], both[1], form.lang.value === "en" ? "en" : "ko");
      return putOne("config", config, "kiosk");
    }).then(function () {
      return navigator.storage && navigator.storage.persist ? navigator.storage.persist() : false;
    }).then(function (granted) {
      return putOne("status", { persisted: granted, lastSync: null, lastError: null, skew: skewMs() }, "sync");
    }).then(function () { window.location.replace(window.location.pathname); }).catch(function () {
      error.textContent = form.dataset.textRefused;
    });
  }

  // --- the clock ------------------------------------------------------------------------------
  var skew = 0;
  function skewMs() { return skew; }
  function noteSkew(response, sent) {
    var date = response.headers.get("Date");
    if (!date) { return; }
    skew = Date.parse(date) + 500 - (sent + Date.now()) / 2;
  }

  // --- a voter's code -------------------------------------------------------------------------
  function codeFrom(text) {
    var match = /[#&]code=([^&]+)/.exec(text);
    return (match ? decodeURIComponent(match[1]) : text).trim();
  }
  // What a presented code is, checked offline: {id, test, short} or {error}.
  function check(text) {
    var code = codeFrom(text);
    var checked = code.indexOf(".") >= 0 ? verify(code) : Promise.resolve(shortCodeId(code)).then(function (r) {
      if (!r.error) { r.short = true; }
      return r;
    });
    return checked.then(function (result) {
      if (result.error || result.test) { return result; }
      return sha256(result.id).then(function (h) {
        return getOne("used", h).then(function (used) {
          if (used) { return { error: "used_here" }; }
          result.hash = h;
          return result;
        });
      });
    }).then(function (result) { result.code = code; return result; });
  }
  function notices() {
    setText(live("test"), voter.test ? texts.test : "");
    setText(live("short"), voter.short ? texts.short_code : "");
  }
  function admit(text) {
    var error = live("code-error");
    check(text).then(function (result) {
      if (result.error) {
        setText(error, texts[result.error] || texts.token_malformed);
        $("#voter-code").setAttribute("aria-invalid", "true");
        return;
      }
      voter = { token: result.code, hash: result.hash, test: !!result.test, short: !!result.short, step: 0, marks: {} };
      notices();
      step(0);
    });
  }

  // --- the ballot: the citizen pages' own form, enhanced and read by ballot.js -------------
  function contestsHere() {
    return config.contests.filter(function (code) { return $("template[data-contest='" + code + "']"); });
  }
  function shuffle(list) {
    var random = window.crypto.getRandomValues(new Uint32Array(list.length));
    for (var i = list.length - 1; i > 0; i -= 1) {
      var j = random[i] % (i + 1), kept = list[i];
      list[i] = list[j]; list[j] = kept;
    }
    return list;
  }
  function restore(form, marks) {
    if (!marks) { return; }
    marks.choices.forEach(function (mark, index) {
      [].concat(mark === null ? [] : mark).forEach(function (code) {
        var box = form.querySelector("input[name=choice][value='" + code + "']");
        var points = form.querySelector("[name='points-" + code + "']");
        var rank = form.querySelector("[name='rank-" + code + "']");
        if (box) { box.checked = true; }
        if (points) { points.value = String(marks.points[index]); }
        if (rank) { rank.value = String(index + 1); }
      });
    });
  }
  function step(index) {
    var codes = contestsHere();
    voter.step = index;
    var slot = $("[data-slot=contest]");
    slot.textContent = "";
    slot.appendChild($("template[data-contest='" + codes[index] + "']").content.cloneNode(true));
    setText(live("steps"), fill($("template[data-step-text]").innerHTML, { n: index + 1, total: codes.length }));
    var form = slot.querySelector("form.ballot");
    if (form.hasAttribute("data-shuffle")) {  // this voter's own order, the same each time
      var list = form.querySelector("ul.choices"), orders = voter.orders = voter.orders || {};
      orders[codes[index]] = orders[codes[index]] || shuffle(Array.prototype.map.call(list.children, function (li) { return li.dataset.code; }));
      orders[codes[index]].forEach(function (code) { list.appendChild(list.querySelector("li[data-code='" + code + "']")); });
    }
    restore(form, voter.marks[codes[index]]);
    window.VotesvcBallot.enhance(form);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var marked = window.VotesvcBallot.read(form);
      var problems = window.VotesvcBallot.problems(form, marked);
      var box = slot.querySelector("[data-live=problems]");
      box.textContent = "";
      if (problems.length) {
        var list = document.createElement("ul");
        problems.forEach(function (text) { var li = document.createElement("li"); li.textContent = text; list.appendChild(li); });
        box.appendChild(list);
        box.hidden = false;
        return;
      }
      keepMarks(index, marked);
      if (index + 1 < codes.length) { step(index + 1); } else { review(); }
    });
    form.querySelector("[data-go=back]").addEventListener("click", function () {
      if (index > 0) { step(index - 1); } else { reset(); }
    });
    show("ballot");
  }

  // The citizen review's line of total cost against the budget (the same macro, rendered into
  // the bundle with 0), with this voter's total; nothing for contests whose choices cost nothing.
  function costLine(code, template, marks) {
    var line = $("template[data-total='" + code + "']").content.cloneNode(true);
    var total = line.querySelector("[data-live=total]");
    if (total) {
      var spent = marks.choices.reduce(function (sum, agenda) {
        var item = agenda === null ? null : template.querySelector("li[data-code='" + agenda + "']");
        return sum + (item ? parseInt(item.dataset.cost, 10) : 0);
      }, 0);
      total.textContent = window.VotesvcBallot.money(template.querySelector("form").dataset, spent);
    }
    return line;
  }

  function review() {
    var slot = $("[data-slot=review]");
    slot.textContent = "";
    setText(live("review-error"), "");
    contestsHere().forEach(function (code, index) {
      var template = $("template[data-contest='" + code + "']").content;
      var section = document.createElement("section");
      section.className = "contest";
      var title = document.createElement("h2");
      title.textContent = template.querySelector("h1").textContent;
      section.appendChild(title);
      var marks = voter.marks[code];
      if (!marks) {
        var blank = document.createElement("p");
        blank.className = "blank";
        blank.textContent = texts.blank;
        section.appendChild(blank);
      } else {
        var list = document.createElement("ol");
        var ranked = template.querySelector("form").dataset.kind === "ranked";
        list.className = "review-list" + (ranked ? "" : " plain");
        marks.choices.forEach(function (mark, at) {
          [].concat(mark === null ? [] : mark).forEach(function (agenda) {
            var item = document.createElement("li");
            var name = template.querySelector("li[data-code='" + agenda + "'] .title").textContent;
            item.textContent = (ranked ? fill(texts.rank, { n: at + 1 }) + " " : "") + name +
              (marks.points.length ? " · " + fill(texts.points, { n: marks.points[at] }) : "");
            list.appendChild(item);
          });
        });
        section.appendChild(list);
        section.appendChild(costLine(code, template, marks));
      }
      var change = document.createElement("button");
      change.type = "button";
      change.textContent = texts.change + ": " + title.textContent;
      change.addEventListener("click", function () { step(index); });
      section.appendChild(change);
      slot.appendChild(section);
    });
    show("review");
  }

  // One queued ballot and its token's mark as used, in one durable transaction.
  function store(ballot, usedHash) {
    return tx(["queue", "used"], "readwrite", function (s) {
      s.queue.add(ballot);
      if (usedHash) { s.used.put({ h: usedHash }); }
    });
  }

  // The ballot goes to the queue, and the receipt shows only once that write has committed.
  function cast() {
    var selections = {};
    Object.keys(voter.marks).forEach(function (code) {
      var marks = voter.marks[code];
      selections[code] = marks.points.length ? { choices: marks.choices, points: marks.points } : { choices: marks.choices };
    });
    if (!Object.keys(selections).length) { setText(live("review-error"), texts.choose_one); return; }
    var ballot = {
      id: receiptId(), token: voter.token, cast_at: new Date(Date.now() + skew).toISOString(),
      selections: selections
    };
    store(ballot, voter.hash).then(function () {
      receipt = { id: ballot.id, test: voter.test };
      voter = null;
      showReceipt();
      idleAfter(config.timers.receipt);
      syncSoon(1000);
    }).catch(function (e) { setText(live("review-error"), String(e)); });
  }

  function showReceipt() {
    live("receipt").textContent = receipt.id;
    if (receipt.test) { live("receipt-title").textContent = texts.test; }
    show("receipt");
  }

  // --- inactivity -------------------------------------------------------------------------
  function idleAfter(seconds) {
    clearTimeout(idle.timer);
    clearInterval(idle.countdown);
    var warning = $("[data-screen=idle]");
    if (warning) { warning.hidden = true; }
    idle.timer = setTimeout(warn, seconds * 1000);
  }
  function warn() {
    var warning = $("[data-screen=idle]");
    var text = live("idle");
    text.dataset.text = text.dataset.text || text.textContent;
    var left = config.timers.warning;
    warning.hidden = false;
    warning.querySelector("button").focus();
    text.textContent = fill(text.dataset.text, { s: left });
    idle.countdown = setInterval(function () {
      left -= 1;
      text.textContent = fill(text.dataset.text, { s: left });
      if (left <= 0) { clearInterval(idle.countdown); reset(); }
    }, 1000);
  }
  function busy() { return voter !== null || !$("[data-screen=start]").hidden || $("#voter-code").value; }
  function activity() {
    var warning = $("[data-screen=idle]");
    if (warning && !warning.hidden) { return; }
    if ($("[data-screen=receipt]").hidden && busy()) { idleAfter(config.timers.idle); }
  }

  // --- sync -------------------------------------------------------------------------------
  function syncUrl() {
    return fill(root.dataset.sync, { election: config.electionId, booth: config.boothId });
  }
  function status() { return getOne("status", "sync").then(function (s) { return s || {}; }); }
  function syncSoon(ms) {
    clearTimeout(sync.timer);
    sync.timer = setTimeout(runSync, ms);
  }
  // Sends the queue in batches; a ballot leaves the queue only with the server's answer for
  // it (accepted, already accepted, test, or refused and quarantined: then kept for staff).
  function runSync() {
    if (sync.running) { return sync.running.then(runSync); }
    if (!navigator.onLine) { return Promise.resolve(); }
    var sent = 0;
    function batch() {
      return getAll("queue", BATCH).then(function (ballots) {
        if (!ballots.length) { return sent; }
        var started = Date.now();
        return fetch(syncUrl(), {
          method: "POST", cache: "no-store", credentials: "omit",
          headers: { Authorization: "Bearer " + config.credential, "Content-Type": "application/json", "Accept-Language": lang },
          body: JSON.stringify({ ballots: ballots.map(function (b) {
            return { id: b.id, token: b.token, cast_at: b.cast_at, selections: b.selections };
          }) })
        }).then(function (response) {
          noteSkew(response, started);
          if (!response.ok) { throw new Error("HTTP " + response.status); }
          return response.json();
        }).then(function (answer) {
          return tx(["queue", "refused"], "readwrite", function (s) {
            answer.results.forEach(function (result) {
              if (result.status === "refused") {
                s.refused.put({ id: result.id, reason: result.reason, message: result.message || result.reason, at: new Date().toISOString() });
              }
              s.queue.delete(result.id);
            });
          }).then(function () { sent += answer.results.length; return batch(); });
        });
      });
    }
    sync.running = batch().then(function (n) {
      sync.backoff = 0;
      return status().then(function (s) {
        s.lastSync = new Date().toISOString(); s.lastError = null; s.skew = skew; s.sent = n;
        return putOne("status", s, "sync");
      });
    }, function (error) {
      sync.backoff = Math.min(sync.backoff ? sync.backoff * 2 : 5000, 5 * 60 * 1000);
      return status().then(function (s) {
        s.lastError = new Date().toISOString() + " " + String(error.message || error);
        return putOne("status", s, "sync");
      });
    }).then(function () {
      sync.running = null;
      refreshBanner();
      return count("queue").then(function (waiting) {
        if (sync.backoff) { syncSoon(sync.backoff * (0.75 + Math.random() / 2)); } else if (waiting) { syncSoon(1000); }
      });
    });
    return sync.running;
  }
  function refreshSetup() {
    if (!navigator.onLine) { return; }
    fetchSetup(config.electionId, config.boothId, config.credential).then(function (setup) {
      var fresh = keep(setup, config.credential, config.pin, config.lang);
      return putOne("config", fresh, "kiosk");
    }).then(refreshBanner, function () { return null; });
  }
  function refreshBanner() {
    var banner = live("banner");
    if (!banner) { return; }
    var minutes = Math.round(skew / 60000);
    setText(banner, Math.abs(skew) > SKEW_WARNING_MS ? fill(texts.skew, { minutes: -minutes }) : "");
  }

  // --- staff ------------------------------------------------------------------------------
  // Wrong PINs: after PIN_TRIES in a row each further one locks the panel, for twice as long as
  // the one before (30 s, 1 min, 2 min, ... at most an hour). Kept in IndexedDB ("status",
  // key "pin": failures and the time the lock ends), so a reload or a restart does not reset it.
  function pinState() {
    return getOne("status", "pin").then(function (state) { return state || { failures: 0, until: 0 }; });
  }
  function lockFor(failures) {
    return failures < PIN_TRIES ? 0 : Math.min(PIN_LOCK_MS * Math.pow(2, failures - PIN_TRIES), PIN_LOCK_MAX_MS);
  }
  // The lock said once (an alert) and its time left, counted down each second (not announced).
  function showLock(state) {
    clearInterval(pinTimer);
    function tick() {
      var left = Math.ceil((state.until - Date.now()) / 1000);
      if (left <= 0) {
        clearInterval(pinTimer);
        setText(live("pin-wait"), "");
        if (live("pin-error").textContent === texts.pin_locked) { setText(live("pin-error"), ""); }
        return;
      }
      var time = fill(texts.wait_time, { m: Math.floor(left / 60), s: left % 60 });
      setText(live("pin-wait"), fill(texts.pin_wait, { time: time }));
    }
    if (state.until > Date.now()) {
      setText(live("pin-error"), texts.pin_locked);
      pinTimer = setInterval(tick, 1000);
    }
    tick();
  }
  function checkPin(event) {
    event.preventDefault();
    var field = event.target.pin, entered = field.value, pin = config.pin;
    field.value = "";
    pinState().then(function (state) {
      if (state.until > Date.now()) { showLock(state); return null; }
      return pinHash(entered, b64urlToBytes(pin.salt), pin.rounds).then(function (hash) {
        if (hash === pin.hash) { return putOne("status", { failures: 0, until: 0 }, "pin").then(staff); }
        state.failures += 1;
        state.until = Date.now() + lockFor(state.failures);
        return putOne("status", state, "pin").then(function () {
          setText(live("pin-error"), texts.pin_wrong);
          showLock(state);
        });
      });
    });
  }
  // The booth's default language, which every voter starts in (staff panel).
  function saveLanguage(event) {
    event.preventDefault();
    var chosen = event.target.querySelector("input[name=lang]:checked");
    config.lang = chosen && chosen.value === "en" ? "en" : "ko";
    // onto the stored config: a setup fetched since this page loaded may hold newer keys
    getOne("config", "kiosk").then(function (stored) {
      stored.lang = config.lang;
      return putOne("config", stored, "kiosk");
    }).then(function () {
      setText(live("language-saved"), fill(texts.language_saved, { language: texts["language_" + config.lang] }));
    });
  }
  function age(iso) {
    if (!iso) { return texts.never; }
    var then = typeof iso === "number" ? iso : Date.parse(iso);
    return new Date(then).toLocaleString(lang === "en" ? "en-GB" : "ko-KR");
  }
  function staff() {
    voter = { staff: true, marks: {} };
    Promise.all([count("queue"), status(), getAll("refused"), getOne("config", "kiosk")]).then(function (all) {
      var s = all[1];
      live("queue").textContent = String(all[0]);
      live("last-sync").textContent = age(s.lastSync);
      live("last-error").textContent = s.lastError || texts.none;
      live("skew").textContent = Math.round(skew / 1000) + " s";
      live("key-age").textContent = age(all[3].keysAt);
      live("persisted").textContent = s.persisted ? texts.granted : texts.denied;
      $("[data-form=language] input[value='" + (config.lang || "ko") + "']").checked = true;
      var list = live("refused");
      list.textContent = "";
      all[2].forEach(function (r) {
        var item = document.createElement("li");
        item.textContent = r.id + " · " + r.message + " (" + r.reason + ") · " + age(r.at);
        list.appendChild(item);
      });
      show("staff");
    });
  }
  // A test code checked twice: here, offline, by the kiosk's own rules, and, when online, by
  // the server's sync rules without spending it (POST .../check), so staff see both answers.
  function dryRun(event) {
    event.preventDefault();
    var code = event.target.code.value;
    event.target.code.value = "";
    var here = live("dry-run"), there = live("dry-run-server");
    here.textContent = "…";
    there.textContent = "";
    check(code).then(function (result) {
      var answer = result.error ? texts[result.error] || texts.token_malformed
        : result.short ? texts.short_code : result.test ? texts.dry_ok : texts.dry_real;
      here.textContent = fill(texts.dry_here, { answer: answer });
    });
    if (!navigator.onLine) { there.textContent = texts.dry_not_asked; return; }
    fetch(fill(root.dataset.check, { election: config.electionId, booth: config.boothId }), {
      method: "POST", cache: "no-store", credentials: "omit",
      headers: { Authorization: "Bearer " + config.credential, "Content-Type": "application/json", "Accept-Language": lang },
      body: JSON.stringify({ token: codeFrom(code) })
    }).then(function (response) {
      if (!response.ok) { throw new Error("HTTP " + response.status); }
      return response.json();
    }).then(function (answer) {
      var words = answer.status === "valid" ? texts.dry_server_valid
        : answer.status === "test" ? texts.dry_server_test : answer.message;
      there.textContent = fill(texts.dry_server, { answer: words });
    }, function () { there.textContent = texts.dry_unreachable; });
  }
  // The queue as a file for a kiosk that will never get online: the body as text and an
  // HMAC-SHA256 of exactly that text under the kiosk's export key (docs/kiosk.md).
  function exportQueue() {
    return getAll("queue").then(function (ballots) {
      var body = JSON.stringify({
        kiosk: config.kioskId, election: config.electionId, booth: config.boothId,
        exported_at: new Date(Date.now() + skew).toISOString(), count: ballots.length,
        ballots: ballots.map(function (b) { return { id: b.id, token: b.token, cast_at: b.cast_at, selections: b.selections }; })
      });
      return subtle.importKey("raw", b64urlToBytes(config.exportKey), { name: "HMAC", hash: "SHA-256" }, false, ["sign"])
        .then(function (key) { return subtle.sign("HMAC", key, encoder.encode(body)); })
        .then(function (mac) {
          var text = JSON.stringify({ format: EXPORT_FORMAT, body: body, mac: bytesToB64url(mac) });
          var link = document.createElement("a");
          link.href = URL.createObjectURL(new Blob([text], { type: "application/json" }));
          link.download = "kiosk-" + config.kioskId + "-queue-" + Date.now() + ".json";
          document.body.appendChild(link);
          link.click();
          link.remove();
          setTimeout(function () { URL.revokeObjectURL(link.href); }, 60000);
          return text;
        });
    });
  }

  // --- the camera (jsQR: BarcodeDetector is missing from Chromium on Linux) ----------------
  function scan(button, onCode) {
    var box = button.parentNode.querySelector("[data-scanner]");
    var video = box.querySelector("video");
    var canvas = document.createElement("canvas");
    var running = true;
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) { window.alert(texts.no_camera || "camera"); return; }
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } }).then(function (stream) {
      video.srcObject = stream;
      box.hidden = false;
      video.play();
      function stop() {
        running = false;
        stream.getTracks().forEach(function (t) { t.stop(); });
        box.hidden = true;
      }
      box.querySelector("[data-scan-stop]").onclick = stop;
      (function frame() {
        if (!running) { return; }
        if (video.videoWidth) {
          canvas.width = video.videoWidth; canvas.height = video.videoHeight;
          var context = canvas.getContext("2d");
          context.drawImage(video, 0, 0);
          var found = window.jsQR(context.getImageData(0, 0, canvas.width, canvas.height).data, canvas.width, canvas.height);
          if (found && found.data) { stop(); onCode(found.data); return; }
        }
        window.requestAnimationFrame(frame);
      })();
    }, function () { window.alert(texts.no_camera || "camera"); });
  }

  // --- wiring -----------------------------------------------------------------------------
  function bindScreens() {
    $("[data-form=code]").addEventListener("submit", function (event) {
      event.preventDefault();
      admit($("#voter-code").value);
    });
    $("[data-scan]").addEventListener("click", function (event) { scan(event.target, admit); });
    $("[data-form=pin]").addEventListener("submit", checkPin);
    $("[data-form=dry-run]").addEventListener("submit", dryRun);
    Array.prototype.forEach.call(screen.querySelectorAll(".langs [data-lang]"), function (button) {
      button.addEventListener("click", function () { switchLanguage(button.dataset.lang); });
    });
    $("[data-form=language]").addEventListener("submit", saveLanguage);
  }

  // Once: #screen stays while its content is drawn again (a second listener would act twice).
  function bindActions() {
    screen.addEventListener("click", function (event) {
      var go = event.target.closest("[data-go]");
      if (!go) { return; }
      var action = go.dataset.go;
      if (action === "done") { reset(); }
      else if (action === "pin") {
        voter = { staff: true, marks: {} };
        show("pin");
        idleAfter(config.timers.idle);
        pinState().then(showLock);
      }
      else if (action === "cast") { cast(); }
      else if (action === "print") { window.print(); }
      else if (action === "stay") { idleAfter(config.timers.idle); }
      else if (action === "sync") {
        setText(live("sync-status"), "…");
        runSync().then(staff).then(function () { return status(); }).then(function (s) {
          setText(live("sync-status"), s.lastError || fill(texts.synced, { n: s.sent || 0 }));
        });
      }
      else if (action === "export") { exportQueue(); }
      else if (action === "back" && !go.closest("form.ballot")) { step(contestsHere().length - 1); }
    });
  }
  bindActions();

  ["pointerdown", "keydown", "input"].forEach(function (type) {
    document.addEventListener(type, function () { if (config) { activity(); } }, true);
  });
  window.addEventListener("online", function () { if (config) { syncSoon(0); } });

  if (!window.isSecureContext || !subtle) {
    document.querySelector("[data-live=secure]").hidden = false;
  }
  if (navigator.serviceWorker) {
    navigator.serviceWorker.register(root.dataset.worker, { scope: "/kiosk/" });
  }
  document.getElementById("provision-form").addEventListener("submit", provision);
  document.querySelector("#provision [data-scan]").addEventListener("click", function (event) {
    scan(event.target, function (text) { document.getElementById("provision-code").value = text; });
  });

  Promise.all([getOne("config", "kiosk"), status()]).then(function (both) {
    config = both[0];
    if (!config) { return; }
    skew = both[1].skew || 0;
    verify = makeVerifier(config.channel, config.election, config.keys);
    lang = config.lang || "ko";
    render();
    syncSoon(500);
    refreshSetup();
  });

  window.VotesvcKiosk = {
    makeVerifier: makeVerifier, receiptId: receiptId, shortCodeId: shortCodeId,
    sync: function () { return runSync(); }, exportQueue: function () { return exportQueue(); },
    queue: function () { return getAll("queue"); }, refused: function () { return getAll("refused"); },
    store: store
  };
})();
