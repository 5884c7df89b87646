// On call: who is on call now on each schedule, the week ahead's final schedule drawn as a
// timeline (one row per layer or override that decides a stretch, and the final row), and
// creating an override. Bars are placed through the CSSOM (element.style), which the page's
// Content-Security-Policy allows, unlike inline style attributes.

import { api, apiForm, el, failure, field, notice, show, when } from "./core.js";

const DAY_MS = 24 * 3600_000;
const WEEK_MS = 7 * DAY_MS;

export async function oncallPage() {
  const out = notice();
  const since = startOfToday();
  const until = new Date(since.getTime() + WEEK_MS);
  let schedules;
  let people;
  try {
    [schedules, people] = await Promise.all([api("GET", "/api/schedules"), api("GET", "/api/users")]);
  } catch (error) {
    return show(el("h1", {}, "On call"), failure(error));
  }
  const names = Object.fromEntries(people.items.map((p) => [p.user_id, p.name]));
  const sections = el("div", { id: "schedules" });
  show(el("h1", {}, "On call"), overrideForm(schedules.items, people.items, out, () => oncallPage()), out, sections);
  if (!schedules.items.length) sections.append(el("p", { class: "meta" }, "No schedules yet."));
  sections.append(...await Promise.all(schedules.items.map((s) => scheduleSection(s, names, since, until))));
}

function startOfToday() {
  const today = new Date();
  today.setHours(0, 0, 0, 0);
  return today;
}

async function scheduleSection(schedule, names, since, until) {
  const path = `/api/schedules/${encodeURIComponent(schedule.schedule_id)}/oncall`;
  const id = `schedule-${schedule.schedule_id}`;
  try {
    const [now, week] = await Promise.all([
      api("GET", path),
      api("GET", `${path}?${new URLSearchParams({ since: since.toISOString(), until: until.toISOString() })}`),
    ]);
    const current = now.shifts[0];
    return el("section", { id, class: "schedule" }, el("h2", {}, schedule.name),
      el("p", { class: "now" }, current
        ? [el("strong", {}, names[current.user_id] || current.user_id), ` is on call until ${when(current.end)}`]
        : el("span", { class: "error" }, "Nobody is on call now.")),
      timeline(schedule, week, names, since),
      shiftList(week, names, schedule));
  } catch (error) {
    return el("section", { id }, el("h2", {}, schedule.name), failure(error));
  }
}

function sourceName(source, schedule) {
  const [kind, ref] = source.split(":");
  if (kind === "layer") {
    const layer = schedule.layers[Number(ref)];
    return (layer && layer.name) || `Layer ${Number(ref) + 1}`;
  }
  return "Override";
}

// Rows: each layer or override that decides some stretch of the week, then the final schedule.
function timeline(schedule, week, names, since) {
  const sources = [...new Set(week.shifts.map((s) => sourceName(s.source, schedule)))];
  const rows = [...sources.map((source) => [source, week.shifts.filter((s) => sourceName(s.source, schedule) === source)]),
    ["Final", week.shifts]];
  const days = Array.from({ length: 7 }, (_, i) => new Date(since.getTime() + i * DAY_MS));
  return el("div", { class: "timeline-chart", role: "img",
    "aria-label": `${schedule.name}: the week's final schedule; the list below says the same` },
  el("div", { class: "chart-row chart-days" }, el("span", { class: "chart-label" }, ""),
    el("div", { class: "chart-track" }, days.map((d) => place(el("span", { class: "chart-day" },
      d.toLocaleDateString(undefined, { weekday: "short", day: "numeric" })), d.getTime(), d.getTime() + DAY_MS, since)))),
  rows.map(([label, shifts]) => el("div", { class: `chart-row${label === "Final" ? " chart-final" : ""}` },
    el("span", { class: "chart-label" }, label),
    el("div", { class: "chart-track" }, shifts.map((s) => place(
      el("span", { class: `chart-bar ${s.source.startsWith("override") ? "bar-override" : "bar-layer"}`,
        title: `${names[s.user_id] || s.user_id}: ${when(s.start)} → ${when(s.end)}` }, names[s.user_id] || s.user_id),
      Date.parse(s.start), Date.parse(s.end), since))))));
}

function place(node, start, end, since) {
  const from = Math.max(0, (start - since.getTime()) / WEEK_MS);
  const to = Math.min(1, (end - since.getTime()) / WEEK_MS);
  node.style.left = `${(from * 100).toFixed(3)}%`;
  node.style.width = `${(Math.max(0, to - from) * 100).toFixed(3)}%`;
  return node;
}

function shiftList(week, names, schedule) {
  return el("details", {}, el("summary", {}, "The week as a list"),
    el("ul", { class: "shift-list" }, week.shifts.map((s) => el("li", {},
      `${when(s.start)} → ${when(s.end)}: ${names[s.user_id] || s.user_id} (${sourceName(s.source, schedule)})`)),
    week.gaps.map((g) => el("li", { class: "error" }, `${when(g.start)} → ${when(g.end)}: nobody`))));
}

function overrideForm(schedules, people, out, reload) {
  if (!schedules.length || !people.length) return null;
  const schedule = el("select", { id: "override-schedule" },
    schedules.map((s) => el("option", { value: s.schedule_id }, s.name)));
  const person = el("select", { id: "override-person" }, people.map((p) => el("option", { value: p.user_id }, p.name)));
  const start = el("input", { id: "override-start", type: "datetime-local", required: true });
  const end = el("input", { id: "override-end", type: "datetime-local", required: true });
  return apiForm({ id: "override-form" }, out, async () => {
    await api("POST", `/api/schedules/${encodeURIComponent(schedule.value)}/overrides`, {
      user_id: person.value, start: new Date(start.value).toISOString(), end: new Date(end.value).toISOString(),
    });
    await reload();
    document.getElementById("notice").textContent = "Override created.";
  }, el("h2", {}, "Create an override"),
  el("div", { class: "row" }, field("Schedule", schedule), field("Who", person)),
  el("div", { class: "row" }, field("From (your time)", start), field("Until", end)),
  el("p", {}, el("button", { class: "primary", type: "submit" }, "Create override")));
}
