import { readFileSync } from 'node:fs';
import fontkit from '@pdf-lib/fontkit';
import { beforeAll, describe, expect, it } from 'vitest';
import { FONT_CANDIDATES, loadCjkFonts, locateFont, MissingFontError, padTrueTypeGlyphs, type CjkFonts } from '../../../server/documents/fonts.ts';
import { renderComposedPdf } from '../../../server/documents/pdf-render.ts';
import { breakLines, Composer, TextMeasurer } from '../../../server/documents/text-layout.ts';
import { darkPixels, pdffonts, pdftotext, renderGray } from './poppler.ts';

let fonts: CjkFonts;
let m: TextMeasurer;
beforeAll(async () => {
  fonts = await loadCjkFonts();
  m = new TextMeasurer(fonts);
});

/** Characters outside GB2312 that the Song face lacks (rare name characters). */
const RARE = '堃喆昇璟玥琇珺瑄赟垚犇骉燚淏';

describe('CJK fonts', () => {
  it('finds the Song body font and the fallback at their Debian paths', () => {
    expect(fonts.body.path).toBe('/usr/share/fonts/truetype/arphic-gbsn00lp/gbsn00lp.ttf');
    expect(fonts.fallback.path).toMatch(/DroidSansFallbackFull\.ttf$/);
    expect(fonts.body.postscriptName).toBe('BousungEG-Light-GB');
  });

  it('names the Debian package when a font is missing', () => {
    expect(() => locateFont('body', undefined, [{ path: '/nonexistent/gbsn00lp.ttf', debianPackage: 'fonts-arphic-gbsn00lp' }])).toThrow(
      /apt-get install -y fonts-arphic-gbsn00lp/,
    );
    expect(() => locateFont('fallback', '/nonexistent.ttf')).toThrow(MissingFontError);
    expect(FONT_CANDIDATES.fallback.every((c) => c.debianPackage === 'fonts-droid-fallback')).toBe(true);
  });

  it('uses the fallback exactly for characters the Song face lacks', () => {
    for (const ch of RARE) {
      expect(fonts.body.has(ch.codePointAt(0)!), ch).toBe(false);
      expect(fonts.fallback.has(ch.codePointAt(0)!), ch).toBe(true);
    }
    const runs = m.runs('法定代表人林堃，陈阿海');
    expect(runs.map((r) => [r.role, r.text])).toEqual([
      ['body', '法定代表人林'],
      ['fallback', '堃'],
      ['body', '，陈阿海'],
    ]);
  });

  it('substitutes characters neither font has', () => {
    expect(m.clean('¥860,000.00 – 完')).toBe('￥860,000.00 - 完');
    expect(m.clean('a\tb\u0007c')).toBe('a bc');
  });

  it('pads odd-length TrueType glyphs without changing any outline', () => {
    const raw = new Uint8Array(readFileSync(fonts.fallback.path));
    const before = fontkit.create(raw);
    const after = fontkit.create(fonts.fallback.bytes);
    expect(after.numGlyphs).toBe(before.numGlyphs);
    for (const ch of `${RARE}福鼎远洋`) {
      const cp = ch.codePointAt(0)!;
      expect(after.glyphForCodePoint(cp).path.toSVG()).toBe(before.glyphForCodePoint(cp).path.toSVG());
    }
    // The Song face has no odd-length glyph: returned as is.
    const song = new Uint8Array(readFileSync(fonts.body.path));
    expect(padTrueTypeGlyphs(song)).toBe(song);
  });

  it('draws every fallback glyph visibly after subsetting (fontkit short-loca bug worked around)', async () => {
    const c = new Composer(m);
    const size = 28;
    const top = c.y;
    const chars = [...`${RARE}福鼎远洋运输`];
    // One line of fallback-only characters, one of mixed text: every cell must have ink.
    for (const [i, ch] of chars.entries()) {
      c.page.push({ kind: 'text', x: c.geometry.left + (i % 12) * size * 1.25, y: top - 40 - Math.floor(i / 12) * 50, size, text: ch });
    }
    const pdf = await renderComposedPdf(c.composed(), m, { metadata: { title: 't', author: 'a', subject: 's', date: new Date(0) }, running: {} });
    const { fonts: rows } = await pdffonts(pdf);
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((r) => r.embedded && r.subset)).toBe(true);
    expect((await pdftotext(pdf)).replace(/\s/g, '')).toContain(RARE);
    const dpi = 72;
    const img = await renderGray(pdf, 1, dpi);
    chars.forEach((ch, i) => {
      const x = Math.round(c.geometry.left + (i % 12) * size * 1.25);
      const baseline = Math.round(c.geometry.height - (top - 40 - Math.floor(i / 12) * 50));
      const ink = darkPixels(img, 160, { x, y: baseline - size, width: size, height: size + 4 });
      expect(ink, `glyph ${ch}`).toBeGreaterThan(25);
    });
  });
});

describe('page composition', () => {
  it('keeps every drawing inside the page margins, splitting tall table rows across pages', () => {
    const c = new Composer(m);
    const g = c.geometry;
    c.paragraph('标题', { size: 22, lineHeight: 34, align: 'center', bold: true });
    const long = Array.from({ length: 120 }, (_, i) => `第${i + 1}项：船舶碰撞损失清单，含网具、渔获及停产损失。`).join('\n');
    c.table(
      [
        { label: '短', value: '一行' },
        { label: '很长的一行', value: long },
        { label: '之后', value: '最后一行' },
      ],
      { size: 10.5, lineHeight: 16, labelWidth: 100 },
    );
    c.paragraph('双方本着平等自愿的原则达成如下协议。'.repeat(60), { size: 12, lineHeight: 22, indent: 2 });
    expect(c.pages.length).toBeGreaterThan(3);
    const eps = 0.01;
    for (const page of c.pages) {
      for (const op of page) {
        if (op.kind === 'text') {
          expect(op.x).toBeGreaterThanOrEqual(g.left - eps);
          expect(op.x + m.width(op.text, op.size)).toBeLessThanOrEqual(g.width - g.right + eps);
          expect(op.y).toBeGreaterThanOrEqual(g.bottom - eps);
          expect(op.y + op.size).toBeLessThanOrEqual(g.height - g.top + eps);
        } else if (op.kind === 'line') {
          expect(Math.min(op.y1, op.y2)).toBeGreaterThanOrEqual(g.bottom - eps);
          expect(Math.max(op.y1, op.y2)).toBeLessThanOrEqual(g.height - g.top + eps);
        }
      }
    }
    // Nothing lost: all 120 items are drawn, in order.
    const drawn = c.pages.flatMap((p) => p.filter((op) => op.kind === 'text').map((op) => (op.kind === 'text' ? op.text : ''))).join('');
    let at = 0;
    for (let i = 1; i <= 120; i++) {
      at = drawn.indexOf(`第${i}项`, at);
      expect(at, `item ${i}`).toBeGreaterThanOrEqual(0);
    }
  });
});

describe('line breaking', () => {
  const width = (text: string) => m.width(text, 12);

  it('breaks between CJK characters and fills lines', () => {
    const text = '双方本着平等自愿、互谅互让的原则达成如下协议并共同遵守';
    const lines = breakLines(text, 12 * 10, 12, m);
    expect(lines.join('')).toBe(text);
    for (const line of lines) expect(width(line)).toBeLessThanOrEqual(12 * 10 + 0.01);
    expect(lines[0]!.length).toBeGreaterThanOrEqual(9);
  });

  it('keeps Latin words together and breaks at spaces', () => {
    const text = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/128.0.0.0 Safari/537.36';
    const lines = breakLines(text, 160, 9, m);
    expect(lines.length).toBeGreaterThan(1);
    const words = text.split(' ');
    for (const line of lines) for (const word of line.split(' ')) expect(words).toContain(word);
    expect(lines.join(' ')).toBe(text);
  });

  it('splits a word only when it is wider than a line', () => {
    const hash = 'f405db5c8bcc5b7f4476d9de8de9372e5a3425c1f73272e2949a336a708355a3';
    const lines = breakLines(hash, 120, 9, m);
    expect(lines.length).toBeGreaterThan(1);
    expect(lines.join('')).toBe(hash);
    for (const line of lines) expect(m.width(line, 9)).toBeLessThanOrEqual(120.01);
  });

  it('does not start a line with closing punctuation', () => {
    // Ten characters per line; the 11th character is a comma.
    const text = '甲乙双方确认本协议内容，并自愿签署。丙方同意作为见证人参与本次调解，并签字确认。';
    for (const chars of [10, 8, 9, 11]) {
      const lines = breakLines(text, 12 * chars, 12, m);
      expect(lines.join('')).toBe(text);
      for (const line of lines.slice(1)) expect('，。；：、）」'.includes(line[0]!), `line "${line}" at ${chars}`).toBe(false);
    }
  });

  it('does not end a line with an opening bracket', () => {
    const text = '一二三四五六七八九（十）一二三四五六七八九十';
    const lines = breakLines(text, 12 * 10, 12, m);
    expect(lines[0]!.endsWith('（')).toBe(false);
    expect(lines.join('')).toBe(text);
  });

  it('indents the first line of a paragraph', () => {
    const text = '一二三四五六七八九十一二三四五六七八九十';
    const lines = breakLines(text, 120, 12, m, { firstLineWidth: 96 });
    expect(lines[0]).toBe('一二三四五六七八');
    expect(lines[1]).toBe('九十一二三四五六七八');
  });
});
