{#
    One flat select, without the usual import CTEs, on purpose: PostgreSQL merges a view that
    is a plain select into the query that reads it, but plans a view holding a WITH clause as
    a separate subquery. Through such a subquery the indexes of exp.events cannot answer a
    max(received_at) or an order by ... limit (the no-events alert scanned the whole
    received_at index: 11 s at 10M events); through this view they can (one index lookup).
#}
select
    id as event_id,
    experiment_id,
    variant_id,
    unit_id,
    request_id,
    policy_version_id,
    event_type,
    latency_ms,
    prompt_tokens,
    completion_tokens,
    constraint_respect_score,
    alignment_score,
    diversity_score,
    edit_count,
    {{ events_occurred_date() }} as occurred_date,
    occurred_at,
    received_at

from {{ source('exp', 'events') }}
