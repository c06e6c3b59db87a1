/**
 * `npm run audit:verify`: walks the audit hash chain of the configured database, then checks the
 * RFC 3161 anchors of its head (a cut or rewritten tail below an anchor shows there).
 */
import { loadConfig } from '../../config.ts';
import { openDatabase } from '../../db/client.ts';
import { describeTsaTrust, readTsaTrustFile } from '../../security/tsa-trust-file.ts';
import { verifyAnchors } from './anchoring.ts';
import { verifyChain } from './audit.repository.ts';

const config = loadConfig();
const trust = config.tsaTrustFile ? readTsaTrustFile(config.tsaTrustFile) : null;
const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, max: 1 });
try {
  const result = await verifyChain(database.db);
  const anchors = await verifyAnchors(database.db, trust);
  if (result.firstBroken) {
    const b = result.firstBroken;
    console.error(`audit chain BROKEN at seq ${b.seq} (event ${b.eventId}): ${b.reason}; ${result.checked} events before it are intact`);
    process.exitCode = 1;
  } else {
    console.log(`audit chain intact: ${result.checked} events verified`);
  }
  if (anchors.firstBroken) {
    const why =
      anchors.firstBroken.reason === 'anchor_tsa_untrusted'
        ? 'its timestamp is not from a TSA in HAIQIAO_TSA_TRUST_FILE: whoever rewrote the chain may have stamped it'
        : 'the chain was cut or rewritten after the TSA timestamped it';
    console.error(`audit anchor BROKEN at seq ${anchors.firstBroken.seq}: ${anchors.firstBroken.reason} (${why})`);
    process.exitCode = 1;
  } else if (anchors.latest) {
    console.log(`audit anchors intact: ${anchors.checked} timestamps; events up to seq ${anchors.latest.seq} existed by ${anchors.latest.tsaTime} (TSA: ${anchors.tsaSubjects.join('; ')})`);
  } else {
    console.log('audit anchors: none (no TSA configured, or none taken yet)');
  }
  if (anchors.latest && !anchors.firstBroken) {
    console.log(trust ? `TSA checked against the trust list: ${describeTsaTrust(trust)}` : 'TSA NOT checked against a trust list (set HAIQIAO_TSA_TRUST_FILE): any certificate that signed a token was believed');
  }
} finally {
  await database.close();
}
