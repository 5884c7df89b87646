"""Taking alerts in, in the order a request meets them:

1. `intake`: an integration's request body → alerts (SNS envelopes, mappings, parsers);
2. `storm`: a body with many alerts is answered at once and taken in from a queue;
3. `dedup`: each alert → one upsert that tells new from known → open or join an incident;
4. `alarms` and `changes`: CloudWatch alarms from inside AWS, and PagerDuty change events.
"""
