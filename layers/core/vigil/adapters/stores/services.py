"""Services, one item each (an integration names its service: the integrations store)."""

from __future__ import annotations

from vigil.adapters.stores._whole_items import WholeItems
from vigil.domain.oncall import Service

_items = WholeItems(
    "SERVICE", "SERVICES", Service, id_field="service_id", attribute="service", noun="service"
)
put, find, get, all_stored, delete = _items.put, _items.find, _items.get, _items.all_stored, _items.delete
