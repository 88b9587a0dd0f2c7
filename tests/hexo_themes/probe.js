/* Evaluated in each loaded theme page (tests/test_hexo_themes_browser.py): what a reader sees
 * of the post (heading, browser title, article text without script), and markup a payload left
 * behind: handlers calling a payload function, and post text swallowed by an element whose
 * content is never shown (script, style, title, textarea...). Elements carrying such handlers
 * are then poked with the events the handlers wait for, so that the hooks see them run. */
(names) => {
  const call = new RegExp("(^|[^\\w$.])(" + names.join("|") + ")\\s*\\(");
  // Elements whose content is never shown as page text (<title> holds the title itself).
  const hidden = "script, style, textarea, noscript, template, xmp, iframe, noembed, title";
  const swallowing = hidden.replace(", title", "");
  const found = [];
  const poke = [];
  for (const el of document.querySelectorAll("*")) {
    const tag = el.tagName.toLowerCase();
    for (const attr of el.attributes) {
      if (attr.name.startsWith("on") && call.test(attr.value)) {
        found.push(`handler: ${tag} ${attr.name}=${attr.value.slice(0, 120)}`);
        poke.push(el);
      }
    }
    if (tag === "plaintext" || (tag === "script" && el.hasAttribute("setup"))) {
      found.push(`element: ${el.outerHTML.slice(0, 120)}`);
    }
  }
  const kinds = ["mouseover", "mouseenter", "mousemove", "mousedown", "mouseup", "click"];
  kinds.push("focus", "blur", "pointerover", "keydown", "input", "change", "toggle");
  kinds.push("animationstart", "transitionend", "load", "error", "scroll", "wheel");
  for (const el of poke) {
    for (const kind of kinds) {
      const Kind = kind.startsWith("mouse") || kind === "click" ? MouseEvent : Event;
      el.dispatchEvent(new Kind(kind, { bubbles: true, cancelable: true }));
    }
  }
  const visible = (el) => {
    const copy = el.cloneNode(true);
    copy.querySelectorAll(hidden).forEach((e) => e.remove());
    return copy.textContent.split(/\s+/).filter(Boolean).join(" ");
  };
  const articles = [...document.querySelectorAll("article")];
  const text = articles.map(visible).join(" ");
  // A post body that is script (or style...) text instead of page text: swallowed by markup
  // from a title. (A body marker can also be in a title derived from the body, hence the
  // comparison with the visible text.)
  for (const el of document.querySelectorAll(swallowing)) {
    for (const marker of el.textContent.match(/BODYMARK\d+/g) || []) {
      if (!text.includes(marker)) {
        found.push(`swallowed: <${el.tagName.toLowerCase()}> ${el.textContent.trim().slice(0, 120)}`);
      }
    }
  }
  return {
    found,
    title: document.title,
    h1: articles.flatMap((a) => [...a.querySelectorAll("h1")].map(visible)),
    text,
  };
}
