// What every page of the console shares: the API call (the session cookie rides along; every
// change carries the CSRF token, kept in memory only), building nodes (text from the API is
// only ever set as text, never as markup) and small helpers.

export const main = document.getElementById("main");
export const nav = document.getElementById("nav");
export const session = { csrf: null, me: null };

export class ApiError extends Error {
  constructor(status, body) {
    const error = body && body.error;
    super(error ? `${error.message}` : `HTTP ${status}`);
    this.status = status;
    this.details = (error && error.details) || [];
  }
}

let onSignedOut = () => {};

export function whenSignedOut(handler) {
  onSignedOut = handler;
}

export async function api(method, path, body) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET" && session.csrf) headers["X-CSRF-Token"] = session.csrf;
  const response = await fetch(path, {
    method, headers, credentials: "same-origin",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = await response.json().catch(() => null);
  if (response.status === 401 && !path.startsWith("/api/sign-in")) onSignedOut();
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else if (value === true) node.setAttribute(name, "");
    else if (value !== false && value !== null && value !== undefined) node.setAttribute(name, value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function show(...nodes) {
  main.replaceChildren(...nodes.filter((node) => node !== null && node !== undefined));
}

export function when(iso) {
  return iso ? new Date(iso).toLocaleString() : "-";
}

export function failure(error) {
  return el("p", { class: "error", role: "alert" }, error.message || String(error));
}

// A 400's problems, one line per field it names ("body.contact_methods[0].address: ...").
export function fieldFailures(error) {
  if (!error.details || !error.details.length) return failure(error);
  return el("ul", { class: "error", role: "alert" },
    error.details.map((d) => el("li", {}, `${d.field.replace(/^body\./, "")}: ${d.message}`)));
}

// A labelled control: the label names it for screen readers and makes a large tap target.
export function field(label, control) {
  return el("div", { class: "field" }, el("label", { for: control.id }, label), control);
}

// A form whose submission calls the API; failures appear in `notice` instead of being lost.
export function apiForm(attributes, notice, submit, ...children) {
  return el("form", { ...attributes, onsubmit: async (event) => {
    event.preventDefault();
    try { await submit(); }
    catch (error) { notice.replaceChildren(failure(error)); }
  } }, ...children);
}

export function notice(id = "notice") {
  return el("p", { class: "notice", role: "status", id });
}
