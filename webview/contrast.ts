// Text colour of filled badges, chosen for contrast with whatever the theme paints them: the
// themes' green/amber/blue/red range from light (Light+ testing.iconPassed #73c991, on which white
// text measured 2.0:1 in the try-out) to dark (#a1260d), so no fixed text colour reads on all.
// Black or white, whichever contrasts more (WCAG relative luminance); main.ts re-runs it on theme changes.

function luminance(css: string): number | null {
  const m = css.match(/rgba?\(([\d.]+),\s*([\d.]+),\s*([\d.]+)(?:,\s*([\d.]+))?\)/);
  if (!m || (m[4] !== undefined && Number(m[4]) < 1)) return null; // transparent: an outlined badge
  const [r, g, b] = [m[1], m[2], m[3]].map((v) => {
    const c = Number(v) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** Sets each filled badge's text to black or white, whichever reads better on its background. */
export function inkBadges(root: ParentNode): void {
  for (const el of Array.from(root.querySelectorAll<HTMLElement>('.badge'))) {
    el.style.removeProperty('color');
    const bg = luminance(getComputedStyle(el).backgroundColor);
    if (bg === null) continue;
    // Contrast with black is (bg + 0.05) / 0.05, with white 1.05 / (bg + 0.05): equal at bg ~0.179.
    el.style.color = (bg + 0.05) / 0.05 >= 1.05 / (bg + 0.05) ? '#000' : '#fff';
  }
}
