"""Text contrast measured in the browser (WCAG 2.1 AA, 1.4.3): every visible text on a page against
the background it is drawn on, from the computed colours.

For each element that holds text of its own (a non-blank text node child) and is visible (has a box,
not ``visibility: hidden``, not inside ``opacity: 0``), the foreground is its computed ``color``
(with its alpha, and the product of its ancestors' ``opacity``, composited onto the background) and
the background is the first opaque background found walking up from it, with every translucent one
on the way composited over it (white at the root, as the browser paints). The contrast ratio is
WCAG's ``(L1 + 0.05) / (L2 + 0.05)`` of relative luminances. Disabled controls are left out (WCAG
exempts inactive components), and so are background images (the pages use none behind text).

``low_contrast(page)`` returns the texts under 4.5:1 — for every size, stricter than AA's 3:1 for
large text — with their colours and ratio, so a failing test says which text and why.
"""

from __future__ import annotations

from typing import Any

MINIMUM = 4.5

_SCRIPT = r"""
(minimum) => {
  const parse = (value) => {
    const m = value.match(/rgba?\(([^)]+)\)/);
    if (!m) return [0, 0, 0, 0];
    const parts = m[1].split(/[ ,\/]+/).filter(Boolean).map(Number);
    return [parts[0], parts[1], parts[2], parts.length > 3 ? parts[3] : 1];
  };
  const over = (top, bottom) => {  // top (with alpha) composited over an opaque bottom
    const a = top[3];
    return [0, 1, 2].map((i) => top[i] * a + bottom[i] * (1 - a)).concat([1]);
  };
  const channel = (c) => { c /= 255; return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4); };
  const luminance = (rgb) => 0.2126 * channel(rgb[0]) + 0.7152 * channel(rgb[1]) + 0.0722 * channel(rgb[2]);
  const ratio = (a, b) => { const la = luminance(a), lb = luminance(b); return (Math.max(la, lb) + 0.05) / (Math.min(la, lb) + 0.05); };
  const background = (node) => {
    const layers = [];
    for (let n = node; n && n.nodeType === 1; n = n.parentElement) {
      const bg = parse(getComputedStyle(n).backgroundColor);
      if (bg[3] > 0) layers.push(bg);
      if (bg[3] >= 1) break;
    }
    let colour = [255, 255, 255, 1];
    for (let i = layers.length - 1; i >= 0; i--) colour = over(layers[i], colour);
    return colour;
  };
  const opacity = (node) => { let o = 1; for (let n = node; n && n.nodeType === 1; n = n.parentElement) o *= Number(getComputedStyle(n).opacity); return o; };
  const found = [];
  let measured = 0;
  for (const node of document.querySelectorAll("body *")) {
    if (["SCRIPT", "STYLE", "NOSCRIPT", "OPTION", "OPTGROUP", "TITLE"].includes(node.tagName)) continue;
    const own = Array.from(node.childNodes).filter((c) => c.nodeType === 3 && c.textContent.trim()).map((c) => c.textContent.trim()).join(" ");
    if (!own) continue;
    if (node.closest("[disabled]") || node.closest("[hidden]") || node.closest("dialog:not([open])")) continue;
    const rects = node.getClientRects();
    const style = getComputedStyle(node);
    if (!rects.length || style.visibility === "hidden" || style.display === "none") continue;
    const alpha = opacity(node);
    if (alpha === 0) continue;
    const bg = background(node);
    const fg = parse(style.color);
    const shown = over([fg[0], fg[1], fg[2], fg[3] * alpha], bg);
    const r = ratio(shown, bg);
    measured++;
    if (r < minimum) found.push({ text: own.slice(0, 60), tag: node.tagName.toLowerCase(), cls: node.className && node.className.baseVal === undefined ? node.className : "", color: style.color, background: "rgb(" + bg.slice(0, 3).map(Math.round).join(", ") + ")", ratio: Math.round(r * 100) / 100 });
  }
  return { measured, found };
}
"""


def measure(page: Any, minimum: float = MINIMUM) -> dict[str, Any]:
    """``{"measured": n, "found": [texts under minimum]}`` for the page as it is now."""
    return page.evaluate(_SCRIPT, minimum)


def low_contrast(page: Any, minimum: float = MINIMUM, at_least: int = 5) -> list[dict[str, Any]]:
    """The texts under ``minimum``; fails when fewer than ``at_least`` texts were measured at all (a
    blank page must not pass)."""
    result = measure(page, minimum)
    assert result["measured"] >= at_least, f"only {result['measured']} texts measured: is the page drawn?"
    return result["found"]
