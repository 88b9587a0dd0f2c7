/* Init script for tests/test_xss_browser.py: runs before any page script and records every
 * sign that script from the content ran. The page's own scripts (site.js, search.js) call
 * none of these, so every record is an execution. __NAMES__ is replaced by the identifiers the
 * corpus payloads call (alert, xss, foo...): each one that is not a browser global becomes a
 * sentinel function. */
(() => {
  const events = [];
  Object.defineProperty(window, "__xssEvents", { value: events });
  const record = (kind, detail) => {
    events.push(kind + ": " + String(detail).slice(0, 300));
  };
  const trap = (name) =>
    function (...args) {
      record(name, args.map(String).join(","));
      return null;
    };
  for (const name of ["alert", "confirm", "prompt", "print", "open"]) {
    window[name] = trap(name);
  }
  for (const name of __NAMES__) {
    if (!(name in window)) {
      window[name] = trap(name);
    }
  }
  Document.prototype.write = trap("document.write");
  Document.prototype.writeln = trap("document.writeln");
  for (const name of ["setTimeout", "setInterval"]) {
    const real = window[name];
    window[name] = function (handler, ...rest) {
      if (typeof handler === "string") {
        record(name, handler);
        return 0;
      }
      return real.call(this, handler, ...rest);
    };
  }
  // The server sends a report-only Content-Security-Policy allowing only same-origin script
  // files: any inline script, event handler, javascript: URL, eval or plugin is reported here
  // whatever function it calls. (eval and Function are left alone: Playwright's own
  // page.evaluate goes through them; the policy reports a page's use of them instead.)
  document.addEventListener("securitypolicyviolation", (e) => {
    record("csp", `${e.violatedDirective} ${e.blockedURI} ${e.sample}`);
  });
  // Synthetic clicks (inspect.js) must not leave the page through links: only a javascript:
  // link is left to run (the one kind whose click runs script), so the traps see what it does.
  window.addEventListener(
    "click",
    (e) => {
      const link = e.target.closest && e.target.closest("a[href], area[href]");
      if (link && link.protocol !== "javascript:") {
        e.preventDefault();
      }
    },
    true,
  );
})();
