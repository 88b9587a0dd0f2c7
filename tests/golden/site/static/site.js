// Relative dates are computed in the browser so the built pages never depend on the build time.
(function () {
  "use strict";
  var units = [["年", 31536000], ["个月", 2592000], ["天", 86400], ["小时", 3600], ["分钟", 60]];
  function relative(seconds) {
    if (seconds < 60) { return "刚刚"; }
    for (var i = 0; i < units.length; i++) {
      var n = Math.floor(seconds / units[i][1]);
      if (n >= 1) { return n + " " + units[i][0] + "前"; }
    }
    return "刚刚";
  }
  var now = Date.now();
  document.querySelectorAll("time[datetime]").forEach(function (el) {
    var when = Date.parse(el.getAttribute("datetime"));
    if (isNaN(when) || when > now + 60000) { return; }
    var span = document.createElement("span");
    span.className = "rel";
    span.textContent = relative((now - when) / 1000);
    el.parentNode.insertBefore(span, el);
  });
})();
