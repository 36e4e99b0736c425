// HTML renderings for notebook output (tslab.display.html), kept free of tslab itself so
// they work and are tested outside the kernel.

const escapeHtml = (value: unknown): string =>
  String(value ?? "")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;");

function cell(value: unknown): string {
  if (value instanceof Date) return escapeHtml(value.toISOString());
  if (typeof value === "boolean") return value ? "sim" : "não";
  if (typeof value === "object" && value !== null) return escapeHtml(JSON.stringify(value));
  return escapeHtml(value);
}

/** An HTML table of rows; columns in the order of the first row's keys unless given. */
export function htmlTable(rows: readonly object[], columns?: string[], caption?: string): string {
  const records = rows as readonly Record<string, unknown>[];
  const cols = columns ?? Object.keys(records[0] ?? {});
  const head = cols.map((c) => `<th style="text-align:left">${escapeHtml(c)}</th>`).join("");
  const body = records.map((r) => `<tr>${cols.map((c) => `<td style="text-align:left">${cell(r[c])}</td>`).join("")}</tr>`).join("\n");
  const cap = caption ? `<caption style="text-align:left"><b>${escapeHtml(caption)}</b></caption>` : "";
  return `<table>${cap}<thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}
