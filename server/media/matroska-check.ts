// Whether a Matroska file ffmpeg wrote is complete. ffmpeg writes the Segment element's size when
// it closes the file (its trailer); a segment cut short by a full disk is left with no bytes, an
// unknown size or a size past the end of the file, yet ffmpeg's segment muxer still lists it as
// finished. Bytes only: no ffmpeg, no database.
import { open } from 'node:fs/promises';

const ebmlId = 0x1a45dfa3;
const segmentId = 0x18538067;

/** An EBML variable-length integer at `at`: its value (null: all ones, "unknown") and length. */
function vint(bytes: Buffer, at: number): { value: number | null; length: number } | undefined {
  const first = bytes[at];
  if (first === undefined || first === 0) return undefined;
  const length = Math.clz32(first) - 23;
  if (at + length > bytes.length) return undefined;
  let value = first & (0xff >> length);
  let allOnes = value === 0xff >> length;
  for (let i = 1; i < length; i++) {
    value = value * 256 + bytes[at + i]!;
    allOnes &&= bytes[at + i] === 0xff;
  }
  return { value: allOnes ? null : value, length };
}

export async function isCompleteMatroska(file: string): Promise<boolean> {
  const handle = await open(file, 'r');
  try {
    const { size } = await handle.stat();
    const head = Buffer.alloc(Math.min(size, 512));
    await handle.read(head, 0, head.length, 0);
    if (head.length < 12 || head.readUInt32BE(0) !== ebmlId) return false;
    const headerSize = vint(head, 4);
    if (!headerSize?.value) return false;
    const segmentAt = 4 + headerSize.length + headerSize.value;
    if (segmentAt + 5 > head.length || head.readUInt32BE(segmentAt) !== segmentId) return false;
    const segmentSize = vint(head, segmentAt + 4);
    if (!segmentSize || segmentSize.value === null) return false;
    return segmentAt + 4 + segmentSize.length + segmentSize.value === size;
  } finally {
    await handle.close();
  }
}
