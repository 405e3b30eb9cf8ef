// Console pages that change while one looks at them (participation while voting runs, a
// count's progress): an element with data-refresh="<url>" is fetched again every
// data-refresh-seconds and replaced by what the server sends. The fragment the server sends
// carries the attributes again while there is more to come, and not once it is final (a
// count done), which ends the refreshing. Without this script the page's "refresh" link does
// the same by hand.
(function () {
  "use strict";
  function schedule(element) {
    var url = element.getAttribute("data-refresh");
    var seconds = parseInt(element.getAttribute("data-refresh-seconds"), 10) || 15;
    if (!url) { return; }
    window.setTimeout(function () {
      fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } })
        .then(function (response) {
          if (!response.ok) { throw new Error(String(response.status)); }
          return response.text();
        })
        .then(function (html) {
          var holder = document.createElement("div");
          holder.innerHTML = html;
          var fresh = holder.firstElementChild;
          if (!fresh || fresh.id !== element.id) { return; }
          element.replaceWith(fresh);
          schedule(fresh);
        })
        .catch(function () { schedule(element); });
    }, seconds * 1000);
  }
  Array.prototype.forEach.call(document.querySelectorAll("[data-refresh]"), schedule);
}());
