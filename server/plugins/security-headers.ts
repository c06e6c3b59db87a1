import helmet from '@fastify/helmet';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

/** Where the built client's scripts, styles, images and sockets may come from. */
export const contentSecurityPolicy = {
  defaultSrc: ["'self'"],
  // The client is built into files: no inline or evaluated script anywhere.
  scriptSrc: ["'self'"],
  scriptSrcAttr: ["'none'"],
  // Svelte writes style attributes; styles cannot run code.
  styleSrc: ["'self'", "'unsafe-inline'"],
  // QR codes are data: URLs; camera previews and PDFs being signed are blob: URLs.
  imgSrc: ["'self'", 'data:', 'blob:'],
  mediaSrc: ["'self'", 'blob:'],
  fontSrc: ["'self'", 'data:'],
  // The API and socket.io on the same origin ('self' covers ws:/wss: to it).
  connectSrc: ["'self'"],
  workerSrc: ["'self'", 'blob:'],
  frameSrc: ["'self'", 'blob:'],
  objectSrc: ["'none'"],
  baseUri: ["'none'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
};

/**
 * Security headers on every answer (@fastify/helmet): the strict CSP above for HTML pages, no
 * framing, no sniffing, no referrer; HSTS only when the service is reached over https, because a
 * browser that saw HSTS on plain http would refuse the service afterwards.
 */
export const securityHeadersPlugin = fp(async (app: FastifyInstance, opts: { publicUrl: string | undefined }) => {
  const https = opts.publicUrl?.startsWith('https://') ?? false;
  await app.register(helmet, {
    global: true,
    contentSecurityPolicy: { useDefaults: false, directives: contentSecurityPolicy },
    strictTransportSecurity: https ? { maxAge: 180 * 24 * 3600, includeSubDomains: false } : false,
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
    // Media and evidence are same-origin; embedding others' resources is not needed.
    crossOriginEmbedderPolicy: false,
    crossOriginResourcePolicy: { policy: 'same-origin' },
  });
});
