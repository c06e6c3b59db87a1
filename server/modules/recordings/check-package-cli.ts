// npm run recording:check-package -- package.tar   (exit 0: every segment matches; 1: a problem)
import { checkRecordingPackage } from './check-package.ts';

const file = process.argv[2];
if (!file) {
  console.error('usage: npm run recording:check-package -- <package.tar>');
  process.exit(2);
}
const result = await checkRecordingPackage(file);
for (const problem of result.problems) console.error(`FAIL ${problem}`);
console.log(result.ok ? `OK: ${result.files} segments match SHA256SUMS and manifest.json` : `FAILED: ${result.problems.length} problem(s)`);
process.exit(result.ok ? 0 : 1);
