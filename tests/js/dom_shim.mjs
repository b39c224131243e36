// A tiny stand-in for the browser's document, enough for lib/el.js and the chat's callback card
// (widget/callback.js): it records what was set and refuses innerHTML outright, so a test fails if
// markup is ever parsed from a text. `dispatch(type)` stands in for a click.
class ShimNode {
  constructor(tag) {
    this.tagName = tag.toUpperCase();
    this.attributes = {};
    this.children = [];
    this.parentNode = null;
    this.className = "";
    this._text = "";
    this.listeners = {};
  }
  get nextSibling() {
    if (!this.parentNode) return null;
    const siblings = this.parentNode.children;
    return siblings[siblings.indexOf(this) + 1] || null;
  }
  get textContent() {
    return this._text + this.children.map((c) => c.textContent).join("");
  }
  set textContent(value) {
    // The DOM's rule: the value becomes one text node, never markup; children go.
    for (const child of this.children) child.parentNode = null;
    this.children = [];
    this._text = value === null ? "" : String(value);
  }
  get innerHTML() {
    throw new Error("innerHTML read");
  }
  set innerHTML(value) {
    throw new Error(`innerHTML set to ${value}`);
  }
  insertAdjacentHTML() {
    throw new Error("insertAdjacentHTML");
  }
  setAttribute(name, value) {
    this.attributes[name] = String(value);
  }
  getAttribute(name) {
    return name in this.attributes ? this.attributes[name] : null;
  }
  appendChild(child) {
    if (child.parentNode) child.parentNode.removeChild(child);
    child.parentNode = this;
    this.children.push(child);
    return child;
  }
  insertBefore(child, reference) {
    if (!reference) return this.appendChild(child);
    if (child.parentNode) child.parentNode.removeChild(child);
    child.parentNode = this;
    this.children.splice(this.children.indexOf(reference), 0, child);
    return child;
  }
  addEventListener(type, listener) {
    (this.listeners[type] = this.listeners[type] || []).push(listener);
  }
  dispatch(type) {
    for (const listener of this.listeners[type] || []) listener({ type, target: this, preventDefault() {} });
  }
  removeChild(child) {
    this.children = this.children.filter((c) => c !== child);
    child.parentNode = null;
    return child;
  }
}

export function installDocument() {
  const byId = new Map();
  const document = {
    createElement: (tag) => new ShimNode(tag),
    getElementById: (id) => byId.get(id) || null,
    register(id, node) {
      byId.set(id, node);
      return node;
    },
  };
  globalThis.document = document;
  return document;
}
