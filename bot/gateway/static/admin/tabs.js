/* The administration page's tabs: one panel shown at a time; `onShow[name]` runs when its tab is
 * chosen (to reload what may have changed meanwhile). */

export function startTabs(onShow = {}) {
  const tabs = Array.from(document.querySelectorAll("[data-tab]"));
  const panels = Array.from(document.querySelectorAll("[data-panel]"));
  function show(name) {
    tabs.forEach((t) => t.setAttribute("aria-selected", String(t.getAttribute("data-tab") === name)));
    panels.forEach((p) => { p.hidden = p.getAttribute("data-panel") !== name; });
    if (onShow[name]) onShow[name]();
  }
  tabs.forEach((t) => t.addEventListener("click", () => show(t.getAttribute("data-tab"))));
  return show;
}
