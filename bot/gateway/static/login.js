/* Console login (both desks): JSON POST, then reload into the desk. A wrong password is a 401
 * with the server's polite error, shown here (this page has no session to reload into). */

import { createApi } from "./lib/api.js";
import { byId, clear } from "./lib/el.js";
import { failure } from "./lib/desk.js";

const api = createApi();
const form = byId("login-form");
const error = byId("login-error");
form.addEventListener("submit", (event) => {
  event.preventDefault();
  clear(error);
  api("POST", "/api/agent/login", { name: form.elements.name.value, password: form.elements.password.value }).then((res) => {
    if (res.ok) location.reload();
    else error.textContent = failure(res, "登录失败");
  });
});
