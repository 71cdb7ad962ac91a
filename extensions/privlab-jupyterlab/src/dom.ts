/**
 * A tiny element builder: the views are plain DOM, no framework.
 */
export type Child = Node | string | null | undefined | false;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | number | boolean | undefined> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) {
      continue;
    }
    if (key === 'class') {
      el.className = String(value);
    } else {
      el.setAttribute(key, value === true ? '' : String(value));
    }
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) {
      continue;
    }
    el.append(typeof child === 'string' ? document.createTextNode(child) : child);
  }
  return el;
}

/** A number with at most `digits` decimals, or an em dash. */
export function fmt(value: number | null | undefined, digits = 2): string {
  if (value === null || value === undefined || !isFinite(value)) {
    return '—';
  }
  return Number(value.toFixed(digits)).toString();
}

/** CSS modifier of a column role: direct_identifier -> direct-identifier. */
export function roleClass(role: string): string {
  return `jp-privlab-role jp-privlab-role-${role.replace(/_/g, '-')}`;
}

/** Flatten evidence into `key: value` lines (nested keys joined with dots). */
export function evidenceLines(evidence: Record<string, unknown>, prefix = ''): string[] {
  const lines: string[] = [];
  for (const [key, value] of Object.entries(evidence)) {
    const name = prefix ? `${prefix}.${key}` : key;
    if (value && typeof value === 'object' && !Array.isArray(value)) {
      lines.push(...evidenceLines(value as Record<string, unknown>, name));
    } else {
      let text = typeof value === 'string' ? value : JSON.stringify(value);
      if (text.length > 90) {
        text = `${text.slice(0, 89)}…`;
      }
      lines.push(`${name}: ${text}`);
    }
  }
  return lines;
}
