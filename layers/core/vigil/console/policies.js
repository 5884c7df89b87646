// The escalation policies: named ladders a service pages through (`default` is the global one).
// Rung 0 pages the policy's targets at once; each rule is a later rung, some minutes after the
// one before; the whole ladder repeats, then the fallback is paged. The dry-run is the server's
// simulation (POST /api/incident_response/escalation-rules/simulate with policy_id): who is
// paged at what minute, drawn as a timeline. Nothing is paged by it.

import { api, el, failure, field, fieldFailures, notice, show } from "./core.js";

const SEVERITIES = ["emergency", "critical", "high", "medium", "low", "info"];
const CHANNELS = ["email", "sms", "slack", "webhook"];
const SIMULATE = "/api/incident_response/escalation-rules/simulate";
const POLICIES = "/api/escalation-policies";

export async function policiesPage() {
  const list = el("ul", { class: "cards", id: "policy-list" });
  show(el("h1", {}, "Escalation policies"),
    el("p", {}, el("a", { class: "button", id: "new-policy", href: "#/setup/policies/new" }, "New policy")), list);
  try {
    const page = await api("GET", POLICIES);
    list.replaceChildren(...page.items.map((p) => el("li", {}, el("a", { href: `#/setup/policies/${encodeURIComponent(p.policy_id)}` },
      el("strong", {}, p.name),
      el("div", { class: "meta" }, `${p.policy_id} · rung 0: ${p.targets.join(", ") || "the assigned team"} · ${p.rules.length} more rungs · repeats ${p.repeat}× · fallback ${p.fallback_target || "none"}`)))));
  } catch (error) {
    list.replaceChildren(el("li", {}, failure(error)));
  }
}

export async function policyPage(policyId) {
  const isNew = policyId === "new";
  let policy = { name: "", targets: [], rules: [], repeat: 0, repeat_after_seconds: 900, fallback_target: "" };
  if (!isNew) {
    try { policy = await api("GET", `${POLICIES}/${encodeURIComponent(policyId)}`); }
    catch (error) { return show(el("h1", {}, policyId), failure(error)); }
  }
  const out = notice();
  const rungs = el("div", { id: "rungs" });
  const draw = () => rungs.replaceChildren(...policy.rules.map((rule, i) => rungFields(policy, i, draw)));
  draw();
  const input = (id, label, value, onchange, attributes = {}) =>
    field(label, el("input", { id, value: value ?? "", ...attributes, onchange: (e) => onchange(e.target.value.trim()) }));
  const dryRun = el("section", { id: "dry-run", "aria-live": "polite" });
  const form = el("form", { id: "policy-form", onsubmit: async (event) => {
    event.preventDefault();
    try {
      const body = { name: policy.name, targets: policy.targets, rules: policy.rules.map(ruleBody), repeat: Number(policy.repeat),
        repeat_after_seconds: policy.repeat_after_seconds, fallback_target: policy.fallback_target || null };
      const creating = policyId === "new";
      const saved = creating ? await api("POST", POLICIES, body) : await api("PUT", `${POLICIES}/${encodeURIComponent(policyId)}`, body);
      out.textContent = `Saved ${saved.name} (${saved.policy_id}).`;
      if (creating) history.replaceState(null, "", `#/setup/policies/${encodeURIComponent(saved.policy_id)}`);
      policy = saved;
      policyId = saved.policy_id;
    } catch (error) {
      out.replaceChildren(fieldFailures(error));
    }
  } },
  input("policy-name", "Name", policy.name, (v) => { policy.name = v; }, { required: true }),
  input("policy-targets", "Rung 0 pages at once (comma separated: user:<id>, schedule:<id>, a team)", policy.targets.join(", "),
    (v) => { policy.targets = v.split(/[,\s]+/).filter(Boolean); }),
  el("h2", {}, "Later rungs"), rungs,
  el("p", {}, el("button", { type: "button", onclick: () => {
    policy.rules.push({ escalation_level: policy.rules.length + 1, escalate_to: "", escalate_after_minutes: 5,
      notification_channels: ["email", "slack"] });
    draw();
  } }, "Add rung")),
  el("div", { class: "row" },
    input("policy-repeat", "Repeat the ladder (times)", String(policy.repeat), (v) => { policy.repeat = Number(v); },
      { type: "number", min: "0", max: "10" }),
    input("policy-repeat-after", "Repeat after (minutes)", String(Math.round(policy.repeat_after_seconds / 60)),
      (v) => { policy.repeat_after_seconds = Math.round(Number(v) * 60); }, { type: "number", min: "1" }),
    input("policy-fallback", "Then page (fallback)", policy.fallback_target, (v) => { policy.fallback_target = v; })),
  el("p", {}, el("button", { class: "primary", type: "submit" }, "Save policy")));
  show(el("p", {}, el("a", { class: "back", href: "#/setup/policies" }, "← Escalation policies")),
    el("h1", {}, isNew ? "New escalation policy" : `Policy ${policy.name}`), form, out,
    el("h2", {}, "Dry-run"), dryRunForm(() => policyId, dryRun), dryRun);
}

function ruleBody(rule) {
  const { escalate_after_seconds: _seconds, ...rest } = rule;
  return rest;
}

function rungFields(policy, index, redraw) {
  const rule = policy.rules[index];
  const id = `rung-${index}`;
  return el("fieldset", { class: "member", id }, el("legend", {}, `Rung ${index + 1}`),
    el("div", { class: "row" },
      field("Pages", el("input", { id: `${id}-to`, value: rule.escalate_to, required: true, placeholder: "user:ann",
        onchange: (e) => { rule.escalate_to = e.target.value.trim(); } })),
      field("Minutes after the rung before", el("input", { id: `${id}-after`, type: "number", min: "0", step: "any", required: true,
        value: String(rule.escalate_after_minutes ?? 0),
        onchange: (e) => { rule.escalate_after_minutes = Number(e.target.value); } }))),
    el("fieldset", { class: "days" }, el("legend", {}, "Channels (for a team)"),
      CHANNELS.map((c) => el("label", { class: "check" }, el("input", { type: "checkbox", id: `${id}-channel-${c}`,
        checked: rule.notification_channels.includes(c), onchange: (e) => {
          rule.notification_channels = e.target.checked
            ? [...rule.notification_channels, c] : rule.notification_channels.filter((x) => x !== c);
        } }), c))),
    el("button", { type: "button", onclick: () => {
      policy.rules.splice(index, 1);
      policy.rules.forEach((r, i) => { r.escalation_level = i + 1; });
      redraw();
    } }, `Remove rung ${index + 1}`));
}

function dryRunForm(currentId, out) {
  const severity = el("select", { id: "dry-run-severity" }, SEVERITIES.map((s) => el("option", { value: s, selected: s === "critical" }, s)));
  return el("form", { class: "inline", id: "dry-run-form", onsubmit: async (event) => {
    event.preventDefault();
    if (currentId() === "new") return out.replaceChildren(el("p", { class: "meta" }, "Save the policy first."));
    try {
      out.replaceChildren(ladderTimeline(await api("POST", SIMULATE, { severity: severity.value, policy_id: currentId() })));
    } catch (error) {
      out.replaceChildren(fieldFailures(error));
    }
  } }, field("For an incident of severity", severity),
  el("button", { type: "submit" }, "Dry-run"));
}

const minute = (seconds) => Math.round(seconds / 6) / 10;

// One row per page the ladder would send with nobody acknowledging: the minute, the rung and
// round, who; a bar marks the minute on a shared scale. Skipped rungs (a condition that does
// not match) are shown as skipped.
function ladderTimeline(result) {
  const end = Math.max(result.exhausted_at_seconds || 0, ...result.rungs.map((r) => r.at_seconds), 1);
  const rows = result.rungs.map((r) => {
    const mark = el("span", { class: "chart-bar bar-layer" }, `${minute(r.at_seconds)} min`);
    mark.style.left = `${((r.at_seconds / end) * 85).toFixed(3)}%`;
    mark.style.width = "15%";
    return el("li", { class: r.skipped ? "skipped" : "" },
      el("div", { class: "rung-line" }, el("strong", {}, `minute ${minute(r.at_seconds)}`),
        ` · rung ${r.rung}${r.round ? `, round ${r.round + 1}` : ""}: `,
        r.skipped ? "skipped (its condition does not match)" : `${r.targets.join(", ") || "nobody"} (${r.channels.join(", ")})`),
      el("div", { class: "chart-track rung-track", "aria-hidden": "true" }, mark));
  });
  return el("div", {},
    el("ol", { class: "timeline", id: "dry-run-timeline" }, rows),
    el("p", { class: "meta", id: "dry-run-end" }, result.exhausted_at_seconds === null
      ? "The ladder does not run out."
      : `The ladder runs out at minute ${minute(result.exhausted_at_seconds)}${result.rungs.length ? "" : " (no rungs)"}.`));
}
