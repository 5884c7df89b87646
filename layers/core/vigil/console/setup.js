// The setup pages: integrations, teams, silences and maintenance windows, notification
// templates. Each reads and writes through the same REST API as the CLI (admin scope for all but
// silences); what the API returns is only ever set as text.

import { api, apiForm, el, failure, field, notice, show, when } from "./core.js";

const KINDS = ["alertmanager", "grafana", "cloudwatch", "datadog", "pagerduty", "generic"];
const CHANNELS = ["email", "sms", "slack", "webhook"];
const DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

// ----------------------------------------------------------------------------- integrations
const SNIPPETS = {
  alertmanager: (url) => `# alertmanager.yml\nreceivers:\n  - name: vigil\n    webhook_configs:\n      - url: ${url}\n        send_resolved: true`,
  grafana: (url) => `Alerting → Contact points → New → Integration: Webhook\nURL: ${url}\nHTTP method: POST`,
  cloudwatch: (url) => `aws sns subscribe --topic-arn <your alarm topic ARN> \\\n  --protocol https --notification-endpoint '${url}'\n# Vigil confirms the subscription itself.`,
  datadog: (url) => `Integrations → Webhooks → New\nName: vigil\nURL: ${url}\nPayload: leave the default\nThen mention @webhook-vigil in a monitor's message.`,
  pagerduty: (url) => `Events API v2: send to ${url}\n(or to <your Vigil URL>/v2/enqueue with this token as routing_key)`,
  generic: (url) => `curl -X POST '${url}' -H 'Content-Type: application/json' \\\n  -d '{"title": "Disk full on web-7", "severity": "high"}'`,
};

export async function integrationsPage() {
  const list = el("ul", { class: "cards", id: "integration-list" });
  const created = el("section", { id: "created", "aria-live": "polite" });
  const name = el("input", { id: "integration-name", name: "name", required: true });
  const kind = el("select", { id: "integration-kind", name: "kind" }, KINDS.map((k) => el("option", { value: k }, k)));
  async function load() {
    try {
      const page = await api("GET", "/api/integrations");
      list.replaceChildren(...page.items.map((i) => el("li", {}, el("div", { class: "card" },
        el("strong", {}, i.name), el("div", { class: "meta" }, `${i.kind} · ${i.token_prefix}… · ${i.integration_id}`),
        el("div", { class: "actions" },
          el("button", { type: "button", onclick: async () => reveal(await api("POST", `/api/integrations/${i.integration_id}/rotate`, {})) },
            `Rotate token of ${i.name}`),
          el("button", { type: "button", onclick: () => sendTest(i, created) }, `Send a test alert to ${i.name}`))))));
    } catch (error) {
      list.replaceChildren(el("li", {}, failure(error)));
    }
  }
  function reveal(integration) {
    const copy = el("button", { type: "button", id: "copy-url", onclick: async () => {
      try { await navigator.clipboard.writeText(integration.url); copy.textContent = "Copied"; }
      catch { copy.textContent = "Select the URL and copy it"; }
    } }, "Copy URL");
    created.replaceChildren(el("h2", {}, `${integration.name}: shown once`),
      el("p", {}, "URL: ", el("code", { id: "integration-url" }, integration.url)), copy,
      el("h2", {}, `Setup in ${integration.kind}`), el("pre", { id: "setup-snippet" }, SNIPPETS[integration.kind](integration.url)));
    load();
  }
  const form = apiForm({ class: "inline" }, created, async () => {
    reveal(await api("POST", "/api/integrations", { name: name.value, kind: kind.value }));
    name.value = "";
  }, field("Name", name), field("Kind", kind), el("button", { class: "primary", type: "submit" }, "Create"));
  show(el("h1", {}, "Integrations"), form, created, el("h2", {}, "All integrations"), list);
  load();
}

// The test alert goes through Vigil's own pipeline, named after the integration: it checks
// routing and paging. (A sender's own "test" button checks the sender's side.)
async function sendTest(integration, out) {
  try {
    const sent = await api("POST", "/api/alerting/send", {
      title: `Test alert from ${integration.name}`, severity: "info", source: integration.kind,
      labels: { integration: integration.integration_id, vigil_test: "true" },
    });
    out.replaceChildren(el("p", { class: "notice", role: "status", id: "test-sent" },
      `Test alert ${sent.alert_id}: ${sent.action}${sent.incident_id ? ` (incident ${sent.incident_id})` : ""}.`));
  } catch (error) {
    out.replaceChildren(failure(error));
  }
}

// ----------------------------------------------------------------------------- teams
export async function teamsPage() {
  const list = el("ul", { class: "cards", id: "team-list" });
  const name = el("input", { id: "team-name", name: "name", required: true, pattern: "[a-z0-9][a-z0-9_\\-]{0,99}",
    title: "lower-case letters, digits, _ and -" });
  const problem = notice();
  const form = apiForm({ class: "inline" }, problem, async () => { location.hash = `#/setup/teams/${name.value}`; },
    field("New team", name), el("button", { class: "primary", type: "submit" }, "Create"));
  show(el("h1", {}, "Teams"), form, problem, list);
  try {
    const page = await api("GET", "/api/teams");
    list.replaceChildren(...page.items.map((t) => el("li", {}, el("a", { href: `#/setup/teams/${encodeURIComponent(t.name)}` },
      el("strong", {}, t.name),
      el("div", { class: "meta" }, `${t.members.map((m) => m.name).join(", ") || "no members"} · ${channelsOf(t).join(", ") || "no team channels"}`)))));
  } catch (error) {
    list.replaceChildren(el("li", {}, failure(error)));
  }
}

function channelsOf(team) {
  return [team.email_list.length ? "email list" : "", team.slack_webhook_url ? "Slack" : "", team.webhook_url ? "webhook" : ""]
    .filter(Boolean);
}

export async function teamPage(name) {
  let team = { name, members: [], slack_webhook_url: null, webhook_url: null, email_list: [] };
  try {
    team = await api("GET", `/api/teams/${encodeURIComponent(name)}`);
  } catch (error) {
    if (error.status !== 404) return show(el("h1", {}, name), failure(error));
  }
  const out = notice();
  const members = el("div", { id: "members" });
  const draw = () => members.replaceChildren(...team.members.map((m, i) => memberFields(team, i, draw)));
  draw();
  const text = (id, label, value, onchange, type = "text") =>
    field(label, el("input", { id, type, value: value || "", onchange: (e) => onchange(e.target.value.trim()) }));
  const save = apiForm({ id: "team-form" }, out, async () => {
    team = await api("PUT", `/api/teams/${encodeURIComponent(name)}`, {
      members: team.members, email_list: team.email_list,
      slack_webhook_url: team.slack_webhook_url || null, webhook_url: team.webhook_url || null,
    });
    out.textContent = `Saved ${team.name}.`;
  },
  el("h2", {}, "Members"), members,
  el("p", {}, el("button", { type: "button", onclick: () => { team.members.push({ name: "", contact_methods: [] }); draw(); } }, "Add member")),
  el("h2", {}, "Team channels"),
  text("team-emails", "Email list (comma separated)", team.email_list.join(", "),
    (v) => { team.email_list = v.split(/[,\s]+/).filter(Boolean); }),
  text("team-slack", "Slack incoming webhook URL", team.slack_webhook_url, (v) => { team.slack_webhook_url = v; }, "url"),
  text("team-webhook", "Webhook URL", team.webhook_url, (v) => { team.webhook_url = v; }, "url"),
  el("p", {}, el("button", { class: "primary", type: "submit" }, "Save team")));
  show(el("p", {}, el("a", { class: "back", href: "#/setup/teams" }, "← Teams")), el("h1", {}, `Team ${name}`), save, out);
}

function memberFields(team, index, redraw) {
  const member = team.members[index];
  const id = `member-${index}`;
  const methods = member.contact_methods.map((method, j) => el("div", { class: "row" },
    field("Channel", el("select", { id: `${id}-type-${j}`, onchange: (e) => { method.type = e.target.value; } },
      CHANNELS.map((c) => el("option", { value: c, selected: method.type === c }, c)))),
    field("Address", el("input", { id: `${id}-address-${j}`, value: method.address, required: true,
      onchange: (e) => { method.address = e.target.value.trim(); } })),
    el("button", { type: "button", onclick: () => { member.contact_methods.splice(j, 1); redraw(); } },
      `Remove ${method.type} of ${member.name || "member"}`)));
  return el("fieldset", { class: "member" }, el("legend", {}, member.name || `Member ${index + 1}`),
    field("Name", el("input", { id: `${id}-name`, value: member.name, required: true,
      onchange: (e) => { member.name = e.target.value.trim(); } })),
    methods,
    el("div", { class: "actions" },
      el("button", { type: "button", onclick: () => { member.contact_methods.push({ type: "email", address: "" }); redraw(); } },
        "Add contact method"),
      el("button", { type: "button", onclick: () => { team.members.splice(index, 1); redraw(); } },
        `Remove ${member.name || "member"}`)));
}

// ----------------------------------------------------------------------------- silences
const HOURS = [1, 2, 4, 8, 24, 72, 168];

export async function silencesPage() {
  const out = notice();
  const list = el("ul", { class: "cards", id: "silence-list" });
  const windows = el("ul", { class: "cards", id: "window-list" });
  const windowArea = el("div", {});
  show(el("h1", {}, "Silences"),
    el("p", { class: "meta" }, "Alerts a silence matches are stored and shown as silenced, and page no one."),
    silenceForm(out, () => loadSilences(list, out)), out, el("h2", {}, "Active and coming"), list,
    el("h2", {}, "Maintenance windows"),
    el("p", { class: "meta" }, "Weekly, in UTC, per integration: its alerts page no one during the window."),
    windowArea, windows);
  loadSilences(list, out);
  loadWindows(windows, out);
  windowArea.replaceChildren(await windowForm(out, () => loadWindows(windows, out)));
}

function silenceForm(out, reload) {
  const matchers = [{ name: "", op: "=", value: "" }];
  const rows = el("div", { id: "matchers" });
  const draw = () => rows.replaceChildren(...matchers.map((m, i) => el("div", { class: "row" },
    field("Field", el("input", { id: `matcher-name-${i}`, value: m.name, required: true, placeholder: "labels.host",
      onchange: (e) => { m.name = e.target.value.trim(); } })),
    field("Match", el("select", { id: `matcher-op-${i}`, onchange: (e) => { m.op = e.target.value; } },
      ["=", "!=", "=~", "!~"].map((op) => el("option", { value: op, selected: m.op === op }, op)))),
    field("Value", el("input", { id: `matcher-value-${i}`, value: m.value,
      onchange: (e) => { m.value = e.target.value; } })))));
  draw();
  const hours = el("select", { id: "silence-hours" }, HOURS.map((h) => el("option", { value: h }, h < 24 ? `${h} h` : `${h / 24} d`)));
  const comment = el("input", { id: "silence-comment", required: true });
  return apiForm({ id: "silence-form" }, out, async () => {
    const starts = new Date();
    const ends = new Date(starts.getTime() + Number(hours.value) * 3600_000);
    const made = await api("POST", "/api/silences", {
      matchers, starts_at: starts.toISOString(), ends_at: ends.toISOString(), comment: comment.value,
    });
    out.textContent = `Silenced until ${when(made.ends_at)}.`;
    reload();
  }, rows,
  el("p", {}, el("button", { type: "button", onclick: () => { matchers.push({ name: "", op: "=", value: "" }); draw(); } }, "Add matcher")),
  field("For", hours), field("Why", comment),
  el("p", {}, el("button", { class: "primary", type: "submit" }, "Silence")));
}

async function loadSilences(list, out) {
  try {
    const page = await api("GET", "/api/silences");
    list.replaceChildren(...page.items.map((s) => el("li", {}, el("div", { class: "card" },
      el("strong", {}, s.comment),
      el("ul", { class: "labels" }, s.matchers.map((m) => el("li", {}, `${m.name} ${m.op} ${m.value}`))),
      el("div", { class: "meta" }, `${when(s.starts_at)} → ${when(s.ends_at)} · by ${s.created_by}`),
      el("button", { type: "button", onclick: async () => {
        try { await api("DELETE", `/api/silences/${s.silence_id}`); loadSilences(list, out); }
        catch (error) { out.replaceChildren(failure(error)); }
      } }, `Expire “${s.comment}” now`)))));
    if (!page.items.length) list.append(el("li", {}, el("p", { class: "meta card" }, "No silences.")));
  } catch (error) {
    list.replaceChildren(el("li", {}, failure(error)));
  }
}

async function windowForm(out, reload) {
  let integrations = [];
  try { integrations = (await api("GET", "/api/integrations")).items; } catch (error) { return failure(error); }
  if (!integrations.length) return el("p", { class: "meta" }, "Create an integration first.");
  const which = el("select", { id: "window-integration" }, integrations.map((i) => el("option", { value: i.integration_id }, i.name)));
  const days = DAYS.map((d) => el("label", { class: "check" }, el("input", { type: "checkbox", value: d, id: `window-day-${d}` }), d));
  const start = el("input", { id: "window-start", type: "time", required: true, value: "02:00" });
  const end = el("input", { id: "window-end", type: "time", required: true, value: "04:00" });
  const comment = el("input", { id: "window-comment" });
  return apiForm({ id: "window-form" }, out, async () => {
    const chosen = days.map((d) => d.querySelector("input")).filter((i) => i.checked).map((i) => i.value);
    await changeWindows(which.value, (all) => [...all, { days: chosen, start: start.value, end: end.value, comment: comment.value }]);
    out.textContent = "Maintenance window added.";
    reload();
  }, field("Integration", which),
  el("fieldset", { class: "days" }, el("legend", {}, "Days"), days),
  el("div", { class: "row" }, field("From (UTC)", start), field("To (UTC)", end)), field("Why", comment),
  el("p", {}, el("button", { class: "primary", type: "submit" }, "Add window")));
}

// Windows live in the integration's settings, which a PATCH replaces whole.
async function changeWindows(integrationId, change) {
  const integration = await api("GET", `/api/integrations/${integrationId}`);
  const settings = { ...integration.settings };
  settings.maintenance_windows = change(settings.maintenance_windows || []);
  await api("PATCH", `/api/integrations/${integrationId}`, { settings });
}

async function loadWindows(list, out) {
  try {
    const page = await api("GET", "/api/integrations");
    const rows = page.items.flatMap((i) => (i.settings.maintenance_windows || []).map((w, n) => el("li", {}, el("div", { class: "card" },
      el("strong", {}, `${i.name}: ${w.days.join(", ")} ${w.start}–${w.end} UTC`),
      w.comment ? el("div", { class: "meta" }, w.comment) : null,
      el("button", { type: "button", onclick: async () => {
        try { await changeWindows(i.integration_id, (all) => all.filter((_, k) => k !== n)); loadWindows(list, out); }
        catch (error) { out.replaceChildren(failure(error)); }
      } }, `End window ${n + 1} of ${i.name}`)))));
    list.replaceChildren(...rows);
    if (!rows.length) list.append(el("li", {}, el("p", { class: "meta card" }, "No maintenance windows.")));
  } catch (error) {
    list.replaceChildren(el("li", {}, failure(error)));
  }
}

// ----------------------------------------------------------------------------- templates
const SEVERITIES = ["", "emergency", "critical", "high", "medium", "low", "info"];

export async function templatesPage() {
  const out = notice();
  const list = el("ul", { class: "cards", id: "template-list" });
  const which = el("select", { id: "template-id" },
    ["email_subject", "email_html", "email_text", "sms_text"].map((t) => el("option", { value: t }, t)));
  const severity = el("select", { id: "template-severity" }, SEVERITIES.map((s) => el("option", { value: s }, s || "every severity")));
  const source = el("textarea", { id: "template-source", rows: "8", required: true });
  const preview = el("pre", { id: "template-preview", "aria-live": "polite" });
  const templateId = () => (severity.value ? `${which.value}:${severity.value}` : which.value);
  let templates = [];
  const fill = () => {
    const found = templates.find((t) => t.template_id === templateId()) || templates.find((t) => t.template_id === which.value);
    source.value = found ? found.source : "";
  };
  which.addEventListener("change", fill);
  severity.addEventListener("change", fill);
  // The preview is the server's rendering (its sandbox), shown as text: markup a template
  // writes is visible, never run.
  const previewButton = el("button", { type: "button", id: "preview", onclick: async () => {
    try {
      preview.textContent = (await api("POST", `/api/alerting/templates/${templateId()}/preview`, { source: source.value })).preview;
      out.textContent = "";
    } catch (error) { out.replaceChildren(failure(error)); }
  } }, "Preview");
  const reset = el("button", { type: "button", onclick: async () => {
    try { await api("DELETE", `/api/alerting/templates/${templateId()}`); out.textContent = `${templateId()} is the default again.`; await load(); }
    catch (error) { out.replaceChildren(failure(error)); }
  } }, "Back to default");
  const form = apiForm({ id: "template-form" }, out, async () => {
    const saved = await api("PUT", `/api/alerting/templates/${templateId()}`, { source: source.value });
    preview.textContent = saved.preview;
    out.textContent = `Saved ${saved.template_id}.`;
    await load();
  }, el("div", { class: "row" }, field("Template", which), field("Severity", severity)),
  field("Source (jinja2; names: incident, links)", source),
  el("div", { class: "actions" }, previewButton, el("button", { class: "primary", type: "submit" }, "Save"), reset));
  async function load() {
    try {
      templates = (await api("GET", "/api/alerting/templates")).items;
      list.replaceChildren(...templates.map((t) => el("li", {}, el("div", { class: "card" },
        el("strong", {}, t.template_id), el("span", { class: "meta" }, t.custom ? " · yours" : " · default")))));
    } catch (error) {
      list.replaceChildren(el("li", {}, failure(error)));
    }
  }
  show(el("h1", {}, "Notification templates"), form, out,
    el("h2", {}, "Preview for a sample incident"), preview, el("h2", {}, "Templates"), list);
  await load();
  fill();
}
