/** Escaping for the markup this transport writes (the same rules as adapters/xml's helpers). */
const TEXT: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '\r': '&#xD;' };
const ATTRIBUTE: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '"': '&quot;',
  '\t': '&#x9;',
  '\n': '&#xA;',
  '\r': '&#xD;',
};

export function escapeText(s: string): string {
  return s.replace(/[&<>\r]/g, (c) => TEXT[c] ?? c);
}

export function escapeAttribute(s: string): string {
  return s.replace(/[&<"\t\n\r]/g, (c) => ATTRIBUTE[c] ?? c);
}
