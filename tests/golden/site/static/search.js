// Search over hotpress's static index (hotpress/_site/search.py, searchindex.py): no server.
// A query reads one shard per term and level, takes the rarest term's postings (newest
// first) as candidates, drops those another term's postings rule out, and checks the rest
// against their stored records (title, category, start of the body), a page at a time.
// The keys, the shard hash and the file layout must match the Python side exactly.
(function () {
  "use strict";
  var box = document.getElementById("search");
  if (!box) { return; }
  if (!window.fetch || !window.DecompressionStream) {
    box.querySelector(".status").textContent = "这个浏览器太旧，无法搜索。";
    return;
  }
  var base = box.dataset.index;
  var form = box.querySelector("form");
  var input = form.querySelector("input[name=q]");
  var catBox = form.querySelector("select[name=c]");
  var fromBox = form.querySelector("input[name=from]");
  var toBox = form.querySelector("input[name=to]");
  var status = box.querySelector(".status");
  var list = box.querySelector(".results");
  var moreButton = box.querySelector("button.more");
  var CJK = /[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]+/g;
  var WORD = /[0-9a-z\u00e0-\u024f]+/g;
  var SHOWN = 20, BATCH = 12, BUDGET = 24, SETTLE = 4, SETTLE_PAGES = 4;
  var cache = new Map();
  var manifest = null;
  var current = null;
  var turn = 0;

  var CRC = (function () {
    var table = new Uint32Array(256);
    for (var n = 0; n < 256; n++) {
      var c = n;
      for (var k = 0; k < 8; k++) { c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1; }
      table[n] = c >>> 0;
    }
    return table;
  })();
  var utf8 = new TextEncoder();

  function wordKey(word) {
    var c = 0xffffffff, bytes = utf8.encode(word);
    for (var i = 0; i < bytes.length; i++) { c = CRC[(c ^ bytes[i]) & 0xff] ^ (c >>> 8); }
    return ((c ^ 0xffffffff) & 0x2fffffff) >>> 0;
  }

  // Keys as in search.py: words, CJK bigrams, and a lone CJK character (titles only).
  function queryKeys(text) {
    var lowered = text.toLowerCase(), main = new Set(), chars = new Set();
    (lowered.match(WORD) || []).forEach(function (w) { main.add(wordKey(w)); });
    (lowered.match(CJK) || []).forEach(function (run) {
      if (run.length === 1) { chars.add((0x30000000 | run.charCodeAt(0)) >>> 0); }
      for (var i = 0; i + 1 < run.length; i++) {
        main.add((run.charCodeAt(i) * 65536 + run.charCodeAt(i + 1)) >>> 0);
      }
    });
    return { main: Array.from(main), chars: Array.from(chars) };
  }

  function shardOf(key, shards) {
    var bits = Math.round(Math.log2(shards));
    return bits ? Math.imul(key, 0x9e3779b1) >>> (32 - bits) : 0;
  }

  function load(url, kind) {
    if (!cache.has(url)) {
      cache.set(url, fetch(url).then(function (r) {
        if (!r.ok) { throw new Error(url + ": " + r.status); }
        if (kind === "json") { return r.json(); }
        if (kind === "gzip") {
          return new Response(r.body.pipeThrough(new DecompressionStream("gzip"))).json();
        }
        return r.arrayBuffer();
      }).catch(function (err) {
        cache.delete(url);  // a file that failed is asked for again next time
        throw err;
      }));
    }
    return cache.get(url);
  }

  // One term in one shard file: {count, ids, title} (layout in search.py).
  function readShard(buffer, key) {
    var view = new DataView(buffer), n = view.getUint32(0, true);
    var low = 0, high = n;
    while (low < high) {
      var mid = (low + high) >>> 1;
      if (view.getUint32(4 + 4 * mid, true) < key) { low = mid + 1; } else { high = mid; }
    }
    var found = { count: 0, ids: [], title: [] };
    if (low === n || view.getUint32(4 + 4 * low, true) !== key) { return found; }
    found.count = view.getUint32(4 + 4 * n + 4 * low, true);
    var data = 4 + 12 * n;
    var pos = data + (low ? view.getUint32(4 + 8 * n + 4 * (low - 1), true) : 0);
    var end = data + view.getUint32(4 + 8 * n + 4 * low, true);
    var bytes = new Uint8Array(buffer), last = 0;
    while (pos < end) {
      var value = 0, scale = 1, byte;
      do { byte = bytes[pos++]; value += (byte & 0x7f) * scale; scale *= 128; } while (byte >= 0x80);
      last = found.ids.length ? last - Math.floor(value / 2) : Math.floor(value / 2);
      found.ids.push(last);
      found.title.push(value % 2);
    }
    return found;
  }

  function levels() {
    var out = [];
    if (manifest.delta) { out.push({ prefix: "d/", shards: manifest.delta[0], tag: manifest.delta[1] }); }
    out.push({ prefix: "b/", shards: manifest.base[0], tag: manifest.base[1] });
    return out;
  }

  // A term's postings in every level: [{level, count, ids, title, has, pages}].
  function term(key) {
    return Promise.all(levels().map(function (level) {
      var url = base + level.prefix + shardOf(key, level.shards) + ".bin?v=" + level.tag;
      return load(url, "bin").then(function (buffer) {
        var found = readShard(buffer, key);
        found.level = level;
        found.key = key;
        found.pages = 0;
        found.has = new Set(found.ids);
        return found;
      });
    }));
  }

  function morePage(part) {
    var level = part.level, page = part.pages + 1;
    var url = base + level.prefix + "more/" + shardOf(part.key, level.shards) + "-" + page + ".bin?v=" + level.tag;
    return load(url, "bin").then(function (buffer) {
      part.pages = page;
      return readShard(buffer, part.key);
    });
  }

  function total(parts) { return parts.reduce(function (sum, p) { return sum + p.count; }, 0); }

  // False when another term's postings show the item cannot hold that term.
  function possible(id, others) {
    return others.every(function (parts) {
      return parts.some(function (p) {
        var covered = p.ids.length === p.count || (p.ids.length && id >= p.ids[p.ids.length - 1]);
        return !covered || p.has.has(id);
      });
    });
  }

  function Search(query, filters, terms, driverIndex) {
    this.parts = query.toLowerCase().split(/\s+/).filter(Boolean);
    this.filters = filters;
    this.driver = terms[driverIndex];
    this.others = terms.filter(function (t, i) { return i !== driverIndex && !t.char; });
    this.queue = [];
    this.seen = new Set();
    this.found = [];
    this.checked = this.matched = 0;
    this.take(this.driver.map(function (p) { return { ids: p.ids, title: p.title }; }));
  }

  // Queue new candidates: in-title ones first, each group newest first.
  Search.prototype.take = function (pages) {
    var fresh = new Map();
    pages.forEach(function (page) {
      page.ids.forEach(function (id, i) {
        if (!this.seen.has(id)) { fresh.set(id, (fresh.get(id) || 0) | page.title[i]); }
      }, this);
    }, this);
    var ids = Array.from(fresh.keys()).sort(function (a, b) { return b - a; });
    var titled = ids.filter(function (id) { return fresh.get(id); });
    var rest = ids.filter(function (id) { return !fresh.get(id); });
    titled.concat(rest).forEach(function (id) {
      this.seen.add(id);
      if (possible(id, this.others)) { this.queue.push(id); }
    }, this);
  };

  Search.prototype.hasMore = function () {
    return this.queue.length > 0 || this.driver.some(function (p) {
      return p.ids.length < p.count && p.pages * manifest.more + manifest.page < p.count;
    });
  };

  Search.prototype.matches = function (doc) {
    var text = (doc[2] + "\n" + doc[4] + "\n" + doc[5]).toLowerCase(), f = this.filters;
    if (f.c && doc[4] !== f.c && doc[4].indexOf(f.c + " / ") !== 0) { return false; }
    if ((f.from && doc[3] < f.from) || (f.to && doc[3] > f.to)) { return false; }
    return this.parts.every(function (part) { return text.indexOf(part) >= 0; });
  };

  // A candidate older than the head of another term's postings cannot be ruled out by it.
  // When that term's further postings fit in one more page, reading it settles every such
  // candidate at once: cheaper than checking their records when the terms are each in many
  // items and together in few (a phrase of common bigrams). The rarest such terms first.
  Search.prototype.settle = function () {
    var self = this, open = [];
    this.settled = true;
    this.others.forEach(function (parts) {
      parts.forEach(function (p) {
        if (p.pages || p.ids.length >= p.count || p.count - p.ids.length > manifest.more) { return; }
        var last = p.ids[p.ids.length - 1];
        var left = self.queue.filter(function (id) { return id < last; }).length;
        if (left >= SETTLE) { open.push(p); }
      });
    });
    open.sort(function (a, b) { return a.count - b.count; });
    open = open.slice(0, SETTLE_PAGES);
    return Promise.all(open.map(function (p) {
      return morePage(p).then(function (page) {
        page.ids.forEach(function (id) { p.ids.push(id); p.has.add(id); });
      });
    })).then(function () {
      self.queue = self.queue.filter(function (id) { return possible(id, self.others); });
      return open.length;
    });
  };

  // Verify candidates until ``want`` more results or the page's budget of record files.
  Search.prototype.next = function (want, budget) {
    var self = this, goal = this.found.length + want;
    if (this.found.length >= goal || budget <= 0) { return Promise.resolve(); }
    if (!this.settled) {
      return this.settle().then(function (read) { return self.next(want, budget - read); });
    }
    if (!this.queue.length) {
      var growing = this.driver.filter(function (p) {
        return p.pages * manifest.more + manifest.page < p.count;
      });
      if (!growing.length) { return Promise.resolve(); }
      return Promise.all(growing.map(morePage)).then(function (pages) {
        self.take(pages);
        return self.next(want, budget - pages.length);
      });
    }
    // As many candidates as the share that passed so far says are needed, in few files.
    var rate = this.checked ? Math.max(this.matched / this.checked, 0.05) : 1;
    var take = Math.ceil((goal - this.found.length) / rate) + 2;
    var batch = [], chunks = new Set();
    while (this.queue.length && batch.length < take &&
           (chunks.size < BATCH || chunks.has(Math.floor(this.queue[0] / manifest.docs)))) {
      var id = this.queue.shift();
      batch.push(id);
      chunks.add(Math.floor(id / manifest.docs));
    }
    return Promise.all(Array.from(chunks).map(function (chunk) {
      var seg = manifest.segs[Math.floor(chunk * manifest.docs / manifest.segment)];
      if (!seg) { return Promise.resolve([]); }
      return load(base + "docs/" + chunk + ".bin?v=" + seg, "gzip");
    })).then(function (lists) {
      var docs = new Map();
      lists.forEach(function (records) { records.forEach(function (d) { docs.set(d[0], d); }); });
      for (var i = 0; i < batch.length; i++) {
        if (self.found.length >= goal) { self.queue = batch.slice(i).concat(self.queue); break; }
        var doc = docs.get(batch[i]);
        self.checked++;
        if (doc && self.matches(doc)) { self.found.push(doc); self.matched++; }
      }
      return self.found.length >= goal ? null : self.next(goal - self.found.length, budget - chunks.size);
    });
  };

  function marked(text, parts) {
    var frag = document.createDocumentFragment(), lower = text.toLowerCase(), at = 0;
    while (at < text.length) {
      var best = -1, size = 0;
      parts.forEach(function (part) {
        var i = lower.indexOf(part, at);
        if (i >= 0 && (best < 0 || i < best)) { best = i; size = part.length; }
      });
      if (best < 0) { break; }
      frag.appendChild(document.createTextNode(text.slice(at, best)));
      var mark = document.createElement("mark");
      mark.textContent = text.slice(best, best + size);
      frag.appendChild(mark);
      at = best + size;
    }
    frag.appendChild(document.createTextNode(text.slice(at)));
    return frag;
  }

  function snippet(lead, parts) {
    var lower = lead.toLowerCase(), first = -1;
    parts.forEach(function (part) {
      var i = lower.indexOf(part);
      if (i >= 0 && (first < 0 || i < first)) { first = i; }
    });
    var start = Math.max(0, first - 24);
    return (start ? "…" : "") + lead.slice(start, start + 90) + (start + 90 < lead.length ? "…" : "");
  }

  function show(search) {
    var parts = search.parts;
    var scored = search.found.map(function (doc) {
      var title = doc[2].toLowerCase();
      return { doc: doc, score: parts.filter(function (p) { return title.indexOf(p) >= 0; }).length };
    });
    scored.sort(function (a, b) {
      return b.score - a.score || (b.doc[3] > a.doc[3]) - (b.doc[3] < a.doc[3]) || b.doc[0] - a.doc[0];
    });
    list.textContent = "";
    scored.forEach(function (hit) {
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.className = "search-result";
      a.href = hit.doc[1];
      a.appendChild(marked(hit.doc[2], parts));
      var meta = document.createElement("small");
      meta.textContent = hit.doc[4] + " · " + hit.doc[3];
      var p = document.createElement("p");
      p.className = "snippet";
      p.appendChild(marked(snippet(hit.doc[5], parts), parts));
      li.appendChild(a);
      li.appendChild(meta);
      li.appendChild(p);
      list.appendChild(li);
    });
    var more = search.hasMore();
    moreButton.hidden = !more;
    status.textContent = scored.length
      ? "找到 " + scored.length + " 条" + (more ? "（较新的在前，还有更多）" : "")
      : more ? "较新的条目中没有找到" : "没有找到";
  }

  function filters() {
    return { c: catBox.value, from: fromBox.value, to: toBox.value };
  }

  function remember(query, f) {
    var params = new URLSearchParams();
    if (query) { params.set("q", query); }
    Object.keys(f).forEach(function (k) { if (f[k]) { params.set(k, f[k]); } });
    history.replaceState(null, "", "?" + params.toString());
  }

  var manifestLoading = null;
  function ready() {
    if (manifest) { return Promise.resolve(manifest); }
    if (!manifestLoading) {  // one read, however many queries start before it arrives
      manifestLoading = load(base + "index.json?t=" + Date.now(), "json").then(function (m) {
        manifest = m;
        return m;
      }, function (err) {
        manifestLoading = null;
        throw err;
      });
    }
    return manifestLoading;
  }

  // The category list (cats.bin) is read only when the reader goes to the filter: a site of
  // many sources has thousands of paths. A category named in the address needs no list.
  function option(path) {
    var el = document.createElement("option");
    el.value = el.textContent = path;
    catBox.appendChild(el);
  }

  var catsLoaded = null;
  function loadCats() {
    if (!catsLoaded) {
      catsLoaded = ready().then(function (m) {
        return load(base + "cats.bin?v=" + m.cats, "gzip");
      }).then(function (paths) {
        var chosen = catBox.value, seen = new Set();
        while (catBox.options.length > 1) { catBox.remove(1); }
        paths.forEach(function (path) {
          var names = path.split(" / ");
          names.forEach(function (_, i) {
            var key = names.slice(0, i + 1).join(" / ");
            if (!seen.has(key)) { seen.add(key); option(key); }
          });
        });
        if (chosen && !seen.has(chosen)) { option(chosen); }
        catBox.value = chosen;
      }).catch(function (err) {
        catsLoaded = null;
        status.textContent = "分类列表无法读取：" + err.message;
      });
    }
    return catsLoaded;
  }

  function run(query) {
    var mine = ++turn, keys = queryKeys(query);
    if (!keys.main.length && !keys.chars.length) {
      list.textContent = "";
      moreButton.hidden = true;
      status.textContent = query.trim() ? "请输入汉字或英文词" : "";
      return;
    }
    status.textContent = "搜索中…";
    ready().then(function () {
      var f = filters(), main = keys.main.slice();
      // The category filter is one more term: the category path's key (search.py).
      if (f.c) { main.push(wordKey("\u0000c" + f.c)); }
      var all = main.concat(keys.chars);
      remember(query, f);
      return Promise.all(all.map(term)).then(function (terms) {
        terms.forEach(function (t, i) { t.char = i >= main.length; });
        var pool = main.length > (f.c ? 1 : 0) || !keys.chars.length ? main.length : all.length;
        var driver = 0;
        for (var i = 1; i < pool; i++) { if (total(terms[i]) < total(terms[driver])) { driver = i; } }
        if (mine !== turn) { return; }
        current = new Search(query, f, terms, driver);
        return next(current, mine);
      });
    }).catch(function (err) {
      if (mine === turn) { status.textContent = "搜索索引无法读取：" + err.message; }
    });
  }

  function next(search, mine) {
    return search.next(SHOWN, BUDGET).then(function () {
      if (mine === turn) { show(search); }
    });
  }

  var timer = 0;
  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () { run(input.value); }, 150);
  });
  [catBox, fromBox, toBox].forEach(function (el) {
    el.addEventListener("change", function () { run(input.value); });
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    clearTimeout(timer);  // typed, then Enter: one search, not a second one 150 ms later
    run(input.value);
  });
  moreButton.addEventListener("click", function () {
    if (current) {
      status.textContent = "搜索中…";
      next(current, turn).catch(function (err) { status.textContent = "搜索索引无法读取：" + err.message; });
    }
  });
  ["pointerenter", "pointerdown", "touchstart", "focus"].forEach(function (kind) {
    catBox.addEventListener(kind, loadCats, { passive: true });
  });
  var params = new URLSearchParams(location.search);
  fromBox.value = params.get("from") || "";
  toBox.value = params.get("to") || "";
  if (params.get("c")) {
    option(params.get("c"));
    catBox.value = params.get("c");
  }
  var q = params.get("q");
  if (q) { input.value = q; run(q); }
})();
