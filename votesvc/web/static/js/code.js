// The voting-code page: a code in the link after "#" moves into the form (browsers never send
// the fragment, so no server log or Referer sees it), and a typed short code is checked as it
// is typed with the same check character the server uses (Damm over GF(32), see
// votesvc/voting/shortcodes.py). Without this script the form works the same; the server checks.
(function () {
  "use strict";
  var ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
  var SYMBOLS = 17;
  var input = document.getElementById("code");
  var status = document.getElementById("code-check");
  if (!input) { return; }

  function timesTwo(v) { v <<= 1; return (v & 32) ? v ^ 37 : v; }
  function normalise(text) {
    return text.toUpperCase().replace(/[\s\-_.·\/\u2010-\u2014\u2212\u30fb]/g, "")
      .replace(/O/g, "0").replace(/[IL]/g, "1");
  }
  function check(symbols) {
    var c = 0;
    for (var i = 0; i < symbols.length; i += 1) {
      var v = ALPHABET.indexOf(symbols.charAt(i));
      if (v < 0) { return false; }
      c = timesTwo(c) ^ v;
    }
    return c === 0;
  }
  function update() {
    var text = input.value;
    if (text.indexOf(".") >= 0 || !/^[\x00-\x7f]*$/.test(text)) { status.textContent = ""; return; }
    var symbols = normalise(text);
    if (symbols.length < SYMBOLS) { status.textContent = ""; input.removeAttribute("aria-invalid"); return; }
    var ok = symbols.length === SYMBOLS && check(symbols);
    status.textContent = ok ? input.dataset.ok : input.dataset.typo;
    status.className = ok ? "check ok" : "check error";
    if (ok) { input.removeAttribute("aria-invalid"); } else { input.setAttribute("aria-invalid", "true"); }
  }
  input.addEventListener("input", update);

  var match = /(?:^#|&)code=([^&]+)/.exec(window.location.hash);
  if (match) {
    // out of the address bar and the history first, whatever follows
    history.replaceState(null, "", window.location.pathname + window.location.search);
    try {
      input.value = decodeURIComponent(match[1]);
    } catch (error) {  // a mangled link: let the voter type the code instead
      return;
    }
    input.form.submit();
  }
})();
