"""A local replica of join.gov.tw on 127.0.0.1 for the demo, tests and benchmarks (see docs/site-shapes.md).

Modules: ``model`` (records, clock), ``bank_*`` (phrase banks, data only), ``text`` (comment composition),
``gen_policies`` / ``gen_ideas`` / ``data`` (deterministic generation, ``generate(seed, size)``),
``render_json`` / ``render_html`` (the site's shapes), ``site`` (routing and page cache), ``faults`` /
``fault_pages`` (fault injection), ``server`` (HTTP: ``ReplicaServer``, ``serve_forever``).
"""
