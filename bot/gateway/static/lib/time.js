/* Dates as the pages show them, in the browser's own time zone: "MM-DD HH:mm" in the chat,
 * "HH:mm:ss" in the console's transcript, "YYYY-MM-DD HH:mm" in the trainer's tables. */

function pad(n) {
  return (n < 10 ? "0" : "") + n;
}

/** `pattern` with YYYY, MM, DD, HH, mm and ss replaced by the parts of `value` (a Date, an ISO
 * string, or nothing for now). */
export function stamp(value, pattern) {
  const d = value instanceof Date ? value : value ? new Date(value) : new Date();
  const parts = { YYYY: String(d.getFullYear()), MM: pad(d.getMonth() + 1), DD: pad(d.getDate()), HH: pad(d.getHours()), mm: pad(d.getMinutes()), ss: pad(d.getSeconds()) };
  return pattern.replace(/YYYY|MM|DD|HH|mm|ss/g, (token) => parts[token]);
}
