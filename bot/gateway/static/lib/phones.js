/* Phone numbers in a text as tappable tel: links (the widget's bubbles and notices).
 *
 * What counts as a number to call: a landline with its area code (0571-8765-4321, 057187654321),
 * a mobile (138-1234-5678, 13812345678, +86 138 1234 5678) and the emergency numbers 110, 119,
 * 120 and 12345 where the text offers them (拨打110, 110/119/120, 或120) — never the digits
 * of an address (1203室, 3-2-120) or a ticket number. */

const PHONE = /(?:\+86[ -]?)?1[3-9]\d(?:[ -]?\d{4}){2}(?!\d)|0\d{2,3}-?\d{3,4}-?\d{4}(?!\d)|(?<=拨打|打|或|、|\/|电话|：|:|是)(?:110|119|120|12345)(?![\d-])/g;

/** The pieces of `text`: `{text}` for plain text, `{text, tel}` for a number (tel: its digits, "+" kept). */
export function phoneParts(text) {
  const parts = [];
  let last = 0;
  for (const match of String(text).matchAll(PHONE)) {
    const before = String(text).slice(Math.max(0, match.index - 1), match.index);
    if (/[\d-]/.test(before)) continue; // inside a longer number (a ticket, an address)
    if (match.index > last) parts.push({ text: text.slice(last, match.index) });
    parts.push({ text: match[0], tel: match[0].replace(/[^\d+]/g, "") });
    last = match.index + match[0].length;
  }
  if (last < String(text).length) parts.push({ text: String(text).slice(last) });
  return parts;
}

/** Fill `node` with `text`, numbers as `<a href="tel:…">` links; textContent only, never markup. */
export function fillWithPhones(node, text, doc) {
  const d = doc || document;
  node.textContent = "";
  phoneParts(text).forEach((part) => {
    if (!part.tel) { node.appendChild(d.createTextNode(part.text)); return; }
    const a = d.createElement("a");
    a.href = "tel:" + part.tel;
    a.textContent = part.text;
    a.className = "wy-tel";
    a.setAttribute("data-testid", "tel-link");
    node.appendChild(a);
  });
  return node;
}
