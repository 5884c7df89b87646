// Vigil's console: plain JavaScript modules, no build step. Every view is a call to the same
// JSON API the CLI uses; the session is an HttpOnly cookie the page cannot read, and every
// change carries the CSRF token the API gave at sign-in (kept in memory only). Text from the
// API is only ever set as textContent, so nothing an alert says can become markup.

import { api, el, failure, nav, session, show, when, whenSignedOut } from "./core.js";
import { oncallPage } from "./oncall.js";
import { peoplePage, personPage } from "./people.js";
import { policiesPage, policyPage } from "./policies.js";
import { integrationsPage, silencesPage, teamPage, teamsPage, templatesPage } from "./setup.js";

const INC = "/api/incident_response";
const REFRESH_MS = 5000;
let refresh = null;

function stopRefreshing() {
  if (refresh) clearInterval(refresh);
  refresh = null;
}

// ----------------------------------------------------------------------------- session
function signedOut() {
  session.csrf = null;
  session.me = null;
  nav.hidden = true;
  stopRefreshing();
  if (!location.hash.startsWith("#/signin")) location.hash = "#/signin";
}

function signedIn(current) {
  session.csrf = current.csrf_token;
  session.me = current;
  nav.hidden = false;
}

async function restoreSession() {
  try {
    signedIn(await api("GET", "/api/session"));
    return true;
  } catch {
    return false;
  }
}

function signInPage(problemText = "") {
  nav.hidden = true;
  const key = el("input", { id: "api-key", type: "password", name: "api_key", autocomplete: "off", required: true });
  const problem = el("p", { class: "error", role: "alert" }, problemText);
  const form = el("form", {
    onsubmit: async (event) => {
      event.preventDefault();
      try {
        signedIn(await api("POST", "/api/sign-in", { api_key: key.value }));
        key.value = "";
        location.hash = "#/incidents";
      } catch (error) {
        problem.textContent = error.status === 401 ? "That key is not valid." : error.message;
      }
    },
  },
    el("label", { for: "api-key" }, "API key"), key,
    el("p", {}, el("button", { class: "primary", type: "submit" }, "Sign in")), problem);
  show(el("h1", {}, "Sign in to Vigil"), form, linkForm());
}

function linkForm() {
  const email = el("input", { id: "link-email", type: "email", name: "email", autocomplete: "email", required: true });
  const sent = el("p", { class: "notice", role: "status", id: "link-sent" });
  return el("form", { id: "link-form", onsubmit: async (event) => {
    event.preventDefault();
    try {
      const reply = await api("POST", "/api/sign-in/link", { email: email.value.trim() });
      sent.textContent = `Check your email: ${reply.message}.`;
    } catch (error) {
      sent.replaceChildren(failure(error));
    }
  } }, el("h2", {}, "Or sign in with an emailed link"),
  el("label", { for: "link-email" }, "Your email"), email,
  el("p", {}, el("button", { type: "submit" }, "Email me a link")), sent);
}

// A magic link opens #/signin/link/<token>: the token never reaches a server in a URL (mail
// scanners that fetch links get the page, not a session), and leaves the address bar at once.
async function followLink(token) {
  history.replaceState(null, "", "#/signin");
  try {
    signedIn(await api("POST", "/api/sign-in/redeem", { token }));
    location.hash = "#/incidents";
  } catch {
    signInPage("That sign-in link is not valid any more (used, expired or altered): ask for a new one.");
  }
}

async function signOut() {
  try { await api("POST", "/api/sign-out"); } finally { signedOut(); }
}

// ----------------------------------------------------------------------------- incidents
const filters = { status: "", severity: "", assigned_team: "", service_id: "", text: "", mine: false };

function incidentsPage() {
  const list = el("ul", { class: "cards", id: "incident-list" });
  const counts = el("p", { class: "meta", id: "counts" });
  const choose = (name, options) => el("label", {}, name,
    el("select", { name, id: `filter-${name}`, onchange: (e) => { filters[name] = e.target.value; load(); } },
      ["", ...options].map((o) => el("option", { value: o, selected: filters[name] === o }, o || "any"))));
  const search = el("label", {}, "title",
    el("input", { type: "search", name: "text", id: "filter-text", value: filters.text,
      oninput: (e) => { filters.text = e.target.value.trim(); load(); } }));
  const team = el("label", {}, "team",
    el("input", { name: "assigned_team", id: "filter-team", value: filters.assigned_team, disabled: filters.mine,
      onchange: (e) => { filters.assigned_team = e.target.value.trim(); load(); } }));
  const service = el("label", {}, "service",
    el("select", { name: "service_id", id: "filter-service", onchange: (e) => { filters.service_id = e.target.value; load(); } },
      el("option", { value: "" }, "any")));
  serviceChoices(service.querySelector("select"));
  const myTeam = session.me && session.me.team;
  const mine = myTeam ? el("label", { class: "check" },
    el("input", { type: "checkbox", id: "filter-mine", checked: filters.mine, onchange: (e) => {
      filters.mine = e.target.checked;
      team.querySelector("input").disabled = filters.mine;
      load();
    } }), `assigned to me (${myTeam})`) : null;
  async function load() {
    try {
      const query = new URLSearchParams({ limit: "50" });
      for (const name of ["status", "severity", "assigned_team", "service_id", "text"]) if (filters[name]) query.set(name, filters[name]);
      if (filters.mine && myTeam) query.set("assigned_team", myTeam);
      const page = await api("GET", `${INC}?${query}`);
      list.replaceChildren(...ordered(page.items).map(incidentCard));
      if (!page.items.length) list.append(el("li", {}, el("p", { class: "meta" }, "No incidents match.")));
      counts.textContent = Object.entries(page.counts || {}).map(([k, v]) => `${v} ${k}`).join(" · ");
    } catch (error) {
      list.replaceChildren(el("li", {}, failure(error)));
    }
  }
  show(el("h1", {}, "Incidents"),
    el("div", { class: "filters" },
      choose("status", ["open", "investigating", "acknowledged", "resolved", "closed"]),
      choose("severity", ["emergency", "critical", "high", "medium", "low", "info"]), team, service, mine, search),
    counts, list);
  load();
  refresh = setInterval(load, REFRESH_MS);
}

// Services are named in the filter; a responder key that may not list them filters by none.
async function serviceChoices(select) {
  try {
    const services = (await api("GET", "/api/services")).items;
    select.append(...services.map((s) => el("option", { value: s.service_id, selected: filters.service_id === s.service_id }, s.name)));
  } catch {
    select.disabled = true;
  }
}

const OPEN_FIRST = ["open", "investigating", "acknowledged", "resolved", "closed"];

function ordered(items) {
  return [...items].sort((a, b) => OPEN_FIRST.indexOf(a.status) - OPEN_FIRST.indexOf(b.status));
}

function incidentCard(incident) {
  return el("li", {}, el("a", { href: `#/incidents/${incident.incident_id}` },
    el("span", { class: `sev sev-${incident.severity}` }, incident.severity), " ",
    el("strong", {}, incident.title),
    el("div", { class: "meta" },
      el("span", { class: "status" }, incident.status), ` · ${incident.assigned_team || "unassigned"} · `,
      `${incident.alert_count} alert(s) · opened ${when(incident.created_at)}`)));
}

// `done` is the last action's outcome: it stays on the page that shows its effect.
async function incidentPage(id, done = "") {
  let incident;
  try {
    incident = await api("GET", `${INC}/${encodeURIComponent(id)}`);
  } catch (error) {
    show(el("h1", {}, "Incident"), failure(error));
    return;
  }
  const notice = el("p", { class: "notice", role: "status", id: "notice" }, done);
  const act = (label, run, primary = false) => el("button", {
    type: "button", class: primary ? "primary" : null,
    onclick: async () => {
      try { await run(); await incidentPage(id, `${label}: done`); }
      catch (error) { notice.replaceChildren(failure(error)); }
    },
  }, label);
  const path = `${INC}/${encodeURIComponent(id)}`;
  show(
    el("p", {}, el("a", { class: "back", href: "#/incidents" }, "← Incidents")),
    el("h1", {}, el("span", { class: `sev sev-${incident.severity}` }, incident.severity), " ", incident.title),
    el("p", { class: "meta" }, el("span", { class: "status", id: "status" }, incident.status),
      ` · ${incident.assigned_team || "unassigned"} · opened ${when(incident.created_at)} · ${incident.incident_id}`),
    incident.description ? el("p", {}, incident.description) : null,
    el("div", { class: "actions" },
      act("Acknowledge", () => api("POST", `${path}/acknowledge`, {}), true),
      act("Resolve", () => api("POST", `${path}/resolve`, {})),
      act("Close", () => api("PUT", path, { status: "closed" })),
      act("Escalate", () => api("POST", `${path}/escalate`, {}))),
    notice,
    responderForms(path, notice, id),
    ladder(incident.escalation),
    labels(incident.labels),
    playbook(incident, path, notice, id),
    alertsList(incident.alerts || []),
    noteForm(path, notice, id),
    timeline(incident.timeline || []),
  );
}

// Responder control: each a small form whose one field shapes the request.
function responderForms(path, notice, id) {
  const form = (name, label, control, button, request) => el("form", { class: "inline", id: `${name}-form`,
    onsubmit: async (event) => {
      event.preventDefault();
      try {
        await api("POST", `${path}/${name}`, request(control.value.trim()));
        await incidentPage(id, `${button}: done`);
      } catch (error) { notice.replaceChildren(failure(error)); }
    } }, el("label", { for: control.id }, label), control, el("button", { type: "submit" }, button));
  const rung = el("input", { id: "escalate-rung", type: "number", min: "0", max: "20", required: true, inputmode: "numeric" });
  const minutes = el("select", { id: "snooze-minutes" }, [15, 30, 60, 120, 240, 480].map((m) => el("option", { value: m }, `${m} min`)));
  const team = el("input", { id: "reassign-team", name: "team", required: true });
  const kind = el("select", { id: "responder-kind", "aria-label": "Responder is a" },
    [["team", "team"], ["user_id", "person (user id)"], ["email", "email address"]].map(([v, t]) => el("option", { value: v }, t)));
  const who = el("input", { id: "responder", required: true });
  const responder = form("responders", "Add a responder", who, "Add responder", (value) => ({ [kind.value]: value }));
  responder.insertBefore(kind, who);
  return el("section", { id: "respond" },
    form("escalate", "Escalate to rung", rung, "Escalate to rung", (value) => ({ escalation_level: Number(value) })),
    form("snooze", "Snooze for", minutes, "Snooze", (value) => ({ minutes: Number(value) })),
    form("reassign", "Reassign to team", team, "Reassign", (value) => ({ team: value })),
    responder);
}

function noteForm(path, notice, id) {
  const text = el("textarea", { id: "note", name: "note", rows: "3", required: true });
  return el("form", { onsubmit: async (event) => {
    event.preventDefault();
    try { await api("POST", `${path}/notes`, { note: text.value }); await incidentPage(id); }
    catch (error) { notice.replaceChildren(failure(error)); }
  } }, el("h2", {}, "Note"), el("label", { for: "note" }, "Add to the timeline"), text,
  el("p", {}, el("button", { type: "submit" }, "Add note")));
}

function ladder(escalation) {
  if (!escalation) return null;
  const arn = escalation.execution_arn;
  const region = arn ? arn.split(":")[3] : "";
  const link = arn && !location.hostname.match(/^(127\.0\.0\.1|localhost|\[::1\])$/)
    ? el("a", { href: `https://console.aws.amazon.com/states/home?region=${region}#/v2/executions/details/${arn}`,
      rel: "noopener", target: "_blank" }, "the Step Functions execution") : null;
  return el("section", { id: "ladder" }, el("h2", {}, "Escalation"),
    el("p", {}, `${escalation.state} · rung ${escalation.rung ?? "-"} · round ${escalation.round ?? "-"}`,
      ` · paged ${when(escalation.paged_at)} · next rung ${when(escalation.next_escalation_at)}`),
    link ? el("p", {}, "Open ", link, ".") : null);
}

function labels(values) {
  const entries = Object.entries(values || {});
  if (!entries.length) return null;
  return el("section", {}, el("h2", {}, "Labels"),
    el("ul", { class: "labels" }, entries.map(([k, v]) => el("li", {}, `${k}=${v}`))));
}

function playbook(incident, path, notice, id) {
  const book = incident.playbook;
  if (!book) return null;
  const step = (s) => {
    const done = s.status === "done";
    const control = s.type === "automated"
      ? el("button", { type: "button", onclick: () => mark(s.number, "run") }, "Run")
      : el("input", { type: "checkbox", id: `step-${s.number}`, checked: done,
        "aria-label": `Step ${s.number} done`, onchange: (e) => mark(s.number, e.target.checked ? "done" : "pending") });
    return el("li", {}, control, el("div", {},
      el("label", { for: `step-${s.number}` }, `${s.number}. ${s.title}`),
      el("div", { class: "meta" }, `${s.status}${s.by ? ` by ${s.by}` : ""}`),
      s.description ? el("div", {}, s.description) : null));
  };
  async function mark(number, status) {
    try { await api("POST", `${path}/playbook/steps/${number}`, { status }); await incidentPage(id); }
    catch (error) { notice.replaceChildren(failure(error)); }
  }
  return el("section", { id: "playbook" }, el("h2", {}, `Playbook: ${book.title}`),
    el("ol", { class: "steps" }, book.steps.map(step)));
}

function alertsList(alerts) {
  if (!alerts.length) return null;
  return el("section", {}, el("h2", {}, "Alerts"), el("ul", { class: "cards" }, alerts.map((a) =>
    el("li", {}, el("a", { href: `#/alerts/${a.alert_id}` },
      el("strong", {}, a.title),
      el("div", { class: "meta" }, `${a.status} · ${a.source} · ${a.occurrences}× · last ${when(a.last_seen)}`))))));
}

function timeline(entries) {
  return el("section", {}, el("h2", {}, "Timeline"), el("ol", { class: "timeline", id: "timeline" },
    entries.map((e) => el("li", {}, el("div", { class: "meta" }, `${when(e.at)} · ${e.kind} · ${e.actor}`), e.message))));
}

async function alertPage(id) {
  try {
    const alert = await api("GET", `/api/alerting/${encodeURIComponent(id)}`);
    show(el("p", {}, el("a", { class: "back", href: alert.incident_id ? `#/incidents/${alert.incident_id}` : "#/incidents" }, "← Back")),
      el("h1", {}, alert.title),
      el("p", { class: "meta" }, `${alert.status} · ${alert.severity} · ${alert.source} · ${alert.alert_id}`),
      labels(alert.labels), links(alert),
      el("h2", {}, "Latest payload"), el("pre", {}, alert.raw_payload || ""));
  } catch (error) {
    show(el("h1", {}, "Alert"), failure(error));
  }
}

function links(alert) {
  const urls = Object.values(alert.labels || {}).concat(Object.values(alert.annotations || {}))
    .filter((v) => typeof v === "string" && /^https:\/\//.test(v));
  if (!urls.length) return null;
  return el("section", {}, el("h2", {}, "Links"),
    el("ul", {}, urls.map((u) => el("li", {}, el("a", { href: u, rel: "noopener noreferrer", target: "_blank" }, u)))));
}

// ----------------------------------------------------------------------------- routing
const SETUP = {
  integrations: integrationsPage, teams: teamsPage, people: peoplePage, policies: policiesPage,
  silences: silencesPage, templates: templatesPage,
};

async function route() {
  stopRefreshing();
  const hash = location.hash || "#/incidents";
  const [, page, id, detail] = hash.split("/");
  if (page === "signin" && id === "link" && detail) return followLink(decodeURIComponent(detail));
  if (page === "signin") return signInPage();
  if (session.csrf === null && !(await restoreSession())) return signedOut();
  if (page === "incidents" && id) return incidentPage(decodeURIComponent(id));
  if (page === "alerts" && id) return alertPage(decodeURIComponent(id));
  if (page === "oncall") return oncallPage();
  if (page === "setup" && id === "teams" && detail) return teamPage(decodeURIComponent(detail));
  if (page === "setup" && id === "people" && detail) return personPage(decodeURIComponent(detail));
  if (page === "setup" && id === "policies" && detail) return policyPage(decodeURIComponent(detail));
  if (page === "setup") return (SETUP[id] || integrationsPage)();
  return incidentsPage();
}

whenSignedOut(signedOut);
document.getElementById("signout").addEventListener("click", signOut);
window.addEventListener("hashchange", route);
route();
