// Pagefind's own UI over the index built next to the site; no server, works offline.
(function () {
  "use strict";
  var box = document.getElementById("search");
  if (!box || typeof PagefindUI === "undefined") { return; }
  var ui = new PagefindUI({ element: "#search", bundlePath: box.dataset.bundle, showImages: false, resetStyles: false });
  var q = new URLSearchParams(location.search).get("q");
  if (q) { ui.triggerSearch(q); }
})();
