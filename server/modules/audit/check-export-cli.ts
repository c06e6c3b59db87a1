/**
 * `npm run audit:check-export -- <folder> [--tsa-trust file.pem]` (or `-- <manifest.json>
 * <events.jsonl>`): re-checks a per-case audit export offline, with no database and no network.
 * With --tsa-trust, the anchors' TSA must be a certificate in that PEM or issued by one.
 * Exit 0 when intact; exit 1 naming the first broken line otherwise; exit 2 when the files
 * cannot be read.
 */
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { TsaTrustList } from '../../documents/tsa-trust.ts';
import { describeTsaTrust, readTsaTrustFile } from '../../security/tsa-trust-file.ts';
import type { ExportManifest } from './audit-export-format.ts';
import { checkAuditExport } from './export-check.ts';

const args = process.argv.slice(2).filter((a) => a !== '--');
let trust: TsaTrustList | null = null;
const trustAt = args.indexOf('--tsa-trust');
if (trustAt >= 0) {
  const file = args[trustAt + 1];
  if (!file) {
    console.error('--tsa-trust needs a PEM file: the TSA certificate and/or the CA(s) issuing it');
    process.exit(2);
  }
  try {
    trust = readTsaTrustFile(file);
  } catch (error) {
    console.error((error as Error).message);
    process.exit(2);
  }
  args.splice(trustAt, 2);
}
let manifestFile: string;
let eventsFile: string;
if (args.length === 1 && statSync(args[0]!, { throwIfNoEntry: false })?.isDirectory()) {
  manifestFile = path.join(args[0]!, 'manifest.json');
  eventsFile = path.join(args[0]!, 'events.jsonl');
} else if (args.length === 2) {
  [manifestFile, eventsFile] = args as [string, string];
} else {
  console.error('usage: npm run audit:check-export -- <folder with manifest.json and events.jsonl> | <manifest.json> <events.jsonl> [--tsa-trust tsa-or-ca.pem]');
  process.exit(2);
}

// Shape-checked by checkAuditExport, which names a manifest that is not one.
let manifest: ExportManifest;
let events: string;
try {
  manifest = JSON.parse(readFileSync(manifestFile, 'utf8'));
  events = readFileSync(eventsFile, 'utf8');
} catch (error) {
  console.error(`cannot read the export: ${(error as Error).message}`);
  process.exit(2);
}

const result = checkAuditExport(events, manifest, trust);
if (result.firstBroken) {
  const b = result.firstBroken;
  const where = b.line > 0 ? `line ${b.line}${b.seq !== null ? ` (seq ${b.seq})` : ''}` : b.seq !== null ? `the anchor at seq ${b.seq}` : 'the manifest';
  console.error(`audit export BROKEN at ${where}: ${b.problem}: ${b.detail}`);
  process.exitCode = 1;
} else {
  console.log(`audit export intact: ${result.rows} rows, ${result.caseEvents} events of case ${manifest.caseNumber} (${manifest.caseId})`);
  if (result.anchoredUntil) {
    console.log(`timestamped: events up to seq ${result.anchoredUntil.seq} existed by ${result.anchoredUntil.tsaTime} (TSA: ${result.anchoredUntil.tsa.replace(/\n/g, ', ')})`);
    console.log(
      trust
        ? `TSA trusted: issued by the trust list (${describeTsaTrust(trust)})`
        : 'TSA NOT checked against a trust list (pass --tsa-trust <pem>): any certificate that signed the tokens was believed',
    );
  } else console.log('not timestamped: no TSA anchor covers this export');
}
