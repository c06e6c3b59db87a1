/**
 * The handwritten signature as strokes of points (CSS pixels of the pad), the guard that refuses
 * an empty or accidental pad, and the PNG export the server expects (base64, no data: prefix).
 * Pure apart from `renderStrokes`, which draws on any 2D canvas context.
 */
import { signaturePngSchema } from '../../../shared/api/agreements.ts';

export interface Point {
  x: number;
  y: number;
}
export type Stroke = Point[];

export interface Ink {
  /** Total length of all strokes, in pad pixels. */
  length: number;
  points: number;
  strokes: number;
  /** Bounding box of the ink. */
  width: number;
  height: number;
  minX: number;
  minY: number;
}

export function inkOf(strokes: readonly Stroke[]): Ink {
  let length = 0;
  let points = 0;
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  for (const stroke of strokes) {
    for (let i = 0; i < stroke.length; i += 1) {
      const p = stroke[i]!;
      points += 1;
      minX = Math.min(minX, p.x);
      minY = Math.min(minY, p.y);
      maxX = Math.max(maxX, p.x);
      maxY = Math.max(maxY, p.y);
      if (i > 0) length += Math.hypot(p.x - stroke[i - 1]!.x, p.y - stroke[i - 1]!.y);
    }
  }
  const drawn = points > 0;
  return {
    length,
    points,
    strokes: strokes.filter((s) => s.length > 0).length,
    width: drawn ? maxX - minX : 0,
    height: drawn ? maxY - minY : 0,
    minX: drawn ? minX : 0,
    minY: drawn ? minY : 0,
  };
}

/** Below these, the pad holds a tap or a slip of the finger, not a signature. */
export const minimumInk = { length: 60, extent: 24 };

export type SignatureProblem = 'empty' | 'too_small';

/** Why these strokes cannot be sent as a signature, or null when they can. */
export function signatureProblem(strokes: readonly Stroke[]): SignatureProblem | null {
  const ink = inkOf(strokes);
  if (ink.points < 2 || ink.length === 0) return 'empty';
  if (ink.length < minimumInk.length || Math.max(ink.width, ink.height) < minimumInk.extent) return 'too_small';
  return null;
}

/** `data:image/png;base64,AAAA` → `AAAA`, checked against the schema the server uses; null otherwise. */
export function pngBase64FromDataUrl(dataUrl: string): string | null {
  const match = /^data:image\/png;base64,([A-Za-z0-9+/]+={0,2})$/.exec(dataUrl);
  if (!match) return null;
  return signaturePngSchema.safeParse(match[1]).success ? match[1]! : null;
}

/** Pen width grows a little with the pad, so a phone signature is not hairline thin. */
export const penWidth = (padWidth: number) => Math.max(2.5, Math.min(5, padWidth / 120));

/** Draws strokes (dark blue ink, round joins) with an offset and scale: the pad and the export share it. */
export function renderStrokes(ctx: CanvasRenderingContext2D, strokes: readonly Stroke[], options: { scale: number; offsetX?: number; offsetY?: number; width: number }): void {
  const { scale, offsetX = 0, offsetY = 0 } = options;
  ctx.lineCap = 'round';
  ctx.lineJoin = 'round';
  ctx.strokeStyle = '#0b1f4d';
  ctx.fillStyle = '#0b1f4d';
  ctx.lineWidth = options.width * scale;
  for (const stroke of strokes) {
    const first = stroke[0];
    if (!first) continue;
    const x = (p: Point) => (p.x - offsetX) * scale;
    const y = (p: Point) => (p.y - offsetY) * scale;
    if (stroke.length === 1) {
      ctx.beginPath();
      ctx.arc(x(first), y(first), (options.width * scale) / 2, 0, Math.PI * 2);
      ctx.fill();
      continue;
    }
    ctx.beginPath();
    ctx.moveTo(x(first), y(first));
    // Quadratic curves through the midpoints: smooth ink from a coarse touch sampling.
    for (let i = 1; i < stroke.length - 1; i += 1) {
      const p = stroke[i]!;
      const next = stroke[i + 1]!;
      ctx.quadraticCurveTo(x(p), y(p), (x(p) + x(next)) / 2, (y(p) + y(next)) / 2);
    }
    const last = stroke[stroke.length - 1]!;
    ctx.lineTo(x(last), y(last));
    ctx.stroke();
  }
}

/** Size of the exported image: the ink's box plus a margin, at most 900×300 pixels. */
export function exportBox(ink: Ink, pen: number): { x: number; y: number; width: number; height: number; scale: number } {
  const margin = pen * 2 + 4;
  const width = ink.width + margin * 2;
  const height = ink.height + margin * 2;
  const scale = Math.min(2, 900 / width, 300 / height);
  return { x: ink.minX - margin, y: ink.minY - margin, width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)), scale };
}
