/**
 * Registers the join page's service worker (Workbox, built by vite-plugin-pwa as /sw.js): with it,
 * an invitation link opened once opens again with no link, for statements and photos. Scoped to
 * /j/ (the staff desk is never served from it). The dev server builds no worker: there the
 * registration fails (no script at /sw.js) and nothing changes.
 */
export function registerJoinServiceWorker(): void {
  if (!('serviceWorker' in navigator)) return;
  navigator.serviceWorker.register('/sw.js', { scope: '/j/' }).catch(() => {
    // no worker (dev server, private mode, an old browser): the page still works with a link
  });
}
