/* How the audit trail's before/after values read on the page: "角色：agent → …" would be for
 * programs; a manager reads 字段：值 pairs in Chinese. */

const FIELDS = {
  role: "角色", display_name: "显示名", active: "状态", password: "密码", sessions_ended: "退出的登录",
  name: "名称", address: "地址", buildings: "楼栋", service_centre: "服务中心", hours: "服务时间",
  duty_phone: "值班电话", text: "答复", covers: "也可回答", communities: "服务小区",
};
const VALUES = {
  role: { agent: "客服", trainer: "培训员", manager: "经理" },
  active: { true: "启用", false: "停用" },
  password: { set: "经理设置", generated: "生成一次性密码" },
};

function shown(key, value) {
  if (value === null || value === undefined || value === "") return "（空）";
  const table = VALUES[key];
  if (table && Object.prototype.hasOwnProperty.call(table, String(value))) return table[String(value)];
  if (Array.isArray(value)) return value.join("、") || "（无）";
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

/** `{"role": "agent"}` → "角色：客服"; nothing → "". */
export function describe(values) {
  if (!values || typeof values !== "object") return "";
  return Object.keys(values).map((key) => (FIELDS[key] || key) + "：" + shown(key, values[key])).join("；");
}
