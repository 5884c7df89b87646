"""Paging, in the order a page travels:

1. `routing`: which firing alerts open incidents, through which channels, for which team;
2. `targets`: a rung's targets → teams (through `notify`) and people (by their own rules);
3. `notify`: one message per (ladder run, round, rung, team, channel) on NotificationsTopic;
4. `delivery_batch` and `delivery`: a channel function takes a batch and delivers each
   message exactly once through the ledger, rendered by `rendering`.
"""
