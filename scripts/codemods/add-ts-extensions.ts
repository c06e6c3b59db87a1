/**
 * Gives every relative import and export specifier the file it names, so Node's own type stripping
 * can run the code (`node server/main.ts`): `./app` → `./app.ts`, `./schema` → `./schema/index.ts`,
 * `./room-session.svelte` → `./room-session.svelte.ts`. Covers static imports and re-exports,
 * `import('…')` and `typeof import('…')`, in .ts files and the <script> blocks of .svelte files.
 *
 *   node scripts/codemods/add-ts-extensions.ts           rewrite in place
 *   node scripts/codemods/add-ts-extensions.ts --check   only list what lacks its extension
 *
 * Exit code 1 when --check finds a specifier to rewrite, or when a specifier resolves to no file
 * (those are listed and never touched). Itself free of relative imports, so it runs on plain Node
 * before the tree is converted.
 */
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

const roots = ['server', 'shared', 'tests', 'bench', 'client', 'scripts'];
const skipDirs = new Set(['node_modules', 'dist', 'test-results']);
const scriptBlock = /(<script\b[^>]*>)([\s\S]*?)<\/script>/g;

interface Finding {
  file: string;
  line: number;
  specifier: string;
  /** The specifier with its file; null when nothing on disk matches. */
  fixed: string | null;
}

function* sourceFiles(dir: string): Generator<string> {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (skipDirs.has(entry.name)) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* sourceFiles(full);
    else if (/\.(m?ts|svelte)$/.test(entry.name) && !entry.name.endsWith('.d.ts')) yield full;
  }
}

const isFile = (p: string) => fs.statSync(p, { throwIfNoEntry: false })?.isFile() ?? false;

/** The specifier naming its file, the same one if it already does, or null if none exists. */
function withExtension(fromFile: string, specifier: string): string | null {
  const target = path.resolve(path.dirname(fromFile), specifier);
  // `./Foo.svelte`, `./data.json`, `./x.ts`: already a file. (`./x.svelte` is also tried as `x.svelte.ts`.)
  if (isFile(target) && path.extname(target) !== '') return specifier;
  for (const ext of ['.ts', '.mts', '.js', '.mjs']) if (isFile(target + ext)) return specifier + ext;
  for (const index of ['index.ts', 'index.js']) if (isFile(path.join(target, index))) return `${specifier.replace(/\/$/, '')}/${index}`;
  return null;
}

/** Relative specifiers of one TypeScript text: its string literal nodes. */
function specifiersOf(code: string, fileName: string): ts.StringLiteral[] {
  const source = ts.createSourceFile(fileName, code, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const found: ts.StringLiteral[] = [];
  const take = (node: ts.Node | undefined) => {
    if (node && ts.isStringLiteral(node) && /^\.\.?(\/|$)/.test(node.text)) found.push(node);
  };
  const visit = (node: ts.Node) => {
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) take(node.moduleSpecifier);
    else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) take(node.arguments[0]);
    else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) take(node.argument.literal);
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** Rewrites one TypeScript text; `lineOffset` places it inside its file for the report. */
function rewriteCode(code: string, file: string, lineOffset: number, findings: Finding[]): string {
  const edits: { start: number; end: number; text: string }[] = [];
  for (const literal of specifiersOf(code, file)) {
    const fixed = withExtension(file, literal.text);
    if (fixed === literal.text) continue;
    const start = literal.getStart();
    const line = lineOffset + code.slice(0, start).split('\n').length;
    findings.push({ file, line, specifier: literal.text, fixed });
    if (fixed) edits.push({ start: start + 1, end: literal.end - 1, text: fixed });
  }
  let out = code;
  for (const e of edits.sort((a, b) => b.start - a.start)) out = out.slice(0, e.start) + e.text + out.slice(e.end);
  return out;
}

function rewriteFile(file: string, findings: Finding[]): string {
  const text = fs.readFileSync(file, 'utf8');
  if (!file.endsWith('.svelte')) return rewriteCode(text, file, 0, findings);
  return text.replace(scriptBlock, (_block, open: string, body: string, at: number) => {
    const lineOffset = text.slice(0, at + open.length).split('\n').length - 1;
    return `${open}${rewriteCode(body, file, lineOffset, findings)}</script>`;
  });
}

const check = process.argv.includes('--check');
const repo = process.cwd();
const findings: Finding[] = [];
let changedFiles = 0;
for (const root of roots) {
  if (!fs.existsSync(root)) continue;
  for (const file of sourceFiles(root)) {
    const before = fs.readFileSync(file, 'utf8');
    const after = rewriteFile(file, findings);
    if (after === before) continue;
    changedFiles += 1;
    if (!check) fs.writeFileSync(file, after);
  }
}

const unresolved = findings.filter((f) => f.fixed === null);
const fixable = findings.filter((f) => f.fixed !== null);
const where = (f: Finding) => `${path.relative(repo, f.file)}:${f.line}`;
for (const f of unresolved) console.error(`unresolved: ${where(f)}: '${f.specifier}' names no file`);
if (check) {
  for (const f of fixable) console.error(`missing extension: ${where(f)}: '${f.specifier}' → '${f.fixed}'`);
  console.log(fixable.length ? `${fixable.length} relative import(s) in ${changedFiles} file(s) lack their extension; run: node scripts/codemods/add-ts-extensions.ts` : 'every relative import names its file');
  // exitCode, not exit(): a long report to a pipe is written out before the process ends.
  process.exitCode = fixable.length || unresolved.length ? 1 : 0;
} else {
  console.log(`rewrote ${fixable.length} relative import(s) in ${changedFiles} file(s)${unresolved.length ? `; ${unresolved.length} unresolved (listed above, left as they were)` : ''}`);
  process.exitCode = unresolved.length ? 1 : 0;
}
