import type { Rng } from '../random.ts';

/**
 * Burned-in annotation of projection radiographs: a lead side marker (L/R) and lines of text (date,
 * view, exposure index) written into the pixels at full brightness, as CR/DX consoles do. A 5×7
 * dot-matrix font of the few characters those lines use; each dot is a square of `dot` pixels.
 */
const FONT: Record<string, readonly number[]> = {
  '0': [14, 17, 19, 21, 25, 17, 14], '1': [4, 12, 4, 4, 4, 4, 14], '2': [14, 17, 1, 2, 4, 8, 31], '3': [30, 1, 1, 14, 1, 1, 30],
  '4': [2, 6, 10, 18, 31, 2, 2], '5': [31, 16, 30, 1, 1, 17, 14], '6': [6, 8, 16, 30, 17, 17, 14], '7': [31, 1, 2, 4, 8, 8, 8],
  '8': [14, 17, 17, 14, 17, 17, 14], '9': [14, 17, 17, 15, 1, 2, 12], L: [16, 16, 16, 16, 16, 16, 31], R: [30, 17, 17, 30, 20, 18, 17],
  P: [30, 17, 17, 30, 16, 16, 16], A: [14, 17, 17, 31, 17, 17, 17], E: [31, 16, 16, 30, 16, 16, 31], I: [14, 4, 4, 4, 4, 4, 14],
  T: [31, 4, 4, 4, 4, 4, 4], ':': [0, 12, 12, 0, 12, 12, 0], '/': [1, 1, 2, 4, 8, 16, 16], '.': [0, 0, 0, 0, 0, 12, 12], ' ': [0, 0, 0, 0, 0, 0, 0],
};

function drawText(out: Uint16Array, w: number, h: number, text: string, x0: number, y0: number, dot: number, value: number): void {
  let x = x0;
  for (const ch of text) {
    const rows = FONT[ch] ?? FONT[' ']!;
    for (let r = 0; r < 7; r++) {
      for (let c = 0; c < 5; c++) {
        if (!((rows[r]! >> (4 - c)) & 1)) continue;
        const ya = y0 + r * dot;
        const xa = x + c * dot;
        for (let y = Math.max(0, ya); y < Math.min(h, ya + dot); y++) out.fill(value, y * w + Math.max(0, xa), y * w + Math.min(w, xa + dot));
      }
    }
    x += 6 * dot;
  }
}

/** Writes a side marker and 1–3 text lines into corners of `out` (value = display white). */
export function burnInAnnotation(out: Uint16Array, w: number, h: number, white: number, marker: 'L' | 'R', r: Rng): void {
  const dot = Math.max(1, Math.round(Math.min(w, h) * r.uniform(0.004, 0.007)));
  const margin = Math.round(Math.min(w, h) * r.uniform(0.03, 0.06));
  // Lead marker: a larger letter in an upper corner.
  const big = dot * 3;
  const mx = r.chance(0.5) ? margin : w - margin - 5 * big;
  drawText(out, w, h, marker, mx, margin, big, white);
  const pad = (n: number) => String(n).padStart(2, '0');
  const lines = [
    `${r.int(2001, 2019)}/${pad(r.int(1, 12))}/${pad(r.int(1, 28))} ${pad(r.int(0, 23))}:${pad(r.int(0, 59))}`,
    r.pick(['PA', 'AP', 'LAT', 'AP ERECT', 'PA 180']),
    `EI ${r.int(150, 2400)} ${r.int(60, 125)}.${r.int(0, 9)}`,
  ].slice(0, r.int(1, 3));
  const bottom = r.chance(0.6);
  lines.forEach((text, k) => {
    const width = text.length * 6 * dot;
    const x = r.chance(0.5) ? margin : Math.max(0, w - margin - width);
    const y = bottom ? h - margin - (lines.length - k) * 9 * dot : margin + big * 8 + k * 9 * dot;
    drawText(out, w, h, text, x, y, dot, white);
  });
}
