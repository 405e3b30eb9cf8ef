// A ballot step, made live: the counter ("3 of 5 chosen"), the knapsack's budget meter with
// agendas that no longer fit disabled and the reason beside them, points with - / + buttons
// and the points left, all announced politely to screen readers; and a question before leaving
// a page whose choices are not saved. The form and the server's checks work without it.
(function () {
  "use strict";
  var form = document.querySelector("form.ballot");
  if (!form) { return; }
  var data = form.dataset;
  var kind = data.kind;
  var lang = data.lang === "en" ? "en-US" : "ko-KR";
  var choices = Array.prototype.slice.call(form.querySelectorAll("li.choice"));
  var status = form.querySelector("[data-live=status]");
  var dirty = false;

  function fill(text, values) {
    return text.replace(/\{(\w+)\}/g, function (_, name) { return values[name]; });
  }
  function money(amount) {
    var digits = Math.abs(amount).toLocaleString(lang);
    return (amount < 0 ? "-" : "") + (data.lang === "en" ? "KRW " + digits : "₩" + digits);
  }
  function boxOf(li) { return li.querySelector("input[type=checkbox], input[type=radio]"); }

  function updateChoices() {
    var chosen = choices.filter(function (li) { var b = boxOf(li); return b && b.checked; });
    var count = chosen.length;
    var most = data.most ? parseInt(data.most, 10) : 0;
    if (kind === "knapsack") {
      var budget = parseInt(data.budget, 10);
      var spent = chosen.reduce(function (s, li) { return s + parseInt(li.dataset.cost, 10); }, 0);
      var left = budget - spent;
      form.querySelector("[data-live=spent]").textContent = money(spent);
      form.querySelector("[data-live=left]").textContent = money(left);
      form.querySelector("meter").value = Math.min(spent, budget);
      status.textContent = fill(data.textLeft, { left: money(left), budget: money(budget) });
      choices.forEach(function (li) {
        var box = boxOf(li), cost = parseInt(li.dataset.cost, 10), why = li.querySelector("[data-live=why]");
        var over = !box.checked && cost > left;
        var full = most > 0 && !box.checked && count >= most;
        box.disabled = over || full;
        li.classList.toggle("unavailable", over || full);
        why.textContent = over ? fill(data.textOver, { over: money(cost - left) }) : "";
      });
      return;
    }
    if (kind === "approval" && status) {
      status.textContent = most ? fill(data.textChosen, { k: count, n: most })
        : fill(data.textChosenOpen, { k: count });
      choices.forEach(function (li) {
        var box = boxOf(li);
        box.disabled = most > 0 && !box.checked && count >= most;
        li.classList.toggle("unavailable", box.disabled);
      });
    }
  }

  function updateRanks() {
    var ranked = choices.filter(function (li) { return li.querySelector("select").value !== ""; });
    var most = data.most ? parseInt(data.most, 10) : 0;
    status.textContent = most ? fill(data.textChosen, { k: ranked.length, n: most })
      : fill(data.textChosenOpen, { k: ranked.length });
  }

  function updatePoints() {
    var total = parseInt(data.points || "0", 10);
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
  form.addEventListener("input", function () { dirty = true; update(); });
  form.addEventListener("submit", function () {
    dirty = false;
    choices.forEach(function (li) { var b = boxOf(li); if (b) { b.disabled = false; } });
  });
  window.addEventListener("beforeunload", function (event) {
    if (dirty) { event.preventDefault(); event.returnValue = data.leave; }
  });
  update();
})();
