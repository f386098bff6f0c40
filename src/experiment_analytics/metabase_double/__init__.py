"""A faithful, stateful test double of Metabase's REST API (no Metabase can run here).

    from experiment_analytics.metabase_double import MetabaseDouble, Fault
    with MetabaseDouble(warehouse=settings) as double:
        ...  # point the publisher or dbt-metabase at double.url

It serves, on 127.0.0.1, the endpoints the publisher and dbt-metabase call, following
`CONTRACT.md` (paths, required fields, enums, defaults, 400 `{"errors": {field: msg}}`, 401,
403, 404, 409 on a stale permission-graph revision), with state kept between calls. Databases
are real: sync reads the PostgreSQL catalogue and card queries run there. Faults (error status,
delay, dropped connection, with or without applying the write) can be injected per request.
"""

from experiment_analytics.metabase_double.faults import Fault
from experiment_analytics.metabase_double.records import RequestRecord
from experiment_analytics.metabase_double.server import MetabaseDouble

__all__ = ["Fault", "MetabaseDouble", "RequestRecord"]
