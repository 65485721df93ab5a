/* The segment builder's live count: as the conditions change, ask /segments/preview how
   many profiles match (debounced) and show the count, or the field that is wrong. */
(function () {
  'use strict';
  var area = document.querySelector('[data-live-count]');
  if (!area) return;
  var out = document.getElementById(area.dataset.liveCount);
  var timer = null;
  var latest = 0;
  function update() {
    var asked = ++latest;
    var text = area.value;
    try { JSON.parse(text); } catch (e) {
      out.textContent = 'Not valid JSON yet';
      out.classList.add('invalid');
      return;
    }
    fetch('/segments/preview?conditions=' + encodeURIComponent(text), {
      credentials: 'same-origin', headers: { accept: 'application/json' }
    }).then(function (r) { return r.json(); }).then(function (body) {
      if (asked !== latest) return;
      if (body.error) {
        out.textContent = body.field + ': ' + body.reason;
        out.classList.add('invalid');
      } else {
        out.textContent = 'Matching profiles: ' + body.count.toLocaleString();
        out.classList.remove('invalid');
        out.dataset.count = String(body.count);
      }
    }).catch(function () { out.textContent = 'Count unavailable'; });
  }
  area.addEventListener('input', function () {
    clearTimeout(timer);
    timer = setTimeout(update, 300);
  });
  update();
})();
