"""Named escalation policies, one item each (the default policy is the `config` store's)."""

from __future__ import annotations

from vigil.adapters.stores._whole_items import WholeItems
from vigil.domain.oncall import NamedPolicy

_items = WholeItems(
    "POLICY", "POLICIES", NamedPolicy, id_field="policy_id", attribute="policy", noun="escalation policy"
)
put, find, get, all_stored, delete = _items.put, _items.find, _items.get, _items.all_stored, _items.delete
