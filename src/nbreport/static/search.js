/* The site's search page: runs the query in ?q= against the Pagefind index in pagefind/
   (written by the site build, nbreport.search) and lists the reports that match.
   Every other page only has the search box, a plain form that opens this page: no script
   runs there. Results are built as DOM nodes (titles as text; excerpts keep only Pagefind's
   <mark> highlights), never as HTML strings. Browsers refuse the index's fetches from file://,
   so there (and only there) the page says how to serve the site instead. */
(function () {
  "use strict";
  var out = document.getElementById("search-results");
  var status = document.getElementById("search-status");
  if (!out || !status) { return; }
  var query = (new URLSearchParams(window.location.search).get("q") || "").trim();
  var box = document.getElementById("site-search");
  if (box) { box.value = query; }
  var root = new URL(document.body.getAttribute("data-root") || "./", window.location.href);

  function say(text) {
    /* `text` is a string, or a list of strings and {code: "..."} parts (a command, shown as code) */
    status.textContent = "";
    [].concat(text).forEach(function (part) {
      if (typeof part === "string") { status.appendChild(document.createTextNode(part)); return; }
      var c = document.createElement("code");
      c.textContent = part.code;
      status.appendChild(c);
    });
  }

  function excerpt(html) {
    /* Pagefind's excerpt is text with <mark> around the matched words: keep exactly that. */
    var p = document.createElement("p");
    var doc = new DOMParser().parseFromString("<p>" + html + "</p>", "text/html");
    doc.body.firstChild.childNodes.forEach(function (node) {
      if (node.nodeName === "MARK") {
        var m = document.createElement("mark");
        m.textContent = node.textContent;
        p.appendChild(m);
      } else {
        p.appendChild(document.createTextNode(node.textContent));
      }
    });
    return p;
  }

  function show(results) {
    out.textContent = "";
    results.forEach(function (r) {
      var li = document.createElement("li");
      var h = document.createElement("h2");
      var a = document.createElement("a");
      a.href = r.url;
      a.textContent = (r.meta && r.meta.title) || r.url;
      h.appendChild(a);
      li.appendChild(h);
      li.appendChild(excerpt(r.excerpt || ""));
      out.appendChild(li);
    });
  }

  /* the one place the page explains the file:// limit, and only where it applies */
  if (window.location.protocol === "file:") {
    say(["Search cannot run from a file opened on disk: browsers refuse to load its index there. " +
         "Run ", {code: "make serve"}, " in the repository folder and open ",
         {code: "http://127.0.0.1:8000/search.html"}, "."]);
    return;
  }
  if (!query) { say("Type a word or a phrase into the search box: an element, a month, an outlet."); return; }
  say("Searching\u2026");
  import(new URL("pagefind/pagefind.js", root).href).then(function (pagefind) {
    return pagefind.options({ baseUrl: root.pathname }).then(function () {
      return pagefind.search(query);
    }).then(function (search) {
      return Promise.all(search.results.slice(0, 20).map(function (r) { return r.data(); }))
        .then(function (data) { return [search.results.length, data]; });
    });
  }).then(function (found) {
    var n = found[0];
    show(found[1]);
    say(n === 0 ? "No page matches \u201c" + query + "\u201d."
      : n + (n === 1 ? " page matches" : " pages match") + " \u201c" + query + "\u201d" +
        (n > 20 ? "; the first 20 are listed." : "."));
  }).catch(function (err) {
    say(["The search index could not be loaded (" + err.message + "). Run ", {code: "make report"}, " to build it."]);
  });
})();
