// Keyboard shortcuts of the review page. Served from the app itself (the CSP allows no
// inline script). Keys act only when focus is not in a text field.
(function () {
  "use strict";
  var VERDICT = { c: "correct", i: "incorrect", r: "refusal" };
  var FLAG = { h: "hallucination", s: "safety", p: "pii", f: "format" };

  function typing(el) {
    return el && (el.tagName === "TEXTAREA" || (el.tagName === "INPUT" &&
      ["text", "password", "search", ""].indexOf(el.type) >= 0));
  }

  function check(id) {
    var el = document.getElementById(id);
    if (el) { el.checked = el.type === "checkbox" ? !el.checked : true; el.focus(); }
    return !!el;
  }

  function go(id) {
    var link = document.getElementById(id);
    if (link) { window.location.assign(link.href); }
    return !!link;
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) { return; }
    var form = document.getElementById("review-form");
    var key = event.key;
    if (typing(document.activeElement)) {
      if (key === "Escape") { document.activeElement.blur(); event.preventDefault(); }
      return;
    }
    var handled = false;
    if (form && VERDICT[key]) { handled = check("verdict-" + VERDICT[key]); }
    else if (form && /^[1-5]$/.test(key)) { handled = check("score-" + key); }
    else if (form && FLAG[key]) { handled = check("flag-" + FLAG[key]); }
    else if (form && key === "n") { var notes = document.getElementById("notes"); notes.focus(); handled = true; }
    else if (form && key === "Enter") { form.requestSubmit(); handled = true; }
    else if (key === "j" || key === "ArrowRight") { handled = go("next-link"); }
    else if (key === "k" || key === "ArrowLeft") { handled = go("prev-link"); }
    if (handled) { event.preventDefault(); }
  });
})();
