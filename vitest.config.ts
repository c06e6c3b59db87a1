import { defineConfig } from 'vitest/config';

// Separate from vite.config.ts (whose root is client/): tests run from the repository root.
// Vitest's default is one worker less than the machine's cores, so a 2-core machine ran one file
// at a time although most of a server test's time is spent waiting on PostgreSQL, timers, ffmpeg
// or a media worker. Three groups, one after the other: the server, client and shared tests side
// by side; the browser tests of the desks, which start no media worker and measure no timing, two
// at a time as well; then the browser tests with media, which each drive several Chromiums and
// measure media timing, one at a time (HAIQIAO_TEST_WORKERS / HAIQIAO_E2E_WORKERS override the
// counts). A new browser test goes to the last group unless it is added to `deskTests`.
const workers = (name: string, fallback: number) => Number(process.env[name] ?? fallback) || fallback;

/** Browser tests whose server has no media worker and which time nothing but their own waits. */
const deskTests = [
  'agreement-drafting',
  'case-transfer',
  'compensation-calculator',
  'court-desk',
  'court-visibility',
  'dashboard',
  'signing',
  'spoken-consent',
  'staff-desk',
  'verify-trusted-time',
].map((name) => `tests/e2e/${name}.test.ts`);

export default defineConfig({
  test: {
    root: '.',
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    projects: [
      {
        extends: true,
        test: { name: 'server', include: ['tests/{server,client,shared}/**/*.test.ts'], maxWorkers: workers('HAIQIAO_TEST_WORKERS', 2), sequence: { groupOrder: 0 } },
      },
      {
        extends: true,
        test: { name: 'browser-desk', include: deskTests, maxWorkers: workers('HAIQIAO_TEST_WORKERS', 2), sequence: { groupOrder: 1 } },
      },
      {
        extends: true,
        test: { name: 'browser', include: ['tests/e2e/**/*.test.ts'], exclude: deskTests, maxWorkers: workers('HAIQIAO_E2E_WORKERS', 1), sequence: { groupOrder: 2 } },
      },
    ],
  },
});
