import assert from "node:assert/strict";
import { test } from "node:test";

import { phoneParts } from "../../bot/gateway/static/lib/phones.js";

const tels = (text) => phoneParts(text).filter((p) => p.tel).map((p) => p.tel);

test("the duty phone, mobiles and the emergency numbers the text offers become tel: links", () => {
  assert.deepEqual(tels("锦华物业24小时值班电话：0571-8765-4321。"), ["057187654321"]);
  assert.deepEqual(tels("请立即拨打119；也可以拨打110/119/120"), ["119", "110", "119", "120"]);
  assert.deepEqual(tels("联系电话 138-1234-5678 或 +86 139 0000 1111"), ["13812345678", "+8613900001111"]);
  assert.deepEqual(tels("请拨打12345市民热线"), ["12345"]);
});

test("addresses, ticket numbers and room numbers stay text", () => {
  assert.deepEqual(tels("3号楼2单元1203室"), []);
  assert.deepEqual(tels("地址：3-2-120，工单号 R20260615-0001"), []);
  assert.deepEqual(tels("您的工单号是 E20260615120"), []);
});

test("the pieces put back together are the text", () => {
  const text = "请拨打119，值班电话0571-8765-4321，谢谢";
  assert.equal(phoneParts(text).map((p) => p.text).join(""), text);
});
