"""The Network Integration resources' machinery and hooks (declared in :mod:`simulator.network`).

* :mod:`~simulator.resources.store`: the generic store (get, list, upsert, delete) and the
  :class:`~simulator.resources.store.Resource` every declaration is.
* :mod:`~simulator.resources.records`: the stored objects, their Links and their event.
* Hooks of the special cases, by kind: :mod:`~simulator.resources.parties` (network, users,
  sites, advertisers, affiliates, relationships, prompt recordings),
  :mod:`~simulator.resources.campaigns` (staged terms, go_live, affiliate campaign
  transitions), :mod:`~simulator.resources.promo_numbers` (issuing, moves),
  :mod:`~simulator.resources.ring_pools` (creation, reconfiguration, local fills) and
  :mod:`~simulator.resources.local` (local centers and preferences).
"""
