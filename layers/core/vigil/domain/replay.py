"""Replay: stored alerts run again through the domain under a configuration, with the clock set
to each arrival. Pure: what would have opened, who would have been paged and when.

The same decisions as ingestion and the ladder: a firing alert pages if its severity opens
incidents and no silence or maintenance window covers it at that moment; a repeat of a firing
alert is a duplicate; alerts of one correlation key join the incident holding the key's window;
an incident is assigned by the assignment rules and paged rung by rung as its ladder would,
until it was acknowledged or resolved in reality (`stops`), or until its alerts all resolved.

Its policy is its service's (an assignment rule naming `service:<id>`, else the service of the
integration the alert came in by, else the global policy). A `user:` target pages that person, a
`schedule:` target whoever the final schedule has on call at the page's moment (one final
schedule per schedule, computed once for the whole period), a team its members. A person
paged by `user:` or `schedule:` is notified by their own rules for the incident's urgency, as
the live path does (vigil.domain.people.page_steps), each step counted if it came due before
the incident stopped. A person's hours and nights are counted in their own time zone.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from vigil.domain.alerts import AlertStatus, NormalizedAlert
from vigil.domain.conditions import names_in
from vigil.domain.escalation import EscalationPolicy, Simulation, simulate
from vigil.domain.incidents import AssignmentRules, StoredIncident, condition_context, hypothetical
from vigil.domain.mapping import grouped
from vigil.domain.model import Model
from vigil.domain.oncall import DEFAULT_ID, target_of, urgency_of
from vigil.domain.people import NotificationStep, PersonIn, Urgency, page_steps, steps_before_stop
from vigil.domain.schedules import Schedule, Shift, final_schedule, time_zone, wall_clock
from vigil.domain.silences import MaintenanceWindow, Silence, silenced_by
from vigil.domain.teams import AlertingRules, Team, destinations

NIGHT_HOURS = frozenset({22, 23, 0, 1, 2, 3, 4, 5, 6})
IncidentKey = tuple[str, datetime]  # (the alert that opened it, the moment its episode started)


class ReplayedAlert(Model):
    """A stored alert as replay takes it: parsed again from its payload, with its arrivals."""

    alert_id: str
    integration_id: str
    alert: NormalizedAlert
    arrivals: list[tuple[datetime, AlertStatus]]


class Source(Model):
    """What replay needs of an integration's settings."""

    correlation_window_seconds: int = 600
    page_on_unknown: bool = False
    maintenance_windows: list[MaintenanceWindow] = []
    grouping_key: str | None = None
    service_id: str | None = None


DEFAULT_SOURCE = Source()


@dataclass(frozen=True)
class Rules:
    """A configuration, as replay uses it."""

    alerting: AlertingRules
    assignment: AssignmentRules
    policy: EscalationPolicy
    silences: list[Silence]
    teams: dict[str, Team]
    policies: dict[str, EscalationPolicy] = field(default_factory=dict)  # named, by policy id
    services: dict[str, str] = field(default_factory=dict)  # service id -> its policy id
    schedules: dict[str, Schedule] = field(default_factory=dict)
    people: dict[str, PersonIn] = field(default_factory=dict)  # by user id

    def policy_id_for(self, assigned: str, service_id: str | None) -> str:
        """As the ladder chooses: the service an assignment rule names, else the integration's."""
        kind, name = target_of(assigned)
        service = name if kind == "service" else service_id
        policy_id = self.services.get(service or DEFAULT_ID, DEFAULT_ID)
        return policy_id if policy_id in self.policies else DEFAULT_ID

    def policy_of(self, policy_id: str) -> EscalationPolicy:
        return self.policies.get(policy_id, self.policy)


@dataclass(frozen=True)
class Notification:
    """One message a page sends: when, and by which type of contact method."""

    at: datetime
    method: str  # email, sms, slack or webhook


@dataclass(frozen=True)
class Page:
    at: datetime
    team: str  # the team, or the `user:`/`schedule:` target that paged
    person: str  # a member's name, "team:<name>" for a team-level destination, or a user id
    time_zone: str = "UTC"  # the person's, for their hours and nights
    notifications: tuple[Notification, ...] = ()


@dataclass
class Incident:
    key: IncidentKey
    alert: NormalizedAlert
    team: str
    service_id: str | None
    opened_at: datetime
    stops_at: datetime | None
    firing: int = 1
    alerts: set[str] = field(default_factory=set)
    pages: list[Page] = field(default_factory=list)

    def active(self, at: datetime) -> bool:
        return self.stops_at is None or at < self.stops_at


@dataclass
class Outcome:
    incidents: list[Incident]
    silenced: int
    paging_alerts: set[str]
    unreachable: Counter[str]


@dataclass
class _State:
    rules: Rules
    sources: dict[str, Source]
    stops: Callable[[IncidentKey], datetime | None]
    incidents: dict[IncidentKey, Incident] = field(default_factory=dict)
    firing: dict[str, tuple[Incident, datetime]] = field(default_factory=dict)  # alert -> incident, last seen
    windows: dict[tuple[str, str], tuple[Incident, datetime]] = field(default_factory=dict)
    silenced: int = 0


def replay(
    alerts: list[ReplayedAlert],
    rules: Rules,
    sources: dict[str, Source],
    stops: Callable[[IncidentKey], datetime | None],
    until: datetime,
) -> Outcome:
    """Every arrival in time order; then each incident's ladder, up to when it stopped."""
    state = _State(rules, sources, stops)
    keyed = {a.alert_id: _grouped(a, sources.get(a.integration_id) or DEFAULT_SOURCE) for a in alerts}
    arrivals = sorted((at, a.alert_id, status) for a in alerts for at, status in a.arrivals if at <= until)
    for at, alert_id, status in arrivals:
        _arrive(state, keyed[alert_id], status, at)
    unreachable: Counter[str] = Counter()
    ladders = _Ladders(rules, OnCallTable(rules.schedules, arrivals[0][0] if arrivals else until, until))
    for incident in state.incidents.values():
        _page(incident, rules, ladders, until, unreachable)
    paging = {a for i in state.incidents.values() if i.pages for a in i.alerts}
    return Outcome(list(state.incidents.values()), state.silenced, paging, unreachable)


def _grouped(stored: ReplayedAlert, source: Source) -> ReplayedAlert:
    if not source.grouping_key:
        return stored
    return stored.model_copy(update={"alert": grouped([stored.alert], source.grouping_key)[0]})


def _arrive(state: _State, stored: ReplayedAlert, status: AlertStatus, at: datetime) -> None:
    source = state.sources.get(stored.integration_id) or DEFAULT_SOURCE
    alert = stored.alert  # silences match fields, never the status: no copy per arrival
    if status is AlertStatus.RESOLVED:
        _resolve(state, stored.alert_id, at)
        return
    firing = status is AlertStatus.FIRING or (status is AlertStatus.UNKNOWN and source.page_on_unknown)
    if not firing or alert.suppressed or not state.rules.alerting.opens_incident(alert.severity):
        return
    if silenced_by(alert, state.rules.silences, source.maintenance_windows, at):
        state.silenced += 1
        return
    window = timedelta(seconds=source.correlation_window_seconds)
    current = state.firing.get(stored.alert_id)
    if current and (at - current[1] <= window or current[0].active(at)):
        state.firing[stored.alert_id] = (current[0], at)
        return
    incident = _join_or_open(state, stored, alert, at, window)
    incident.alerts.add(stored.alert_id)
    state.firing[stored.alert_id] = (incident, at)


def _join_or_open(
    state: _State, stored: ReplayedAlert, alert: NormalizedAlert, at: datetime, window: timedelta
) -> Incident:
    pointer = (stored.integration_id, alert.correlation_key) if alert.correlation_key else None
    held = state.windows.get(pointer) if pointer else None
    if held and at <= held[1] and held[0].active(at):
        held[0].firing += 1
        return held[0]
    key = (stored.alert_id, at)
    team = state.rules.assignment.assign(alert.severity.value, alert.category)
    source = state.sources.get(stored.integration_id) or DEFAULT_SOURCE
    incident = Incident(key, alert, team, source.service_id, at, state.stops(key))
    state.incidents[key] = incident
    if pointer:
        state.windows[pointer] = (incident, at + window)
    return incident


def _resolve(state: _State, alert_id: str, at: datetime) -> None:
    current = state.firing.pop(alert_id, None)
    if current is None:
        return
    incident = current[0]
    incident.firing -= 1
    if incident.firing <= 0 and state.rules.alerting.resolve_incidents_with_alerts and incident.active(at):
        incident.stops_at = at


class OnCallTable:
    """Who each schedule has on call over the replayed period: one final schedule per schedule,
    computed once, then a binary search per page."""

    def __init__(self, schedules: dict[str, Schedule], since: datetime, until: datetime) -> None:
        self.schedules = schedules
        self.since, self.until = since, until + timedelta(seconds=1)
        self.shifts: dict[str, tuple[list[datetime], list[Shift]]] = {}

    def at(self, schedule_id: str, moment: datetime) -> str | None:
        if schedule_id not in self.schedules:
            return None
        if schedule_id not in self.shifts:
            shifts = final_schedule(self.schedules[schedule_id], self.since, self.until)
            self.shifts[schedule_id] = ([s.start for s in shifts], shifts)
        starts, shifts = self.shifts[schedule_id]
        index = bisect_right(starts, moment) - 1
        return shifts[index].user_id if index >= 0 and moment < shifts[index].end else None


class _Ladders:
    """Ladders differ only by policy and what its conditions read: one simulation per difference;
    and a person's steps only by urgency: worked out once per person and urgency."""

    def __init__(self, rules: Rules, on_call: OnCallTable) -> None:
        self.rules = rules
        self.on_call = on_call
        policies = [rules.policy, *rules.policies.values()]
        self.names = sorted({n for p in policies for rule in p.rules for n in names_in(rule.condition)})
        self.known: dict[tuple[Any, ...], Simulation] = {}
        self.known_steps: dict[tuple[str, Urgency], list[NotificationStep]] = {}

    def plan(self, record: StoredIncident, policy_id: str) -> Simulation:
        context = condition_context(record)
        read = tuple(repr(context.get(name)) for name in self.names)
        key = (policy_id, record.severity, record.category, record.assigned_team, *read)
        if key not in self.known:
            channels = self.rules.alerting.channels(record.severity, record.category)
            self.known[key] = simulate(self.rules.policy_of(policy_id), record, channels)
        return self.known[key]

    def steps(self, user_id: str, person: PersonIn, urgency: Urgency) -> list[NotificationStep]:
        """What a page to the person sends if never acknowledged (the live path's steps)."""
        if (user_id, urgency) not in self.known_steps:
            self.known_steps[user_id, urgency] = page_steps(person, urgency)[0]
        return self.known_steps[user_id, urgency]


def _page(
    incident: Incident, rules: Rules, ladders: _Ladders, until: datetime, unreachable: Counter[str]
) -> None:
    policy_id = rules.policy_id_for(incident.team, incident.service_id)
    plan = ladders.plan(incident_record(incident), policy_id)
    end = min(incident.stops_at or until, until)
    reach = _Reach(ladders, urgency_of(incident.alert.severity.value), end)
    for rung in plan.rungs:
        at = incident.opened_at + timedelta(seconds=rung.at_seconds)
        if rung.skipped or (rung.at_seconds > 0 and at >= end):
            continue
        for target in rung.targets:
            found = reach.pages(target, rung.channels, at)
            incident.pages += found
            if not found:
                unreachable[target] += 1


@dataclass(frozen=True)
class _Reach:
    """Who a target reaches for one incident, whose pages stop at `end`."""

    ladders: _Ladders
    urgency: Urgency
    end: datetime

    def pages(self, target: str, channels: list[str], at: datetime) -> list[Page]:
        kind, name = target_of(target)
        rules = self.ladders.rules
        if kind == "team":
            return pages_to(rules.teams.get(name) or Team(name=name), channels, at)
        user_id = (
            name if kind == "user" else self.ladders.on_call.at(name, at) if kind == "schedule" else None
        )
        person = rules.people.get(user_id) if user_id else None
        if person is None or user_id is None:
            return []
        return [self._person_page(user_id, person, target, at)]

    def _person_page(self, user_id: str, person: PersonIn, target: str, at: datetime) -> Page:
        """Each step of the person's rules sent if it came due before the incident stopped (the
        steps at the page always go out with it)."""
        stopped_after = (self.end - at).total_seconds() / 60
        steps = steps_before_stop(self.ladders.steps(user_id, person, self.urgency), stopped_after)
        notifications = tuple(
            Notification(at + timedelta(minutes=step.after_minutes), step.contact_method.type)
            for step in steps
        )
        return Page(at, target, user_id, person.time_zone, notifications)


def incident_record(incident: Incident) -> StoredIncident:
    alert = incident.alert
    return hypothetical(
        title=alert.title,
        severity=alert.severity.value,
        category=alert.category,
        assigned_team=incident.team,
        source=alert.source,
        labels=alert.labels,
    )


def pages_to(team: Team, channels: list[str], at: datetime) -> list[Page]:
    """One page per member reachable on the rung's channels, one per team-level destination;
    a member is notified once per contact method on those channels, the team once per channel."""
    people = [
        Page(at, team.name, member.name, notifications=tuple(Notification(at, m.type) for m in methods))
        for member in team.members
        if (methods := [m for m in member.contact_methods if m.type in channels])
    ]
    shared = tuple(Notification(at, channel) for channel in channels if _team_level(team, channel))
    return people + ([Page(at, team.name, f"team:{team.name}", notifications=shared)] if shared else [])


def _team_level(team: Team, channel: str) -> list[str]:
    members = {m.address for member in team.members for m in member.contact_methods}
    return [d for d in destinations(team, channel) if d not in members]


def local_hour(page: Page) -> int:
    """The page's hour on the paged person's clock."""
    return _hour(page.at, page.time_zone)


def is_night(page: Page) -> bool:
    """Between 22:00 and 07:00 in the paged person's time zone."""
    return local_hour(page) in NIGHT_HOURS


def night_notifications(page: Page) -> int:
    """The page's notifications sent between 22:00 and 07:00 on the paged person's clock."""
    return sum(_hour(n.at, page.time_zone) in NIGHT_HOURS for n in page.notifications)


def _hour(at: datetime, zone: str) -> int:
    return wall_clock(at, time_zone(zone)).hour


def summary(outcome: Outcome) -> dict[str, Any]:
    """Counts a person can read: incidents, pages per team and per person by hour, nights, and
    the notifications those pages sent, per contact method type."""
    pages = [page for incident in outcome.incidents for page in incident.pages]
    people: dict[str, dict[str, Any]] = {}
    for page in pages:
        if page.person not in people:
            people[page.person] = _person_counts()
        person, hour = people[page.person], local_hour(page)
        person["pages"] += 1
        person["night_pages"] += hour in NIGHT_HOURS
        person["by_hour"][f"{hour:02d}"] += 1
        person["notifications"] += len(page.notifications)
        person["night_notifications"] += night_notifications(page)
        person["by_method"].update(n.method for n in page.notifications)
    return {
        "incidents": len(outcome.incidents),
        "pages": len(pages),
        "night_pages": sum(p["night_pages"] for p in people.values()),
        "notifications": sum(p["notifications"] for p in people.values()),
        "night_notifications": sum(p["night_notifications"] for p in people.values()),
        "silenced_arrivals": outcome.silenced,
        "pages_by_team": dict(Counter(p.team for p in pages)),
        "pages_by_person": {
            name: {**v, "by_hour": dict(sorted(v["by_hour"].items())), "by_method": dict(v["by_method"])}
            for name, v in people.items()
        },
        "unreachable_rungs": dict(outcome.unreachable),
    }


def _person_counts() -> dict[str, Any]:
    counts: dict[str, Any] = dict.fromkeys(
        ("pages", "night_pages", "notifications", "night_notifications"), 0
    )
    return counts | {"by_hour": Counter(), "by_method": Counter()}


def first_page_after(incident: Incident) -> float | None:
    """Seconds from opening to the first page; None if nobody was reachable."""
    return min(((p.at - incident.opened_at).total_seconds() for p in incident.pages), default=None)
