/* cxm.js: CXM first-party tracker (Apache-2.0). Plain ES2017, no build step.
   <script src="https://cxm.example/cxm.js" data-write-key="KEY" defer></script>
   or cxm.init({writeKey, endpoint, consentRequired, flushInterval, maxBatch, autoPage}). */
(function (w, d) {
  'use strict';
  if (w.cxm && w.cxm.loaded) return;
  const SERVER = /*cxm:server-defaults*/{};
  const VERSION = '0.1.0', AID = 'cxm_aid', UID = 'cxm_uid', CONSENT = 'cxm_consent';
  const YEAR = 31536000, MAX_QUEUE = 1000;
  const CLICK_IDS = ['gclid', 'gbraid', 'wbraid', 'dclid', 'msclkid', 'fbclid', 'ttclid', 'twclid', 'li_fat_id'];
  const script = d.currentScript;
  const pending = Array.isArray(w.cxm) ? w.cxm : [];
  let cfg = null, queue = [], timer = null, busy = false, failures = 0;
  let anonId = null, userId = null, consent = 'granted', lastPage = null, referrer = d.referrer;

  const warn = (...a) => { try { console.warn('cxm:', ...a); } catch (e) { /* no console */ } };
  const store = (k, v) => { try { v == null ? localStorage.removeItem(k) : localStorage.setItem(k, v); } catch (e) { /* blocked */ } };
  const load = (k) => { try { return localStorage.getItem(k); } catch (e) { return null; } };
  const readCookie = (k) => { const m = d.cookie.match(new RegExp('(?:^|; )' + k + '=([^;]*)')); return m ? decodeURIComponent(m[1]) : null; };
  const writeCookie = (k, v, age) => {
    d.cookie = k + '=' + encodeURIComponent(v) + '; Max-Age=' + age + '; Path=/; SameSite=Lax' +
      (cfg && cfg.cookieDomain ? '; Domain=' + cfg.cookieDomain : '') +
      (location.protocol === 'https:' ? '; Secure' : '');
  };

  function uuid() {
    const c = w.crypto;
    if (c && c.randomUUID) return c.randomUUID();  // secure contexts only
    const b = new Uint8Array(16);
    if (c && c.getRandomValues) c.getRandomValues(b);
    else for (let i = 0; i < 16; i++) b[i] = Math.random() * 256 | 0;
    b[6] = b[6] & 15 | 64; b[8] = b[8] & 63 | 128;
    const h = Array.from(b, (x) => (x + 256).toString(16).slice(1)).join('');
    return [h.slice(0, 8), h.slice(8, 12), h.slice(12, 16), h.slice(16, 20), h.slice(20)].join('-');
  }

  const allowed = () => consent === 'granted';

  // Only ever called once storing is allowed: that is the whole of consent mode.
  function persist() {
    if (!allowed()) return;
    writeCookie(AID, anonId, YEAR);
    store(AID, anonId);
    store(UID, userId);
  }

  function forget() {
    writeCookie(AID, '', 0);
    store(AID, null);
    store(UID, null);
  }

  function context() {
    const q = new URLSearchParams(location.search), campaign = {}, clickIds = {};
    [['source', 'utm_source'], ['medium', 'utm_medium'], ['name', 'utm_campaign'],
      ['term', 'utm_term'], ['content', 'utm_content']].forEach(([k, p]) => { if (q.get(p)) campaign[k] = q.get(p); });
    CLICK_IDS.forEach((k) => { if (q.get(k)) clickIds[k] = q.get(k); });
    const ctx = {
      channel: 'web',
      page: { url: location.href, path: location.pathname, search: location.search, referrer, title: d.title },
      userAgent: navigator.userAgent,
      locale: navigator.language,
      library: { name: 'cxm.js', version: VERSION },
      screen: { width: screen.width, height: screen.height },
    };
    try { ctx.timezone = Intl.DateTimeFormat().resolvedOptions().timeZone; } catch (e) { /* old browser */ }
    if (Object.keys(campaign).length) ctx.campaign = campaign;
    if (Object.keys(clickIds).length) ctx.clickIds = clickIds;
    return ctx;
  }

  function enqueue(type, fields) {
    if (!cfg) return warn('call cxm.init({writeKey}) first');
    if (consent === 'denied') return;
    const m = Object.assign({ type, messageId: uuid(), anonymousId: anonId, timestamp: new Date().toISOString(), context: context() }, fields);
    if (userId && !m.userId) m.userId = userId;
    queue.push(m);
    if (queue.length > MAX_QUEUE) queue.splice(0, queue.length - MAX_QUEUE);
    schedule();
  }

  function schedule(delay) {
    if (!allowed() || !queue.length) return;
    if (queue.length >= cfg.maxBatch && !busy) return flush();
    if (!timer) timer = setTimeout(flush, delay || cfg.flushInterval);
  }

  function flush(unloading) {
    clearTimeout(timer);
    timer = null;
    if (!cfg || !allowed() || !queue.length || (busy && !unloading)) return;
    const batch = queue.splice(0, cfg.maxBatch), sentAt = new Date().toISOString();
    batch.forEach((m) => { m.sentAt = sentAt; });
    // A string body goes as text/plain: no CORS preflight, and sendBeacon can carry it.
    const body = JSON.stringify({ batch, sentAt, writeKey: cfg.writeKey }), url = cfg.endpoint + '/v1/batch';
    if (unloading && navigator.sendBeacon && navigator.sendBeacon(url, body)) return flush(true);
    busy = true;
    fetch(url, { method: 'POST', body, keepalive: body.length < 60000, credentials: 'omit', headers: { 'Content-Type': 'text/plain' } })
      .then((r) => {
        if (r.status === 429 || r.status >= 500) throw new Error('HTTP ' + r.status);
        failures = 0;
        if (!r.ok) warn('batch refused', r.status);  // a 4xx will not improve on retry
        return r.ok && r.json();
      })
      .then((res) => { if (res && res.quarantined && res.quarantined.length) warn('messages quarantined', res.quarantined); })
      .catch(() => { queue = batch.concat(queue).slice(-MAX_QUEUE); failures++; })
      .then(() => { busy = false; schedule(failures ? Math.min(60000, cfg.flushInterval * 2 ** failures) : 0); });
  }

  function page(name, properties) {
    if (name && typeof name === 'object') { properties = name; name = undefined; }
    referrer = lastPage || d.referrer;  // in a single-page app, the previous page
    lastPage = location.href;
    enqueue('page', {
      name, properties: Object.assign({ url: location.href, path: location.pathname, search: location.search, title: d.title, referrer }, properties),
    });
  }

  function track(event, properties) {
    if (typeof event !== 'string' || !event) return warn('track(event): event must be a non-empty string');
    enqueue('track', { event, properties: properties || {} });
  }

  function identify(id, traits) {
    if (id && typeof id === 'object') { traits = id; id = null; }
    if (id != null && id !== '') { userId = String(id); persist(); }
    enqueue('identify', { userId: userId || undefined, traits: traits || {} });
  }

  function reset() {
    forget();
    userId = null;
    anonId = uuid();
    persist();
  }

  // The choice also goes to the server's consent ledger (purpose analytics) for a
  // visitor it knows; an unknown visitor's choice stays in this browser only.
  function tellServer(status) {
    if (!cfg || !cfg.writeKey) return;
    const body = JSON.stringify({ writeKey: cfg.writeKey, status, anonymousId: anonId, userId });
    const url = cfg.endpoint + '/v1/consent/tracker';
    if (navigator.sendBeacon && navigator.sendBeacon(url, body)) return;
    fetch(url, { method: 'POST', body, keepalive: true }).catch(() => {});
  }

  const consentApi = {
    grant() {
      consent = 'granted';
      store(CONSENT, 'granted');
      persist();
      tellServer('granted');
      flush();
    },
    deny() {
      tellServer('denied');  // before the ids below are forgotten
      consent = 'denied';
      queue = [];
      forget();
      userId = null;
      anonId = uuid();  // kept in memory only
      store(CONSENT, 'denied');  // remembered so the refusal holds on the next page
    },
    status: () => consent,
  };

  function init(options) {
    if (cfg) return warn('init() called twice; keeping the first configuration');
    const o = {};
    Object.keys(options || {}).forEach((k) => { if (options[k] != null) o[k] = options[k]; });
    const origin = script && script.src ? new URL(script.src, location.href).origin : location.origin;
    cfg = Object.assign({ endpoint: origin, flushInterval: 1000, maxBatch: 20, autoPage: true, cookieDomain: null }, o);
    // The server's consent policy cannot be switched off by a page.
    cfg.consentRequired = Boolean(SERVER.consentRequired || o.consentRequired);
    cfg.endpoint = String(cfg.endpoint).replace(/\/+$/, '');
    cfg.maxBatch = Math.max(1, Number(cfg.maxBatch) || 20);
    cfg.flushInterval = Math.max(50, Number(cfg.flushInterval) || 1000);
    if (!cfg.writeKey) warn('init(): writeKey is required');
    const remembered = load(CONSENT);
    consent = remembered === 'denied' ? 'denied' : (!cfg.consentRequired || remembered === 'granted') ? 'granted' : 'pending';
    anonId = readCookie(AID) || load(AID) || uuid();
    userId = load(UID);
    persist();
    w.addEventListener('pagehide', () => flush(true));
    d.addEventListener('visibilitychange', () => { if (d.visibilityState === 'hidden') flush(true); });
    if (cfg.autoPage) page();
  }

  // On-site surveys (docs/voc.md): a web/app survey invitation waiting for this visitor,
  // and posting its answers. Nothing is asked or sent without tracking consent.
  const surveys = {
    next: () => (!cfg || consent !== 'granted') ? Promise.resolve(null)
      : fetch(cfg.endpoint + '/s/widget?' + new URLSearchParams(Object.assign(
        { writeKey: cfg.writeKey, anonymousId: anonId }, userId ? { userId } : {})))
        .then((r) => (r.status === 200 ? r.json() : null)).catch(() => null),
    answer: (token, answers, complete) => (!cfg || consent !== 'granted') ? Promise.resolve(false)
      : fetch(cfg.endpoint + '/s/widget', { method: 'POST', body: JSON.stringify(
        { writeKey: cfg.writeKey, token, answers, complete: Boolean(complete) }) })
        .then((r) => r.ok).catch(() => false),
  };

  const api = {
    loaded: true, version: VERSION, init, page, track, identify, reset, consent: consentApi,
    flush: () => flush(), anonymousId: () => anonId, userId: () => userId, surveys,
  };
  w.cxm = api;

  const data = script ? script.dataset : {};
  if (data.writeKey) {
    init({
      writeKey: data.writeKey, endpoint: data.endpoint || undefined,
      consentRequired: data.consentRequired === 'true', autoPage: data.autoPage !== 'false',
      flushInterval: data.flushInterval, maxBatch: data.maxBatch, cookieDomain: data.cookieDomain,
    });
  }
  // Calls made before the script loaded: window.cxm = [['track', 'Viewed', {...}], ...]
  pending.forEach((call) => { if (Array.isArray(call) && typeof api[call[0]] === 'function') api[call[0]](...call.slice(1)); });
})(window, document);
