/* Evaluated in each loaded page: the active markup left in the document, then every element of
 * the content poked with the events that inline handlers listen for. Returns the findings. */
(scope) => {
  const found = [];
  const ownScript = /^\/(static|pagefind)\//;
  // ":" is an href the URL parser rejects ("http://javascript:alert(1)", port "alert(1)"):
  // it goes nowhere, Chrome blocks the navigation.
  const safeUrl = /^(https?:|mailto:|:)$/;
  for (const el of document.querySelectorAll("*")) {
    const tag = el.tagName.toLowerCase();
    if (tag === "script" && !(el.src && ownScript.test(new URL(el.src).pathname))) {
      found.push("script: " + el.outerHTML.slice(0, 200));
    }
    // A form is the site's own search box unless it sits in the content or posts elsewhere.
    const form =
      tag === "form" && (el.closest("article") || !el.action.startsWith(location.origin));
    if (["object", "embed", "applet", "base", "frame", "frameset"].includes(tag) || form) {
      found.push("element: " + el.outerHTML.slice(0, 200));
    }
    if (tag === "meta" && el.httpEquiv) {
      found.push("meta: " + el.outerHTML.slice(0, 200));
    }
    for (const attr of el.attributes) {
      if (attr.name.startsWith("on")) {
        found.push("handler: " + tag + " " + attr.name + "=" + attr.value.slice(0, 100));
      }
    }
    if ((tag === "a" || tag === "area") && el.hasAttribute("href") && !safeUrl.test(el.protocol)) {
      found.push("link: " + el.href.slice(0, 200));
    }
    if (tag === "iframe" && el.src && !/^https:$/.test(new URL(el.src, location.href).protocol)) {
      found.push("iframe: " + el.src.slice(0, 200));
    }
  }
  const kinds = ["mouseover", "mouseenter", "mousemove", "mousedown", "mouseup", "click"];
  kinds.push("focus", "blur", "pointerover", "keydown", "input", "change", "toggle");
  kinds.push("animationstart", "transitionend", "load", "error", "scroll", "wheel");
  for (const el of document.querySelectorAll(scope + " *")) {
    for (const kind of kinds) {
      const Kind = kind.startsWith("mouse") || kind === "click" ? MouseEvent : Event;
      el.dispatchEvent(new Kind(kind, { bubbles: true, cancelable: true }));
    }
  }
  return found;
}
