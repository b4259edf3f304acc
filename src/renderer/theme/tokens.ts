// The design tokens: one set of colours (light and dark), spacing, radii and type scale. They
// reach the CSS only as custom properties, generated at build time by vite.config.ts (the CSP
// forbids inline styles), so every rule in styles.css reads var(--…).

const light = {
  bg: '#f6f7f9',
  surface: '#ffffff',
  surfaceSunken: '#eef0f4',
  border: '#d5d9e0',
  text: '#1b1f27',
  textMuted: '#5b6472',
  accent: '#2456e6',
  accentHover: '#1a44bd',
  accentText: '#ffffff',
  focus: '#2456e6',
  success: '#1c8a47',
  successSoft: '#e3f5ea',
  warning: '#a76300',
  warningSoft: '#fff3dc',
  danger: '#c4262e',
  dangerHover: '#a31d24',
  dangerSoft: '#fde8e8',
  neutral: '#6b7380',
  neutralSoft: '#eceef2',
};

const dark: typeof light = {
  bg: '#12151b',
  surface: '#1b1f27',
  surfaceSunken: '#161a21',
  border: '#2e3440',
  text: '#e8ebf0',
  textMuted: '#9aa3b2',
  accent: '#5b86ff',
  accentHover: '#7a9dff',
  accentText: '#0b0e13',
  focus: '#8fb0ff',
  success: '#45c97a',
  successSoft: '#15301f',
  warning: '#f0b24a',
  warningSoft: '#33280f',
  danger: '#ff6b70',
  dangerHover: '#ff8a8e',
  dangerSoft: '#3a1719',
  neutral: '#9aa3b2',
  neutralSoft: '#262b35',
};

export const tokens = {
  color: { light, dark },
  space: {
    '1': '4px',
    '2': '8px',
    '3': '12px',
    '4': '16px',
    '5': '24px',
    '6': '32px',
    '7': '48px',
  },
  radius: { sm: '6px', md: '10px', lg: '16px', pill: '999px' },
  font: {
    family: "system-ui, -apple-system, 'Segoe UI', Cantarell, 'Noto Sans', Roboto, sans-serif",
    mono: "ui-monospace, 'SFMono-Regular', 'DejaVu Sans Mono', Menlo, Consolas, monospace",
    size: { sm: '13px', md: '15px', lg: '18px', xl: '24px', xxl: '32px' },
    weight: { regular: '400', medium: '500', bold: '650' },
  },
  shadow: { card: '0 1px 2px rgba(0,0,0,0.06), 0 2px 8px rgba(0,0,0,0.04)' },
} as const;

const kebab = (name: string) => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

function declarations(prefix: string, values: Record<string, unknown>): string[] {
  const out: string[] = [];
  for (const [key, value] of Object.entries(values)) {
    const name = `${prefix}-${kebab(key)}`;
    if (typeof value === 'object' && value !== null) {
      out.push(...declarations(name, value as Record<string, unknown>));
    } else {
      out.push(`  ${name}: ${String(value)};`);
    }
  }
  return out;
}

/** The tokens as CSS: the light palette by default, the dark one by OS choice or data-theme. */
export function tokensCss(): string {
  const common = [
    ...declarations('-', {
      space: tokens.space,
      radius: tokens.radius,
      font: tokens.font,
      shadow: tokens.shadow,
    }),
  ];
  const lightVars = declarations('-', { color: tokens.color.light });
  const darkVars = declarations('-', { color: tokens.color.dark });
  return [
    `:root {\n${[...common, ...lightVars, '  color-scheme: light;'].join('\n')}\n}`,
    `@media (prefers-color-scheme: dark) {\n:root:not([data-theme='light']) {\n${[...darkVars, '  color-scheme: dark;'].join('\n')}\n}\n}`,
    `:root[data-theme='dark'] {\n${[...darkVars, '  color-scheme: dark;'].join('\n')}\n}`,
  ].join('\n\n');
}
