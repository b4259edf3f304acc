// Durations as people read them ("45 s", "3 min 05 s", "2 h 07 min"); the same units in English
// and French, so both the window and the tray use this one function.
export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(total / 3600);
  const min = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const pad = (n: number) => String(n).padStart(2, '0');
  if (h > 0) return `${h} h ${pad(min)} min`;
  if (min > 0) return `${min} min ${pad(s)} s`;
  return `${s} s`;
}

/** Whole minutes only, for places that are not redrawn every second (the tray menu). */
export function formatMinutes(ms: number): string {
  const minutes = Math.max(0, Math.floor(ms / 60_000));
  const h = Math.floor(minutes / 60);
  const min = minutes % 60;
  if (h > 0) return `${h} h ${String(min).padStart(2, '0')} min`;
  return `${min} min`;
}
