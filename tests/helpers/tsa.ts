// A real RFC 3161 time-stamping authority for tests: Debian's `openssl ts -reply` behind a small
// HTTP server on 127.0.0.1 (RFC 3161 §3.4: POST application/timestamp-query, answer
// application/timestamp-reply). A test CA and the TSA's key and certificate (issued by that CA)
// are made with openssl here; each call makes new keys, so a second TSA with the same names is
// a different TSA (what a forger would stand up), trusted by nobody who trusts the first.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface TestTsa {
  url: string;
  /** The TSA's own certificate (PEM), issued by the CA. */
  certFile: string;
  certPem: string;
  /** The CA that issued it (PEM): for `openssl ts -verify -CAfile` and as HAIQIAO_TSA_TRUST_FILE. */
  caFile: string;
  caPem: string;
  /** Requests answered so far. */
  served(): number;
  /** Makes the next requests fail with HTTP 503 (true) or answers again (false). */
  setDown(down: boolean): void;
  close(): Promise<void>;
}

export const TEST_TSA_SUBJECT = '/C=CN/O=Haiqiao Test TSA/CN=Haiqiao test time-stamping authority';
export const TEST_TSA_CA_SUBJECT = '/C=CN/O=Haiqiao Test TSA/CN=Haiqiao test TSA root CA';

export async function startTestTsa(): Promise<TestTsa> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'haiqiao-tsa-'));
  const file = (name: string) => path.join(dir, name);
  await writeFile(
    file('tsa.cnf'),
    [
      '[ req ]',
      'distinguished_name = dn',
      'prompt = no',
      '[ dn ]',
      '[ tsa_ext ]',
      'basicConstraints = critical, CA:false',
      'keyUsage = critical, digitalSignature, nonRepudiation',
      'extendedKeyUsage = critical, timeStamping',
      'subjectKeyIdentifier = hash',
      'authorityKeyIdentifier = keyid',
      '[ ca_ext ]',
      'basicConstraints = critical, CA:true',
      'keyUsage = critical, keyCertSign, cRLSign',
      'subjectKeyIdentifier = hash',
      '[ tsa ]',
      'default_tsa = tsa_config',
      '[ tsa_config ]',
      `dir = ${dir}`,
      'serial = $dir/serial',
      'crypto_device = builtin',
      'signer_cert = $dir/tsa.crt',
      'certs = $dir/tsa.crt',
      'signer_key = $dir/tsa.key',
      'signer_digest = sha256',
      'default_policy = 1.2.3.4.1',
      'other_policies = 1.2.3.4.5',
      'digests = sha256, sha384, sha512',
      'accuracy = secs:1',
      'clock_precision_digits = 0',
      'ordering = no',
      'tsa_name = yes',
      'ess_cert_id_chain = no',
      'ess_cert_id_alg = sha256',
      '',
    ].join('\n'),
  );
  await writeFile(file('serial'), '01\n');
  await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', file('ca.key'), '-out', file('ca.crt'), '-days', '3650', '-subj', TEST_TSA_CA_SUBJECT, '-config', file('tsa.cnf'), '-extensions', 'ca_ext']);
  await run('openssl', ['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', file('tsa.key'), '-out', file('tsa.csr'), '-subj', TEST_TSA_SUBJECT, '-config', file('tsa.cnf')]);
  const serial = `0x${randomBytes(8).toString('hex')}`;
  await run('openssl', ['x509', '-req', '-in', file('tsa.csr'), '-CA', file('ca.crt'), '-CAkey', file('ca.key'), '-set_serial', serial, '-days', '3650', '-extfile', file('tsa.cnf'), '-extensions', 'tsa_ext', '-out', file('tsa.crt')]);
  const certPem = await readFile(file('tsa.crt'), 'utf8');
  const caPem = await readFile(file('ca.crt'), 'utf8');

  let served = 0;
  let down = false;
  let counter = 0;
  // openssl ts keeps its serial in a file: one reply at a time.
  let queue: Promise<unknown> = Promise.resolve();
  const reply = (query: Buffer) => {
    const job = queue.then(async () => {
      const n = ++counter;
      const q = file(`q${n}.tsq`);
      const r = file(`r${n}.tsr`);
      await writeFile(q, query);
      await run('openssl', ['ts', '-reply', '-config', file('tsa.cnf'), '-section', 'tsa_config', '-queryfile', q, '-out', r]);
      return readFile(r);
    });
    queue = job.catch(() => {});
    return job;
  };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (down) return res.writeHead(503).end('down for the test');
      if (req.method !== 'POST' || req.headers['content-type'] !== 'application/timestamp-query') return res.writeHead(400).end('expected POST application/timestamp-query');
      reply(Buffer.concat(chunks)).then(
        (body) => {
          served++;
          res.writeHead(200, { 'Content-Type': 'application/timestamp-reply', 'Content-Length': body.length }).end(body);
        },
        (error: unknown) => res.writeHead(500).end(String(error)),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/tsa`,
    certFile: file('tsa.crt'),
    certPem,
    caFile: file('ca.crt'),
    caPem,
    served: () => served,
    setDown: (value) => {
      down = value;
    },
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}
