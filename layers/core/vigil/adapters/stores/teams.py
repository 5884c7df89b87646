"""Teams, stored whole (members, contact methods, team channels)."""

from __future__ import annotations

from vigil.adapters.stores._whole_items import WholeItems
from vigil.domain.teams import Team

_items = WholeItems("TEAM", "TEAMS", Team, id_field="name", attribute="team", noun="team")
put, find, all_stored, delete = _items.put, _items.find, _items.all_stored, _items.delete
