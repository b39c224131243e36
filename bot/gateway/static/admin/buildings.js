/* A community's buildings as a manager writes them: "1-12:3, 13:2" (buildings 1 to 12 with 3
 * units each, building 13 with 2) ⇄ the record's {"1": 3, …, "13": 2} (bot/communities). The
 * server checks the values (units 1–50); this only reads and writes the short form. */

/** {"1": 3, "2": 3, "13": 2} → "1-2:3, 13:2" (consecutive buildings with the same units joined). */
export function formatBuildings(buildings) {
  const numbers = Object.keys(buildings || {}).map(Number).filter(Number.isInteger).sort((a, b) => a - b);
  const parts = [];
  let start = null;
  let end = null;
  let units = null;
  const flush = () => { if (start !== null) parts.push((start === end ? String(start) : start + "-" + end) + ":" + units); };
  numbers.forEach((n) => {
    const u = buildings[String(n)];
    if (start !== null && n === end + 1 && u === units) { end = n; return; }
    flush();
    start = n; end = n; units = u;
  });
  flush();
  return parts.join(", ");
}

/** "1-12:3, 13:2" → {"1": 3, …, "13": 2}; throws an Error whose message says what to write. */
export function parseBuildings(text) {
  const result = {};
  const items = String(text || "").split(/[,，、;；\s]+/).filter(Boolean);
  items.forEach((item) => {
    const match = /^(\d{1,4})(?:[-–~](\d{1,4}))?[:：](\d{1,2})$/.exec(item);
    if (!match) throw new Error("楼栋请写成「楼号:单元数」，多栋用逗号分开，连续楼号可写成「1-12:3」；无法识别：" + item);
    const first = Number(match[1]);
    const last = match[2] === undefined ? first : Number(match[2]);
    if (last < first || last - first > 500) throw new Error("楼号范围有误：" + item);
    for (let n = first; n <= last; n += 1) result[String(n)] = Number(match[3]);
  });
  return result;
}
