/* The offline page: offer the test-drive packets this tablet keeps (see templates/pwa/sw.js). */
(function () {
  "use strict";
  var list = document.getElementById("kept-packets");
  if (!list || !window.caches) return;
  var PACKET_PATH = /^\/testdrive\/bookings\/\d+\/packet$/;
  caches.open("packets").then(function (cache) {
    return cache.keys().then(function (requests) {
      var pages = requests.filter(function (r) { return PACKET_PATH.test(new URL(r.url).pathname); });
      return Promise.all(pages.map(function (r) {
        return cache.match(r).then(function (response) { return response.text(); }).then(function (html) {
          var doc = new DOMParser().parseFromString(html, "text/html");
          return { url: new URL(r.url).pathname, title: (doc.title || "").split(" · ").slice(0, 2).join(" · ") };
        });
      }));
    });
  }).then(function (packets) {
    if (!packets.length) return;
    packets.forEach(function (p) {
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.className = "btn btn-block";
      a.href = p.url;
      a.textContent = p.title || p.url;
      li.appendChild(a);
      list.appendChild(li);
    });
    document.getElementById("kept-packets-box").hidden = false;
  }).catch(function () { /* nothing kept */ });
})();
