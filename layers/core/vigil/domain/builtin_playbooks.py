"""The built-in playbooks: the original spec's four. They exist without being stored and are read-only."""

from __future__ import annotations

from functools import cache
from typing import Any

from vigil.domain.playbooks import Playbook


def _manual(title: str, description: str) -> dict[str, Any]:
    return {"type": "manual", "title": title, "description": description}


DATABASE_CONNECTION_FAILURE: dict[str, Any] = {
    "playbook_id": "database-connection-failure",
    "title": "Database Connection Failure Response",
    "description": "Applications cannot reach or get connections from the database.",
    "match": {
        "categories": ["database"],
        "title_keywords": [
            "database",
            "db",
            "postgres",
            "postgresql",
            "mysql",
            "mariadb",
            "rds",
            "aurora",
            "connection pool",
            "too many connections",
        ],
    },
    # The original spec's six steps, verbatim.
    "steps": [
        _manual(
            "Check database server status",
            "Is the instance up, and is it the writer? Look at the RDS/Aurora events, failovers, "
            "maintenance, storage full, and CPU or memory exhaustion.",
        ),
        _manual(
            "Verify network connectivity",
            "From an application host: DNS of the endpoint, security groups and NACLs, and a TCP "
            "connect to the port. Did a subnet, route or VPC endpoint change?",
        ),
        _manual(
            "Check connection pool settings",
            "Compare open connections with max_connections; look for pool exhaustion, leaked "
            "connections, or a deploy that changed pool size or timeouts (RDS Proxy pinning).",
        ),
        _manual(
            "Review recent database logs",
            "Error log and slow query log around the start of the incident: authentication "
            "failures, deadlocks, long transactions, replication lag.",
        ),
        _manual(
            "Restart database service if needed",
            "Only when the server is wedged and a failover or reboot is the fastest recovery; "
            "announce it first and expect connections to drop.",
        ),
        _manual(
            "Update incident with findings",
            "Cause, what was changed, and follow-ups (alarms on connection count, pool limits).",
        ),
    ],
    "estimated_duration_minutes": 30,
    "required_skills": ["database_admin", "system_admin"],
}

HIGH_ERROR_RATE: dict[str, Any] = {
    "playbook_id": "high-error-rate",
    "title": "High Error Rate Response",
    "description": "A service answers with more errors (5xx, exceptions, failed jobs) than usual.",
    # No category: error rates are symptoms of any kind of fault, so the title decides.
    "match": {
        "title_keywords": [
            "error rate",
            "errors",
            "5xx",
            "500s",
            "http 500",
            "exceptions",
            "failure rate",
            "error budget",
        ],
    },
    "steps": [
        _manual(
            "Confirm the error rate and its scope",
            "Which services, endpoints, regions and customers; since when; how far above the "
            "baseline. Rule out a broken check or alarm first.",
        ),
        _manual(
            "Check recent deploys and configuration changes",
            "Deploys, feature flags, config and infrastructure changes that line up with the "
            "start. If one does, roll it back before digging further.",
        ),
        _manual(
            "Identify the dominant errors",
            "Group errors by type and status code in logs and traces; find the top exception and "
            "the first request path that fails.",
        ),
        _manual(
            "Check downstream dependencies",
            "Databases, caches, queues and third-party APIs on the failing path: their health, "
            "latency, throttling and quotas.",
        ),
        _manual(
            "Mitigate and confirm recovery",
            "Roll back, fail over, shed load or turn off the failing feature; watch the error rate "
            "return to its baseline for several minutes.",
        ),
        _manual(
            "Update incident with findings",
            "Cause, mitigation, customer impact and follow-ups; tell stakeholders the status.",
        ),
    ],
    "estimated_duration_minutes": 45,
    "required_skills": ["backend_engineering", "observability", "release_management"],
}

SECURITY_INCIDENT: dict[str, Any] = {
    "playbook_id": "security-incident",
    "title": "Security Incident Response",
    "description": "Suspected compromise, unauthorized access or data exposure.",
    "match": {
        "categories": ["security"],
        "title_keywords": [
            "security",
            "unauthorized",
            "breach",
            "intrusion",
            "compromised",
            "malware",
            "ransomware",
            "exfiltration",
            "leaked credentials",
            "guardduty",
            "suspicious",
        ],
    },
    "steps": [
        _manual(
            "Assess and classify the threat",
            "Confirm the detection is real; list affected accounts, systems and data; set the "
            "severity and bring in the security lead.",
        ),
        _manual(
            "Preserve evidence",
            "Before changing anything: snapshot affected volumes, export CloudTrail, VPC Flow and "
            "application logs, and note exact times.",
        ),
        _manual(
            "Contain the threat",
            "Isolate affected hosts (quarantine security group), disable or rotate exposed "
            "credentials and keys, block malicious addresses.",
        ),
        _manual(
            "Investigate scope and entry point",
            "Trace the activity in CloudTrail and access logs: how they got in, what they touched, "
            "and whether they still have a foothold.",
        ),
        _manual(
            "Eradicate and recover",
            "Remove persistence, patch the weakness, rebuild from known-good images, and watch for "
            "recurrence.",
        ),
        _manual(
            "Notify stakeholders and document",
            "Security lead, legal and compliance when data may be exposed; record the timeline and "
            "findings on the incident.",
        ),
    ],
    "estimated_duration_minutes": 120,
    "required_skills": ["security_engineering", "forensics", "cloud_infrastructure"],
}

PERFORMANCE_DEGRADATION: dict[str, Any] = {
    "playbook_id": "performance-degradation",
    "title": "Performance Degradation Response",
    "description": "Requests are slower or throughput is lower than usual, without outright errors.",
    "match": {
        "categories": ["performance"],
        "title_keywords": [
            "latency",
            "slow",
            "slowness",
            "degraded",
            "degradation",
            "performance",
            "response time",
            "p99",
            "p95",
            "throughput",
            "saturation",
        ],
    },
    "steps": [
        _manual(
            "Quantify the degradation",
            "Which endpoints and percentiles (p50, p99), since when, how many users; compare with "
            "the same time last week.",
        ),
        _manual(
            "Correlate with recent changes and load",
            "Deploys, configuration changes, traffic spikes, batch jobs and cron runs that began at "
            "the same time.",
        ),
        _manual(
            "Check resource saturation",
            "CPU, memory and GC, thread and connection pools, disk and network I/O; Lambda "
            "throttles and concurrency; database CPU and locks.",
        ),
        _manual(
            "Find the bottleneck",
            "Follow the slowest traces: slow queries, downstream calls, lock waits, cold starts.",
        ),
        _manual(
            "Mitigate and confirm recovery",
            "Scale out, roll back, add caching or rate limits, shed non-critical load; watch the "
            "latency percentiles recover.",
        ),
        _manual(
            "Update incident with findings",
            "Cause, what was tuned, and capacity follow-ups (alarms, load tests, limits).",
        ),
    ],
    "estimated_duration_minutes": 60,
    "required_skills": ["performance_engineering", "observability", "capacity_planning"],
}


@cache
def built_in_playbooks() -> dict[str, Playbook]:
    """The original spec's playbooks by id, validated on first use (not at import: cold starts)."""
    return {
        p.playbook_id: p
        for p in (
            Playbook.model_validate({**raw, "built_in": True})
            for raw in (
                DATABASE_CONNECTION_FAILURE,
                HIGH_ERROR_RATE,
                SECURITY_INCIDENT,
                PERFORMANCE_DEGRADATION,
            )
        )
    }
