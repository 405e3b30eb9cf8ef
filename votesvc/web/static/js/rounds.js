// The round slider of a ranked contest's results: without this script the page shows every
// round in one table; with it, a slider (a labelled range input, keyboard-operable) shows the
// rounds up to the chosen one and says in words what happened in it. Classes only (the CSP
// allows no inline style).
(function () {
  "use strict";
  var box = document.querySelector(".rounds[data-rounds]");
  if (!box) { return; }
  var total = parseInt(box.getAttribute("data-rounds"), 10);
  if (!(total > 1)) { return; }
  var table = box.querySelector("table");
  var control = document.createElement("div");
  control.className = "rounds-control";
  var label = document.createElement("label");
  label.setAttribute("for", "round-slider");
  label.textContent = box.getAttribute("data-label");
  var slider = document.createElement("input");
  slider.type = "range";
  slider.id = "round-slider";
  slider.min = "1";
  slider.max = String(total);
  slider.step = "1";
  slider.value = String(total);
  var said = document.createElement("output");  // shown; screen readers hear aria-valuetext
  said.setAttribute("for", "round-slider");
  said.setAttribute("aria-hidden", "true");
  control.appendChild(label);
  control.appendChild(slider);
  control.appendChild(said);
  box.insertBefore(control, box.firstChild);

  function show(round) {
    var cells = table.querySelectorAll("[data-round]");
    for (var i = 0; i < cells.length; i += 1) {
      var n = parseInt(cells[i].getAttribute("data-round"), 10);
      cells[i].classList.toggle("later", n > round);
    }
    var text = box.getAttribute("data-text").replace("{n}", round).replace("{total}", total);
    said.textContent = text;
    slider.setAttribute("aria-valuetext", text);
  }
  slider.addEventListener("input", function () { show(parseInt(slider.value, 10)); });
  show(total);
}());
