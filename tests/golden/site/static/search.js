// Search over hotpress's static index (see hotpress/_site/search.py): no server, works offline.
// The keys and the bucket hash must match the Python side exactly.
(function () {
  "use strict";
  var box = document.getElementById("search");
  if (!box || !window.fetch) { return; }
  var base = box.dataset.index;
  var input = box.querySelector("input");
  var status = box.querySelector(".status");
  var list = box.querySelector(".results");
  var CJK = /[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]{2,}/g;
  var WORD = /[0-9a-z\u00e0-\u024f]+/g;
  var SHOWN = 100;
  var cache = new Map();
  var manifest = null;
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

  // Keys as in search.py: a CJK bigram is its two code points, a word the CRC-32 of it.
  function keys(text) {
    var lowered = text.toLowerCase();
    var found = new Set((lowered.match(WORD) || []).map(wordKey));
    (lowered.match(CJK) || []).forEach(function (run) {
      for (var i = 0; i + 1 < run.length; i++) {
        found.add((run.charCodeAt(i) * 65536 + run.charCodeAt(i + 1)) >>> 0);
      }
    });
    return Array.from(found);
  }

  function bucket(key) { return Math.imul(key, 0x9e3779b1) >>> 25; }

  function load(url, binary) {
    if (!cache.has(url)) {
      cache.set(url, fetch(url).then(function (r) {
        if (!r.ok) { throw new Error(url + ": " + r.status); }
        return binary ? r.arrayBuffer() : r.json();
      }));
    }
    return cache.get(url);
  }

  // The positions holding ``key`` in one bucket file (layout in search.py).
  function lookup(buffer, key) {
    var count = new DataView(buffer).getUint32(0, true);
    var ks = new Uint32Array(buffer, 4, count), ends = new Uint32Array(buffer, 4 + 4 * count, count);
    var low = 0, high = count;
    while (low < high) { var mid = (low + high) >>> 1; if (ks[mid] < key) { low = mid + 1; } else { high = mid; } }
    if (low === count || ks[low] !== key) { return []; }
    var start = low ? ends[low - 1] : 0;
    return Array.from(new Uint16Array(buffer, 4 + 8 * count, ends[count - 1]).subarray(start, ends[low]));
  }

  // The items in one segment holding every key.
  function searchSegment(seg, wanted) {
    var folder = base + seg[0] + "/", v = "?v=" + seg[1];
    return Promise.all(wanted.map(function (key) {
      return load(folder + bucket(key) + ".bin" + v, true).then(function (b) { return lookup(b, key); });
    })).then(function (lists) {
      lists.sort(function (a, b) { return a.length - b.length; });
      var hits = lists[0];
      for (var i = 1; i < lists.length && hits.length; i++) {
        var have = new Set(lists[i]);
        hits = hits.filter(function (p) { return have.has(p); });
      }
      if (!hits.length) { return []; }
      return load(folder + "docs.json" + v, false).then(function (docs) {
        return hits.map(function (p) { return { doc: docs[p], order: seg[0] * 1e6 + p }; });
      });
    });
  }

  function show(query, hits) {
    var raw = query.toLowerCase().split(/\s+/).filter(Boolean);
    hits.forEach(function (h) {
      var title = h.doc[1].toLowerCase();
      h.score = raw.filter(function (w) { return title.indexOf(w) >= 0; }).length;
    });
    hits.sort(function (a, b) {
      return b.score - a.score || (b.doc[2] > a.doc[2]) - (b.doc[2] < a.doc[2]) || b.order - a.order;
    });
    list.textContent = "";
    hits.slice(0, SHOWN).forEach(function (h) {
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.className = "search-result";
      a.href = h.doc[0];
      a.textContent = h.doc[1];
      var meta = document.createElement("small");
      meta.textContent = h.doc[3] + " · " + h.doc[2];
      li.appendChild(a);
      li.appendChild(meta);
      list.appendChild(li);
    });
    status.textContent = hits.length ? "找到 " + hits.length + " 条" + (hits.length > SHOWN ? "，显示前 " + SHOWN + " 条" : "") : "没有找到";
  }

  function run(query) {
    var mine = ++turn;
    var wanted = keys(query);
    if (!wanted.length) {
      list.textContent = "";
      status.textContent = query.trim() ? "请输入至少两个汉字或一个英文词" : "";
      return;
    }
    status.textContent = "搜索中…";
    var ready = manifest ? Promise.resolve(manifest) : load(base + "index.json?t=" + Date.now(), false);
    ready.then(function (m) {
      manifest = m;
      return Promise.all(m.segments.map(function (seg) { return searchSegment(seg, wanted); }));
    }).then(function (parts) {
      if (mine === turn) { show(query, [].concat.apply([], parts)); }
    }).catch(function (err) {
      if (mine === turn) { status.textContent = "搜索索引无法读取：" + err.message; }
    });
  }

  var timer = 0;
  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () { run(input.value); }, 150);
  });
  box.querySelector("form").addEventListener("submit", function (event) {
    event.preventDefault();
    run(input.value);
  });
  var q = new URLSearchParams(location.search).get("q");
  if (q) { input.value = q; run(q); }
})();
