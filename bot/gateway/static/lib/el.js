/* Building DOM nodes. Every text goes in through textContent (or a text node), never innerHTML:
 * what residents and agents write is shown as written, never parsed as markup. */

/** `<tag class="cls">text</tag>`; `text` left out (undefined or null) leaves the node empty. */
export function el(tag, cls, text) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

/** A `type="button"` button (never submits its form), with an optional `data-testid`. */
export function button(text, testid, cls) {
  const node = el("button", cls || "", text);
  node.type = "button";
  if (testid) node.setAttribute("data-testid", testid);
  return node;
}

/** The element with this id. */
export function byId(id) {
  return document.getElementById(id);
}

/** Empty a node (its children go; no markup is parsed). */
export function clear(node) {
  node.textContent = "";
  return node;
}

/** Take a node out of the page, if it is in it. */
export function detach(node) {
  if (node && node.parentNode) node.parentNode.removeChild(node);
}
