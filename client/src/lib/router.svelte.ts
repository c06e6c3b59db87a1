/** A tiny history router: the path is a $state, links are plain <a href> caught in main.ts. */
import { matchRoute } from './routes.ts';


class Router {
  path = $state(location.pathname);
  search = $state(location.search);
  route = $derived(matchRoute(this.path));

  constructor() {
    addEventListener('popstate', () => this.sync());
  }

  private sync(): void {
    this.path = location.pathname;
    this.search = location.search;
  }

  navigate(to: string, options: { replace?: boolean } = {}): void {
    const samePath = new URL(to, location.href).pathname === location.pathname;
    if (options.replace) history.replaceState(null, '', to);
    else history.pushState(null, '', to);
    this.sync();
    if (!samePath) scrollTo(0, 0);
  }

  /** Updates the query string in place (filters, paging) without a new history entry. */
  replaceQuery(params: Record<string, string | number | undefined>): void {
    const search = new URLSearchParams();
    for (const [key, value] of Object.entries(params)) {
      if (value !== undefined && value !== '') search.set(key, String(value));
    }
    const query = search.toString();
    this.navigate(query ? `${location.pathname}?${query}` : location.pathname, { replace: true });
  }

  /** Lets ordinary links navigate without a page load; leaves new-tab, download and foreign links alone. */
  interceptLinks(root: HTMLElement | Document = document): void {
    root.addEventListener('click', (event) => {
      const mouse = event as MouseEvent;
      if (mouse.defaultPrevented || mouse.button !== 0 || mouse.metaKey || mouse.ctrlKey || mouse.shiftKey || mouse.altKey) return;
      const anchor = (mouse.target as Element | null)?.closest?.('a');
      if (!anchor || anchor.target || anchor.hasAttribute('download') || anchor.dataset.external !== undefined) return;
      const url = new URL(anchor.href, location.href);
      if (url.origin !== location.origin || url.pathname.startsWith('/api/') || url.pathname.startsWith('/docs')) return;
      mouse.preventDefault();
      this.navigate(url.pathname + url.search + url.hash);
    });
  }
}

export const router = new Router();
