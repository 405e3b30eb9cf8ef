// A ballot step, made live: the counter ("3 of 5 chosen"), the knapsack's budget meter with
// agendas that no longer fit marked aria-disabled (still focusable) and the reason beside them
// and in their description, points with - / + buttons
// and the points left, all announced politely to screen readers; and a question before leaving
// a page whose choices are not saved. The form and the server's checks work without it.
//
// One component for two places: the citizen step page (enhanced on load) and the booth kiosk,
// which inserts the same server-rendered form offline and calls VotesvcBallot.enhance, then
// VotesvcBallot.read (the form's fields as the API's selection, read as
// votesvc/web/ballots.py read_form reads a posted form) and VotesvcBallot.problems (the limits
// the form itself states; the server's validator still decides at sync).
(function () {
  "use strict";

  function fill(text, values) {
    return text.replace(/\{(\w+)\}/g, function (_, name) { return values[name]; });
  }
  function number(text) { return text ? parseInt(text, 10) : 0; }
  function money(data, amount) {
    var lang = data.lang === "en" ? "en-US" : "ko-KR";
    var digits = Math.abs(amount).toLocaleString(lang);
    var sign = amount < 0 ? "-" : "";
    if (data.currency && data.currency !== "KRW") { return sign + digits + " " + data.currency; }
    return sign + (data.lang === "en" ? "KRW " + digits : "₩" + digits);
  }
  function boxOf(li) { return li.querySelector("input[type=checkbox], input[type=radio]"); }
  function choicesOf(form) { return Array.prototype.slice.call(form.querySelectorAll("li.choice")); }

  function enhance(form) {
    var data = form.dataset;
    var kind = data.kind;
    var choices = choicesOf(form);
    var status = form.querySelector("[data-live=status]");
    var dirty = false;

    // An agenda that cannot be chosen now stays focusable (aria-disabled, not disabled), so a
    // keyboard or screen reader user lands on it and hears why: the reason is in its
    // description (aria-describedby names the "why" line). Choosing it is refused below.
    function unavailable(li, reason) {
      var box = boxOf(li);
      if (reason) { box.setAttribute("aria-disabled", "true"); } else { box.removeAttribute("aria-disabled"); }
      li.classList.toggle("unavailable", !!reason);
      li.querySelector("[data-live=why]").textContent = reason;
    }

    function updateChoices() {
      var chosen = choices.filter(function (li) { var b = boxOf(li); return b && b.checked; });
      var count = chosen.length;
      var most = number(data.most);
      if (kind === "knapsack") {
        var budget = parseInt(data.budget, 10);
        var spent = chosen.reduce(function (s, li) { return s + parseInt(li.dataset.cost, 10); }, 0);
        var left = budget - spent;
        form.querySelector("[data-live=spent]").textContent = money(data, spent);
        form.querySelector("[data-live=left]").textContent = money(data, left);
        form.querySelector("meter").value = Math.min(spent, budget);
        status.textContent = fill(data.textLeft, { left: money(data, left), budget: money(data, budget) });
        choices.forEach(function (li) {
          var box = boxOf(li), cost = parseInt(li.dataset.cost, 10);
          var over = !box.checked && cost > left;
          var full = most > 0 && !box.checked && count >= most;
          unavailable(li, over ? fill(data.textOver, { over: money(data, cost - left) })
            : full ? fill(data.textFull, { n: most }) : "");
        });
        return;
      }
      if (kind === "approval" && status) {
        status.textContent = most ? fill(data.textChosen, { k: count, n: most })
          : fill(data.textChosenOpen, { k: count });
        choices.forEach(function (li) {
          var full = most > 0 && !boxOf(li).checked && count >= most;
          unavailable(li, full ? fill(data.textFull, { n: most }) : "");
        });
      }
    }

    function updateRanks() {
      var ranked = choices.filter(function (li) { return li.querySelector("select").value !== ""; });
      var most = number(data.most);
      status.textContent = most ? fill(data.textChosen, { k: ranked.length, n: most })
        : fill(data.textChosenOpen, { k: ranked.length });
    }

    function updatePoints() {
      var total = number(data.points);
      var given = choices.reduce(function (s, li) {
        var v = parseInt(li.querySelector("input[type=number]").value || "0", 10);
        return s + (isNaN(v) ? 0 : v);
      }, 0);
      status.textContent = fill(data.textPoints, { left: total - given, total: total });
    }

    function addSteppers() {
      choices.forEach(function (li) {
        var field = li.querySelector("input[type=number]");
        var name = li.querySelector(".title").textContent;
        var box = document.createElement("span");
        box.className = "stepper";
        [["-", data.textMinus, -1], ["+", data.textPlus, 1]].forEach(function (spec) {
          var b = document.createElement("button");
          b.type = "button";
          b.textContent = spec[0] === "-" ? "−" : "+";
          b.setAttribute("aria-label", spec[1] + ": " + name);
          b.addEventListener("click", function () {
            var max = field.max ? parseInt(field.max, 10) : Infinity;
            var v = parseInt(field.value || "0", 10) + spec[2];
            field.value = String(Math.max(0, Math.min(max, isNaN(v) ? 0 : v)));
            dirty = true;
            updatePoints();
          });
          box.appendChild(b);
        });
        field.parentNode.appendChild(box);
      });
    }

    var update = kind === "points" ? updatePoints : kind === "ranked" ? updateRanks : updateChoices;
    if (kind === "points") { addSteppers(); }
    form.addEventListener("change", function () { dirty = true; update(); });
    form.addEventListener("input", function () {
      dirty = true;
      if (kind !== "points") { update(); }  // typed points: said once the field is left
    });
    form.addEventListener("click", function (event) {
      var box = event.target;
      if (box.getAttribute && box.getAttribute("aria-disabled") === "true" && box.checked) {
        event.preventDefault();  // the click (mouse, label or Space) that would choose it
      }
    });
    form.addEventListener("submit", function () { dirty = false; });
    if (data.leave) {
      window.addEventListener("beforeunload", function (event) {
        if (dirty) { event.preventDefault(); event.returnValue = data.leave; }
      });
    }
    update();
  }

  // The form as {choices, points} in the API's shape, with the problems of the form itself
  // ("form": keyed by agenda code), as votesvc/web/ballots.py read_form reads a post.
  function read(form) {
    var data = form.dataset;
    var codes = data.codes.split(" ");
    var field = function (name) { return form.querySelector("[name='" + name + "']"); };
    var marked = { choices: [], points: [], form: {} };
    if (data.kind === "points") {
      codes.forEach(function (code) {
        var text = field("points-" + code).value.trim();
        if (!text) { return; }
        if (!/^-?\d{1,12}$/.test(text)) { marked.form[code] = true; return; }
        var value = parseInt(text, 10);
        if (value || data.type === "scoring") { marked.choices.push(code); marked.points.push(value); }
      });
    } else if (data.kind === "ranked") {
      var at = {}, highest = 0;
      codes.forEach(function (code) {
        var text = field("rank-" + code).value;
        var n = /^\d+$/.test(text) ? parseInt(text, 10) : 0;
        if (n > 0 && n <= codes.length) {
          (at[n] = at[n] || []).push(code);
          highest = Math.max(highest, n);
        }
      });
      for (var n = 1; n <= highest; n += 1) {
        var names = at[n] || [];
        if (names.length > 1) { names.forEach(function (code) { marked.form[code] = true; }); }
        marked.choices.push(names.length === 0 ? null : names.length === 1 ? names[0] : names);
      }
    } else {
      var chosen = Array.prototype.map.call(
        form.querySelectorAll("input[name=choice]:checked"), function (box) { return box.value; });
      marked.choices = codes.filter(function (code) { return chosen.indexOf(code) >= 0; });
    }
    return marked;
  }

  // What is wrong with a marked form, in the page's language, by the limits the form states
  // (the same limits the server's validator applies); empty for a blank contest.
  function problems(form, marked) {
    var data = form.dataset;
    var found = [];
    var count = marked.choices.filter(function (mark) { return mark !== null; }).length;
    if (!count && !Object.keys(marked.form).length) { return found; }
    if (Object.keys(marked.form).length) {
      found.push(data.kind === "ranked" ? data.textSharedRank : data.textWhole);
      return found;
    }
    var least = number(data.least), most = number(data.most);
    if (least && count < least && data.kind !== "choose-1") { found.push(fill(data.textTooFew, { n: least, k: count })); }
    if (most && count > most) { found.push(fill(data.textTooMany, { n: most, k: count })); }
    if (data.kind === "knapsack") {
      var cost = choicesOf(form).reduce(function (s, li) {
        return s + (marked.choices.indexOf(li.dataset.code) >= 0 ? parseInt(li.dataset.cost, 10) : 0);
      }, 0);
      if (cost > number(data.budget)) {
        found.push(fill(data.textOverBudget, { cost: money(data, cost), budget: money(data, number(data.budget)) }));
      }
    }
    if (data.kind === "points") {
      var total = marked.points.reduce(function (s, v) { return s + v; }, 0);
      if (data.points && total > number(data.points)) {
        found.push(fill(data.textTooManyPoints, { k: total, n: number(data.points) }));
      }
      var perAgenda = number(data.perAgenda);
      if (perAgenda && marked.points.some(function (v) { return v > perAgenda; })) {
        found.push(fill(data.textAgendaPoints, { n: perAgenda }));
      }
    }
    return found;
  }

  window.VotesvcBallot = { enhance: enhance, read: read, problems: problems, money: money };
  var page = document.querySelector("form.ballot[action]");
  if (page) { enhance(page); }
})();
