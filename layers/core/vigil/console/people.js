// The people pages: who can be paged, how (contact methods) and when (notification rules per
// urgency: a contact method some minutes after the page). A person is written whole with
// PUT /api/users/{id}; what the API refuses is named field by field, and nothing is saved.

import { api, el, failure, field, fieldFailures, notice, show } from "./core.js";

const CONTACT_TYPES = ["email", "sms", "slack", "webhook"];
const URGENCIES = ["high", "low"];
const USER_ID = "[A-Za-z0-9][A-Za-z0-9_\\-]{0,63}";

export async function peoplePage() {
  const list = el("ul", { class: "cards", id: "people-list" });
  const id = el("input", { id: "person-id", name: "user_id", required: true, pattern: USER_ID,
    title: "letters, digits, _ and -" });
  const problem = notice();
  const form = el("form", { class: "inline", onsubmit: (event) => {
    event.preventDefault();
    location.hash = `#/setup/people/${encodeURIComponent(id.value)}`;
  } }, field("New person (user id)", id), el("button", { class: "primary", type: "submit" }, "Create"));
  show(el("h1", {}, "People"), form, problem, list);
  try {
    const page = await api("GET", "/api/users");
    list.replaceChildren(...page.items.map((p) => el("li", {}, el("a", { href: `#/setup/people/${encodeURIComponent(p.user_id)}` },
      el("strong", {}, p.name),
      el("div", { class: "meta" }, `${p.user_id} · ${p.email} · ${p.time_zone} · ${p.contact_methods.map((m) => m.type).join(", ") || "no contact methods"}`)))));
    if (!page.items.length) list.append(el("li", {}, el("p", { class: "meta card" }, "No people yet.")));
  } catch (error) {
    list.replaceChildren(el("li", {}, failure(error)));
  }
}

export async function personPage(userId) {
  let person = { name: "", email: "", time_zone: Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC",
    contact_methods: [], notification_rules: { high: [], low: [] } };
  try {
    person = await api("GET", `/api/users/${encodeURIComponent(userId)}`);
  } catch (error) {
    if (error.status !== 404) return show(el("h1", {}, userId), failure(error));
  }
  const out = notice();
  const methods = el("div", { id: "contact-methods" });
  const rules = el("div", { id: "notification-rules" });
  const draw = () => {
    methods.replaceChildren(...person.contact_methods.map((m, i) => methodFields(person, i, draw)));
    rules.replaceChildren(...URGENCIES.map((u) => ruleFields(person, u, draw)));
  };
  draw();
  const text = (id, label, key, type = "text") => field(label, el("input", { id, type, value: person[key] || "", required: true,
    onchange: (e) => { person[key] = e.target.value.trim(); } }));
  const save = el("form", { id: "person-form", onsubmit: async (event) => {
    event.preventDefault();
    try {
      person = await api("PUT", `/api/users/${encodeURIComponent(userId)}`, {
        name: person.name, email: person.email, time_zone: person.time_zone,
        contact_methods: person.contact_methods, notification_rules: person.notification_rules,
      });
      out.textContent = `Saved ${person.name}.`;
    } catch (error) {
      out.replaceChildren(fieldFailures(error));
    }
  } },
  text("person-name", "Name", "name"), text("person-email", "Email", "email", "email"),
  text("person-tz", "Time zone (e.g. Europe/Paris)", "time_zone"),
  el("h2", {}, "Contact methods"), methods,
  el("p", {}, el("button", { type: "button", onclick: () => {
    person.contact_methods.push({ id: nextMethodId(person), type: "email", address: "" }); draw();
  } }, "Add contact method")),
  el("h2", {}, "Notification rules"), rules,
  el("p", {}, el("button", { class: "primary", type: "submit" }, "Save person")));
  show(el("p", {}, el("a", { class: "back", href: "#/setup/people" }, "← People")),
    el("h1", {}, `Person ${userId}`), save, out);
}

function nextMethodId(person) {
  const taken = new Set(person.contact_methods.map((m) => m.id));
  let n = person.contact_methods.length + 1;
  while (taken.has(`m${n}`)) n += 1;
  return `m${n}`;
}

function methodFields(person, index, redraw) {
  const method = person.contact_methods[index];
  const id = `method-${index}`;
  return el("div", { class: "row" },
    field("Id", el("input", { id: `${id}-id`, value: method.id, required: true,
      onchange: (e) => { method.id = e.target.value.trim(); redraw(); } })),
    field("Type", el("select", { id: `${id}-type`, onchange: (e) => { method.type = e.target.value; } },
      CONTACT_TYPES.map((t) => el("option", { value: t, selected: method.type === t }, t)))),
    field("Address", el("input", { id: `${id}-address`, value: method.address, required: true,
      onchange: (e) => { method.address = e.target.value.trim(); } })),
    el("button", { type: "button", onclick: () => { person.contact_methods.splice(index, 1); redraw(); } },
      `Remove contact method ${method.id}`));
}

function ruleFields(person, urgency, redraw) {
  const rules = person.notification_rules[urgency] = person.notification_rules[urgency] || [];
  const choices = person.contact_methods.map((m) => m.id);
  const rows = rules.map((rule, i) => el("div", { class: "row" },
    field("Contact method", el("select", { id: `rule-${urgency}-${i}-method`,
      onchange: (e) => { rule.contact_method_id = e.target.value; rule.contact_type = null; } },
      choices.map((c) => el("option", { value: c, selected: rule.contact_method_id === c }, c)))),
    field("After (minutes)", el("input", { id: `rule-${urgency}-${i}-after`, type: "number", min: "0", required: true,
      value: String(rule.after_minutes ?? Math.round((rule.after_seconds || 0) / 60)),
      onchange: (e) => { rule.after_minutes = Number(e.target.value); delete rule.after_seconds; } })),
    el("button", { type: "button", onclick: () => { rules.splice(i, 1); redraw(); } },
      `Remove ${urgency} rule ${i + 1}`)));
  return el("fieldset", { class: "member", id: `rules-${urgency}` }, el("legend", {}, `${urgency} urgency`), rows,
    el("button", { type: "button", disabled: !choices.length, onclick: () => {
      rules.push({ contact_method_id: choices[0], after_minutes: 0 }); redraw();
    } }, `Add ${urgency} rule`));
}
