"""People (users): one item each, with their contact methods and notification rules."""

from __future__ import annotations

from vigil.adapters.stores._whole_items import WholeItems
from vigil.domain.people import Person

_items = WholeItems("USER", "USERS", Person, id_field="user_id", attribute="person", noun="user")
put, find, get, all_stored, delete = _items.put, _items.find, _items.get, _items.all_stored, _items.delete
find_many = _items.find_many
