"""A faithful, stateful test double of Metabase's REST API (no Metabase can run here).

    from experiment_analytics.metabase_double import MetabaseDouble, Fault
    with MetabaseDouble(warehouse=settings) as double:
        ...  # point the publisher or dbt-metabase at double.url

It serves, on 127.0.0.1, the endpoints the publisher and dbt-metabase call, following
`CONTRACT.md` (paths, required fields, enums, defaults, 400 `{"errors": {field: msg}}`, 401,
403, 404, 409 on a stale permission-graph revision), with state kept between calls, and what a
real server does beyond its schema (`SERVER-BEHAVIOUR.md`): it assigns every id and entity_id
itself (POST /api/card keeps only `CARD_CREATE_KEYS`; a client's entity_id is dropped), refuses
native models with variables, keeps a subscription with its dashboard, matches notification
handlers by id, removes the alerts of an archived card. The reported version (`version=`,
`--version`) switches what changed between releases: /api/notification from 0.54, "none"
cells left out of the collection graph from 0.56.13, MBQL 5 reads and entity-id routes from
0.57. Databases are real:
sync reads the PostgreSQL catalogue and card queries run there. Faults (error status, delay,
dropped connection, halt, with or without applying the write) can be injected per request, in
Python or from the command line (`faults.py`, `python -m experiment_analytics.metabase_double
--help`).

Decisions (where Metabase is not specified or cannot be copied):
- the pre-registered warehouse is synced synchronously by `start()`; POST /api/database and
  POST .../sync_schema sync asynchronously (`sync_delay_seconds` per phase: tables appear
  "incomplete", then become "complete"); sync keeps ids and never overwrites edited descriptions;
- unknown routes and methods Metabase lacks (DELETE /api/notification/1) answer 404
  "API endpoint does not exist.", as Metabase's router does; missing entities 404 "Not found.";
- POST /api/user also takes `password` (and PUT /api/user/{id}/password exists) so tests can log
  in as a member of a group; effective permissions: collections by the collection graph (most
  permissive group wins, admins always write, personal collections only their owner), running a
  card needs view-data not "blocked", an ad hoc native query needs query-builder-and-native;
  per-schema/table data permissions are accepted and count as partial access;
- card queries run only native SQL; MBQL questions are stored and converted, not executed;
- entity-id routes start at 0.57, the later of the two releases the source allows (see
  `routing.ENTITY_ID_ROUTES_FROM`); a pulse PUT that would change its dashboard or collection is
  a 400 naming the field; un-archiving a pulse leaves its channels disabled until sent enabled;
  the Trash is a collection id of its own listing what was archived directly; an active
  notification's cron schedules are its "triggers" (`MetabaseDouble.scheduled_triggers()`).
"""

from experiment_analytics.metabase_double.faults import Fault
from experiment_analytics.metabase_double.records import RequestRecord
from experiment_analytics.metabase_double.server import MetabaseDouble

__all__ = ["Fault", "MetabaseDouble", "RequestRecord"]
