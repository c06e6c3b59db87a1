/**
 * Splits an agreement's rendered text into the clauses a person reads one at a time on a phone.
 * The server renders "一、纠纷事实" style section headings, each followed by its paragraphs, after
 * a preamble (title, case number, parties, vessels). Other texts fall back to blank-line blocks,
 * then to single lines. Pure, so the reading order is tested without a browser.
 */
export interface Clause {
  /** "一、纠纷事实", or null for the preamble and untitled blocks. */
  heading: string | null;
  paragraphs: string[];
}

/** 一、 … 十五、, 第一条 / 第12条, 1. / 1、 at the start of a line. */
const headingPattern = /^(?:[一二三四五六七八九十百]+、|第[一二三四五六七八九十百零〇\d]+条|\d{1,3}[.、．](?!\d))/;

export function isHeading(line: string): boolean {
  return headingPattern.test(line.trim());
}

/** Lines of the text, trimmed; `\r\n` and lone `\r` become `\n`. */
function linesOf(text: string): string[] {
  return text.replace(/\r\n?/g, '\n').split('\n').map((line) => line.trim());
}

function byHeadings(lines: string[]): Clause[] {
  const clauses: Clause[] = [];
  let current: Clause | null = null;
  for (const line of lines) {
    if (!line) continue;
    if (isHeading(line)) {
      current = { heading: line, paragraphs: [] };
      clauses.push(current);
    } else {
      if (!current) {
        current = { heading: null, paragraphs: [] };
        clauses.push(current);
      }
      current.paragraphs.push(line);
    }
  }
  return clauses;
}

function byBlankLines(lines: string[]): Clause[] {
  const clauses: Clause[] = [];
  let paragraphs: string[] = [];
  for (const line of [...lines, '']) {
    if (line) paragraphs.push(line);
    else if (paragraphs.length) {
      clauses.push({ heading: null, paragraphs });
      paragraphs = [];
    }
  }
  return clauses;
}

export function splitClauses(text: string): Clause[] {
  const lines = linesOf(text);
  if (lines.some(isHeading)) return byHeadings(lines);
  const blocks = byBlankLines(lines);
  if (blocks.length > 1) return blocks;
  // One block of lines: each line is a clause (a plain list of paragraphs).
  return lines.filter(Boolean).map((line) => ({ heading: null, paragraphs: [line] }));
}

/** What is read aloud for a clause: its heading, then each paragraph, with pauses between. */
export function speechTextOf(clause: Clause): string {
  return [clause.heading, ...clause.paragraphs].filter(Boolean).join('。\n').replace(/。。/g, '。');
}
