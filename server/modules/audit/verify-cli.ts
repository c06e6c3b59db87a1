/** `npm run audit:verify`: walks the audit hash chain of the configured database. */
import { loadConfig } from '../../config';
import { openDatabase } from '../../db/client';
import { verifyChain } from './audit.repository';

const config = loadConfig();
const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, max: 1 });
try {
  const result = await verifyChain(database.db);
  if (result.firstBroken) {
    const b = result.firstBroken;
    console.error(`audit chain BROKEN at seq ${b.seq} (event ${b.eventId}): ${b.reason}; ${result.checked} events before it are intact`);
    process.exitCode = 1;
  } else {
    console.log(`audit chain intact: ${result.checked} events verified`);
  }
} finally {
  await database.close();
}
