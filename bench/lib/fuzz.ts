/**
 * The project's fuzz engine: hostile payloads for every operation of the OpenAPI document and
 * every event of the realtime contract, from every kind of caller, seeded so a failure can be
 * replayed. Used by bench/fuzz.ts (10^5 payloads) and by a small slice in the test suite.
 *
 * Payloads are built to be refused: a candidate the request's own schema would accept is not
 * sent (ajv against the OpenAPI schema, zod for socket events), and requests naming real records
 * with a mutating method only carry bodies that fail before any handler (content type, syntax,
 * size). So every answer must be a 4xx or a coded ack, and the database must not change at all.
 */
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import fc from 'fast-check';
import type { LightMyRequestResponse } from 'fastify';
import type { App } from '../../server/app.ts';
import { errorEnvelopeSchema } from '../../shared/errors.ts';
import { clientEvents, type ClientEventName } from '../../shared/realtime.ts';

export interface FuzzCaller {
  name: string;
  headers: Record<string, string>;
}

interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  enum?: unknown[];
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
}

export interface FuzzOperation {
  method: string;
  path: string;
  params: string[];
  body: { contentType: string; schema: JsonSchema | undefined; required: boolean } | null;
  multipart: boolean;
}

export interface FuzzCase {
  operation: string;
  caller: string;
  payloadClass: string;
  method: string;
  url: string;
  headers: Record<string, string>;
  payload?: string | Buffer;
}

export interface FuzzFailure {
  case: FuzzCase;
  problem: string;
}

const mutating = new Set(['post', 'put', 'patch', 'delete']);
const multipartPaths = [/\/evidence$/, /\/appraisals$/];

/** Every operation of the app's OpenAPI document, with what its body must be. */
export function operationsOf(app: App): FuzzOperation[] {
  const doc = (app as unknown as { swagger(): { paths: Record<string, Record<string, { requestBody?: { required?: boolean; content: Record<string, { schema?: JsonSchema }> } }>> } }).swagger();
  const operations: FuzzOperation[] = [];
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const [contentType, media] = Object.entries(op.requestBody?.content ?? {})[0] ?? [];
      operations.push({
        method,
        path,
        params: [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!),
        body: contentType ? { contentType, schema: media?.schema, required: op.requestBody?.required ?? false } : null,
        multipart: method === 'post' && multipartPaths.some((re) => re.test(path)),
      });
    }
  }
  return operations;
}

const unicodeEdges = [
  '\u0000',
  'a\u0000b',
  '\ud800',
  '\udfff\ud800',
  '\u202e\u0645\u0631\u062d\u0628\u0627',
  '\u200b\u200c\u200d\ufeff',
  'e\u0301\u0301\u0301\u0301\u0301',
  '👨‍👩‍👧‍👦🏳️‍🌈',
  '\uffff\ufffe',
  '𝕳𝖆𝖎𝖖𝖎𝖆𝖔',
  '\r\n\t\v\f',
  "' or '1'='1",
  '<script>alert(1)</script>',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a template-injection probe, sent as literal text on purpose
  '${7*7}{{7*7}}',
  '../../../../etc/passwd',
  '%00%2e%2e%2f',
];
const hostileIds = ['not-an-id', '00000000-0000-0000-0000-000000000000', '99999999999999999999', '-1', '1e309', '..%2F..%2Fetc%2Fpasswd', '%00', 'x'.repeat(3000), '%E2%80%AE', 'null'];
const wrongContentTypes = ['text/plain', 'application/xml', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=zzz', 'application/json; charset=utf-16', 'image/png'];

function deepNesting(depth: number, kind: 'object' | 'array') {
  return kind === 'object' ? `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}` : '['.repeat(depth) + ']'.repeat(depth);
}

/** A value of another JSON type than the schema wants (or any value for an untyped schema). */
function wrongTypeFor(schema: JsonSchema | undefined, pick: <T>(xs: readonly T[]) => T): unknown {
  const types = new Set([schema?.type].flat().filter(Boolean) as string[]);
  const choices: unknown[] = [
    ...(types.has('string') ? [] : ['text', unicodeEdges[3]]),
    ...(types.has('number') || types.has('integer') ? [] : [42, -1, 2 ** 63]),
    ...(types.has('integer') ? [1.5, 2 ** 53 + 2, -(2 ** 31) - 1, 2_147_483_648, 1e308] : []),
    ...(types.has('boolean') ? [] : [true]),
    ...(types.has('object') ? [] : [{ $gt: '' }, JSON.parse('{"__proto__":{"admin":true}}')]),
    ...(types.has('array') ? [] : [[1, 2, 3]]),
    ...(types.has('null') ? [] : [null]),
  ];
  return pick(choices.length ? choices : [Symbol.for('unused')]);
}

const anythingArbitrary = fc.anything({ maxDepth: 3, maxKeys: 5, withObjectString: true, withNullPrototype: true, withBigInt: false });
const textArbitrary = fc.string({ unit: 'binary', maxLength: 40 });

/** A deterministic stream of choices from one seed (fast-check's generator, so runs replay). */
function chooser(seed: number) {
  const numbers = fc.sample(fc.integer({ min: 0, max: 2 ** 31 - 1 }), { seed, numRuns: 64 });
  let i = 0;
  // 64 draws, then walked with a stride so that long runs do not repeat in step.
  const next = () => {
    const n = numbers[i % numbers.length]! + Math.floor(i / numbers.length) * 7_919;
    i++;
    return n;
  };
  return {
    int: (n: number) => next() % Math.max(n, 1),
    pick<T>(xs: readonly T[]): T {
      return xs[next() % xs.length]!;
    },
    anything: (k: number) => fc.sample(anythingArbitrary, { seed: seed + k, numRuns: 1 })[0],
    text: (k: number) => fc.sample(textArbitrary, { seed: seed + k, numRuns: 1 })[0]!,
  };
}

export const httpPayloadClasses = [
  'wrong-types',
  'missing-fields',
  'extra-fields',
  'huge-strings',
  'unicode-edges',
  'prototype-keys',
  'deep-nesting',
  'truncated-json',
  'malformed-json',
  'wrong-content-type',
  'top-level-type',
  'hostile-ids',
  'hostile-query',
  'malformed-multipart',
] as const;
export type HttpPayloadClass = (typeof httpPayloadClasses)[number];

/** Classes refused before any handler runs, whatever the route: safe against real records. */
const refusedBeforeHandler = new Set<HttpPayloadClass>(['truncated-json', 'malformed-json', 'wrong-content-type', 'malformed-multipart']);

/**
 * Builds `count` cases for one operation and caller. `ids` maps path parameter names to real
 * records; mutating requests use them only with classes refused before any handler (or bodies the
 * operation's schema rejects), otherwise hostile or unknown ids.
 */
export function casesFor(op: FuzzOperation, caller: FuzzCaller, ids: Record<string, string>, seed: number, count: number, validate: (schema: JsonSchema, value: unknown) => boolean): FuzzCase[] {
  const r = chooser(seed);
  const cases: FuzzCase[] = [];
  const schema = op.body?.schema;
  const props = Object.entries(schema?.properties ?? {});
  const requiresSomething = (schema?.required?.length ?? 0) > 0;
  for (let k = 0; cases.length < count && k < count * 4; k++) {
    const payloadClass = r.pick(httpPayloadClasses);
    if (payloadClass === 'malformed-multipart' && !op.multipart) continue;
    const isMutating = mutating.has(op.method);
    // A bodiless change without ids (logout) would simply be carried out: only unparseable bodies.
    if (isMutating && op.params.length === 0 && op.body === null && !refusedBeforeHandler.has(payloadClass)) continue;
    // Real records only where the request cannot get past parsing.
    const schemaRefuses = op.body !== null && requiresSomething && !op.multipart;
    const realIds = !isMutating || refusedBeforeHandler.has(payloadClass) || (schemaRefuses && payloadClass !== 'hostile-ids' && payloadClass !== 'hostile-query');
    const url = urlFor(op, ids, realIds, payloadClass, r);
    const headers: Record<string, string> = { ...caller.headers };
    let payload: string | Buffer | undefined;
    let body: unknown;
    switch (payloadClass) {
      case 'wrong-types':
        body = Object.fromEntries(props.map(([name, s]) => [name, wrongTypeFor(s, r.pick)]));
        if (!props.length) body = r.anything(k);
        break;
      case 'missing-fields':
        body = Object.fromEntries(props.filter(() => r.int(3) === 0).map(([name, s]) => [name, wrongTypeFor(s, r.pick)]));
        break;
      case 'extra-fields':
        body = { ...Object.fromEntries(props.map(([name, s]) => [name, wrongTypeFor(s, r.pick)])), [r.text(k) || 'extra']: r.anything(k), constructor: { prototype: { polluted: true } } };
        break;
      case 'huge-strings':
        body = Object.fromEntries((props.length ? props : [['value', {}] as const]).map(([name]) => [name, 'x'.repeat(r.pick([10_000, 70_000, 300_000]))]));
        break;
      case 'unicode-edges':
        body = Object.fromEntries((props.length ? props : [['value', {}] as const]).map(([name]) => [name, r.pick(unicodeEdges) + r.text(k)]));
        break;
      case 'prototype-keys':
        payload = `{"__proto__":{"isAdmin":true,"role":"admin"},"constructor":{"prototype":{"polluted":1}},${props.map(([name]) => `"${name}":{"__proto__":{"x":1}}`).concat('"z":0').join(',')}}`;
        break;
      case 'deep-nesting':
        payload = deepNesting(r.pick([100, 2_000, 20_000]), r.pick(['object', 'array'] as const));
        break;
      case 'truncated-json': {
        const text = JSON.stringify(Object.fromEntries(props.map(([name]) => [name, r.text(k)])).valueOf() ?? {});
        payload = text.length > 1 ? text.slice(0, 1 + r.int(text.length - 1)) : '{';
        break;
      }
      case 'malformed-json':
        payload = r.pick(['{', '{"a":}', "{'a':1}", '{"a":1,}', 'NaN', '\u0000', '{"a":"\\u12"}', 'undefined', '[1,2', '\ufeff{"a":1']);
        break;
      case 'wrong-content-type':
        headers['content-type'] = r.pick(wrongContentTypes);
        payload = r.pick(['a=1&b=2', '<x>1</x>', '--zzz\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--zzz--', 'plain words', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2]).toString('latin1')]);
        break;
      case 'top-level-type':
        payload = r.pick(['[]', '1', '"s"', 'null', 'true', '[{}]', '-0', '1e999']);
        break;
      case 'hostile-ids':
      case 'hostile-query':
        if (op.body) body = Object.fromEntries(props.map(([name, s]) => [name, wrongTypeFor(s, r.pick)]));
        break;
      case 'malformed-multipart': {
        const boundary = 'B0undary';
        headers['content-type'] = r.pick(['multipart/form-data', `multipart/form-data; boundary=${boundary}`, 'multipart/form-data; boundary=', 'multipart/form-data; boundary=other']);
        const whole = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\nContent-Type: application/pdf\r\n\r\n%PDF-1.4 ${r.text(k)}\r\n--${boundary}--\r\n`;
        payload = whole.slice(0, r.int(whole.length - 10) + 1);
        break;
      }
    }
    if (body !== undefined) {
      // A body the operation's schema accepts might be carried out: not sent.
      if (schema && validate(schema, body)) continue;
      if (!schema && op.body === null && isMutating && realIds) continue;
      payload = JSON.stringify(body);
    }
    if (payload !== undefined && !headers['content-type']) headers['content-type'] = op.body?.contentType ?? 'application/json';
    if (op.method === 'get') {
      // GET bodies are not read; the query and ids carry the attack.
      payload = undefined;
      delete headers['content-type'];
    }
    cases.push({ operation: `${op.method.toUpperCase()} ${op.path}`, caller: caller.name, payloadClass, method: op.method.toUpperCase(), url, headers, ...(payload !== undefined ? { payload } : {}) });
  }
  return cases;
}

function urlFor(op: FuzzOperation, ids: Record<string, string>, realIds: boolean, payloadClass: HttpPayloadClass, r: ReturnType<typeof chooser>) {
  let path = op.path;
  for (const name of op.params) {
    const value = realIds && payloadClass !== 'hostile-ids' ? (ids[name] ?? '00000000-0000-4000-8000-000000000000') : r.pick([...hostileIds, '7c9e6679-7425-40de-944b-e07fc1f90ae7']);
    path = path.replace(`{${name}}`, name === 'page' && realIds ? '1' : encodeURIComponent(value).replaceAll('%25', '%'));
  }
  if (payloadClass === 'hostile-query') {
    const key = r.pick(['from', 'to', 'page', 'pageSize', 'q', 'status', 'exp', 'sig', '__proto__', 'constructor[prototype][x]']);
    const value = r.pick(['99999999999', '-1', '1.5', 'NaN', '1e309', '%00', 'x'.repeat(5000), '%E2%80%AE', '[]', '{"$gt":""}']);
    path += `?${key}=${value}&${key}=${value}&from=1&to=99999999999`;
  }
  return path;
}

/** Validates with ajv against the OpenAPI schema: a body it accepts may be carried out. */
export function schemaValidator() {
  const ajv = new Ajv({ strict: false, allErrors: false, validateFormats: true });
  addFormats(ajv);
  const compiled = new WeakMap<object, ReturnType<typeof ajv.compile>>();
  return (schema: JsonSchema, value: unknown) => {
    let check = compiled.get(schema);
    if (!check) {
      try {
        check = ajv.compile(schema);
      } catch {
        return true; // a schema ajv cannot compile: treat every body as possibly valid, send none
      }
      compiled.set(schema, check);
    }
    return check(JSON.parse(JSON.stringify(value))) === true;
  };
}

/** Sends one case; a failure is a 5xx, an error answer outside the envelope, or no answer in time. */
export async function sendCase(app: App, c: FuzzCase, timeoutMs: number): Promise<{ status: number; ms: number; problem: string | null }> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'hang'>((resolve) => {
    timer = setTimeout(() => resolve('hang'), timeoutMs);
  });
  const res = await Promise.race([app.inject({ method: c.method as 'GET', url: c.url, headers: c.headers, ...(c.payload !== undefined ? { payload: c.payload } : {}) }), timeout]).finally(() => clearTimeout(timer));
  const ms = performance.now() - started;
  if (res === 'hang') return { status: 0, ms, problem: `no answer within ${timeoutMs} ms` };
  return { status: res.statusCode, ms, problem: problemOf(c, res) };
}

function problemOf(c: FuzzCase, res: LightMyRequestResponse): string | null {
  if (res.statusCode >= 500) return `HTTP ${res.statusCode}: ${res.body.slice(0, 200)}`;
  // A read may succeed despite junk in the query; a change must not be carried out.
  if (res.statusCode < 400 && c.method !== 'GET') return `HTTP ${res.statusCode}: a hostile ${c.method} was accepted`;
  if (res.statusCode >= 400) {
    const parsed = (() => {
      try {
        return errorEnvelopeSchema.safeParse(res.json());
      } catch {
        return { success: false as const };
      }
    })();
    if (!parsed.success) return `HTTP ${res.statusCode} outside the error envelope: ${res.body.slice(0, 200)}`;
  }
  return null;
}

/** Hostile payloads for one socket event; those the event's own schema accepts are not kept. */
export function socketPayloadsFor(event: ClientEventName, seed: number, count: number): { payloadClass: string; payload: unknown }[] {
  const r = chooser(seed);
  const request = clientEvents[event].request;
  const out: { payloadClass: string; payload: unknown }[] = [];
  const classes = ['wrong-types', 'extra-fields', 'huge-strings', 'unicode-edges', 'prototype-keys', 'deep-nesting', 'top-level-type', 'binary', 'anything'] as const;
  for (let k = 0; out.length < count && k < count * 6; k++) {
    const payloadClass = r.pick(classes);
    let payload: unknown;
    switch (payloadClass) {
      case 'wrong-types':
        payload = Object.fromEntries(['sessionId', 'peerId', 'text', 'to', 'bytes', 'payload', 'page', 'evidenceId', 'transportId', 'kind', 'raised', 'sentAt', 'method', 'code'].map((key) => [key, wrongTypeFor(undefined, r.pick)]));
        break;
      case 'extra-fields':
        payload = { [r.text(k) || 'x']: r.anything(k), zzz: 1 };
        break;
      case 'huge-strings':
        payload = { text: 'x'.repeat(r.pick([3_000, 100_000])), sessionId: 'y'.repeat(5_000), peerId: 'z'.repeat(500) };
        break;
      case 'unicode-edges':
        payload = { text: r.pick(unicodeEdges), peerId: r.pick(unicodeEdges), sessionId: r.pick(unicodeEdges), code: r.pick(unicodeEdges) };
        break;
      case 'prototype-keys':
        payload = JSON.parse('{"__proto__":{"isHost":true},"constructor":{"prototype":{"isHost":true}},"text":{"__proto__":{}}}');
        break;
      case 'deep-nesting': {
        let nested: unknown = 1;
        for (let d = 0; d < r.pick([50, 500]); d++) nested = { a: nested };
        payload = nested;
        break;
      }
      case 'top-level-type':
        payload = r.pick([null, 1, 'text', true, [], [1, 2]]);
        break;
      case 'binary':
        payload = { payload: Buffer.alloc(r.pick([0, 10, 1_000_001])), bytes: Buffer.from('xx') };
        break;
      case 'anything':
        payload = r.anything(k);
        break;
    }
    if (request.safeParse(payload ?? {}).success) continue;
    out.push({ payloadClass, payload });
  }
  return out;
}
