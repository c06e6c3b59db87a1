/**
 * Dates and times are entered and shown in Beijing time (UTC+8, no daylight saving) whatever
 * the device's zone: the parties, the centre and the courts all keep China time, and deadlines
 * are computed in it.
 */
export const timeZone = 'Asia/Shanghai';
const offsetMs = 8 * 60 * 60 * 1000;

/** ISO instant → value for <input type="datetime-local">, in Beijing time: "2026-05-01T09:30". */
export function isoToLocalInput(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  return new Date(date.getTime() + offsetMs).toISOString().slice(0, 16);
}

/** Value of <input type="datetime-local"> read as Beijing time → ISO with offset, or null. */
export function localInputToIso(value: string): string | null {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/.test(value)) return null;
  const withSeconds = value.length === 16 ? `${value}:00` : value;
  const iso = `${withSeconds}+08:00`;
  return Number.isNaN(new Date(iso).getTime()) ? null : iso;
}

/** Day number (days since epoch) of an instant in Beijing time, for "today/tomorrow". */
export function beijingDayNumber(date: Date): number {
  return Math.floor((date.getTime() + offsetMs) / 86_400_000);
}
