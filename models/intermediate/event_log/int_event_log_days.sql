{#
    One row per UTC day of the event log: what the source holds for the day now (its events
    per experiment, each experiment with its configuration rows, and the day's metric
    aggregates, as a count and a fingerprint), what the last complete build processed
    (int_event_log_ledger), and whether this build rebuilds the day, with the reason.
    Built first in every build; every incremental model rebuilds exactly the days marked
    is_rebuilt (macro rebuilt_days), and the data tests of an incremental build check them.

    Change detection trusts no timestamp and reads no event row it does not need:
    - the count of events per day x experiment, an index-only scan of the source's index on
      occurred_at (it includes experiment_id): a late row of any age, a re-delivery stamped with
      its original received_at, a replayed batch, a deleted row all change a day's count;
    - the events received since the last complete build (received_at above the ledger's
      received_through_at, through the index on received_at; a received_at in the future never
      moves that mark: such an event is quarantined): a row replaced by another one on the same
      day changes that day;
    - per experiment, its row, its variants' rows and the policy versions, hashed (small
      tables): a corrected experiment, variant or policy version changes every day of its
      experiment's events;
    - the day's metric aggregates, hashed.
    A day also rebuilds when it shares a request or an event id with a changed day (a late
    outcome changes its generation's day; a reused id changes the first owner's day), and when
    a timestamp quarantined as "in the future" has come due. Not seen without reading every
    row: an event edited in place (UPDATE) keeping its id, day, experiment and received_at;
    `dbt build --full-refresh` (e.g. weekly) re-reads everything.
#}
{{
    config(
        materialized='table',
        indexes=[{'columns': ['occurred_date']}],
        post_hook='{{ analyze_table(this) }}',
    )
}}

{%- set ledger = existing_model_relation('int_event_log_ledger') -%}
{%- set quarantine = existing_model_relation('event_quarantine') -%}
{%- set rebuild_everything = event_log_rebuilds_everything() %}

with

{# not materialized: read more than once, PostgreSQL would otherwise copy the whole log first #}
events as {{ cte_not_materialized() }} (

    select * from {{ ref('stg_exp__events') }}

),

metric_aggregates as (

    select * from {{ ref('stg_exp__metric_aggregates') }}

),

experiments as (

    select * from {{ ref('stg_exp__experiments') }}

),

variants as (

    select * from {{ ref('stg_exp__variants') }}

),

policy_versions as (

    select * from {{ ref('stg_exp__policy_versions') }}

),

processed_days as (

    {% if rebuild_everything %}
        select
            null::date as occurred_date,
            null::{{ sql_type('text') }} as source_fingerprint,
            null::{{ sql_type('timestamptz') }} as received_through_at

        where false
    {% else %}
        select
            occurred_date,
            source_fingerprint,
            received_through_at

        from {{ ledger }}
    {% endif %}

),

experiment_day_counts as (

    {#- only occurred_at and experiment_id: an index-only scan of events_occurred_at_idx #}
    select
        occurred_date,
        experiment_id,
        count(*) as event_count

    from events

    group by 1, 2

),

policy_versions_described as (

    select
        md5(coalesce(
            {{ ordered_string_agg(row_text('policy_versions'), "','", row_text('policy_versions')) }},
            ''
        )) as description

    from policy_versions

),

experiment_configurations as (

    select
        experiments.experiment_id,
        concat_ws(
            '|',
            {{ row_text('experiments') }},
            (
                select {{ ordered_string_agg(row_text('variants'), "','", 'variants.variant_id') }}
                from variants
                where variants.experiment_id = experiments.experiment_id
            )
        ) as description

    from experiments

),

event_groups_described as (

    select
        experiment_day_counts.occurred_date,
        experiment_day_counts.event_count,
        concat_ws(
            '|',
            experiment_day_counts.experiment_id,
            experiment_day_counts.event_count,
            md5(coalesce(experiment_configurations.description, 'unknown experiment')),
            policy_versions_described.description
        ) as group_description

    from experiment_day_counts
    cross join policy_versions_described
    left join experiment_configurations
        on experiment_day_counts.experiment_id = experiment_configurations.experiment_id

),

aggregate_days_described as (

    select
        bucket_start_date as occurred_date,
        0 as event_count,
        concat_ws(
            '|',
            'metric_aggregates',
            count(*),
            sum({{ text_hash64(row_text('metric_aggregates')) }})
        ) as group_description

    from metric_aggregates

    {#- by name: Spark allows no `*` (the row's text) with group by position #}
    group by bucket_start_date  -- noqa: AM06

),

source_days as (

    select
        occurred_date,
        sum(event_count)::bigint as source_event_count,
        md5({{ ordered_string_agg('group_description', "','", 'group_description') }}) as source_fingerprint

    from (
        select * from event_groups_described
        union all
        select * from aggregate_days_described
    ) as described_groups

    group by 1

),

received_through as (

    {#- the newest received_at not in the future: the next build looks for rows received after it #}
    select max(received_at) as received_through_at

    from events

    where received_at <= {{ event_clock_limit() }}

),

received_since_last_build as (

    {% if rebuild_everything %}
        select null::date as occurred_date

        where false
    {% else %}
        select distinct events.occurred_date

        from events

        where events.received_at > (select max(processed_days.received_through_at) from processed_days)
    {% endif %}

),

days_compared as (

    select
        coalesce(source_days.occurred_date, processed_days.occurred_date) as occurred_date,
        coalesce(source_days.source_event_count, 0) as source_event_count,
        source_days.source_fingerprint,
        processed_days.source_fingerprint as processed_fingerprint,
        case
            when {{ 'true' if rebuild_everything else 'false' }}
                then 'every day is rebuilt (full refresh, first build or a model missing)'
            when processed_days.occurred_date is null then 'new day'
            when source_days.occurred_date is null then 'its events were removed'
            when source_days.source_fingerprint <> processed_days.source_fingerprint
                then 'its events or what they join changed'
        end as change_reason

    from source_days
    full outer join processed_days
        on source_days.occurred_date = processed_days.occurred_date

),

quarantine_come_due as (

    {% if quarantine is not none and not rebuild_everything %}
        select distinct occurred_date

        from {{ quarantine }}

        where
            quarantine_rule in ('received_in_future', 'occurred_in_future')
            and received_at <= {{ event_clock_limit() }}
            and occurred_at <= {{ event_clock_limit() }}
    {% else %}
        select null::date as occurred_date

        where false
    {% endif %}

),

changed_days as (

    select
        occurred_date,
        change_reason as rebuild_reason,
        1 as reason_rank

    from days_compared

    where change_reason is not null

    union all

    select
        occurred_date,
        'events received since the last complete build' as rebuild_reason,
        2 as reason_rank

    from received_since_last_build

    union all

    select
        occurred_date,
        'a timestamp quarantined as in the future has come due' as rebuild_reason,
        2 as reason_rank

    from quarantine_come_due

),

changed_day_events as (

    select
        events.event_id,
        events.request_id

    from changed_days
    inner join events
        on
            events.occurred_at >= {{ utc_day_start('changed_days.occurred_date') }}
            and events.occurred_at < {{ utc_day_start('changed_days.occurred_date + 1') }}

    {% if rebuild_everything %}
        where false
    {% endif %}

),

neighbour_days as (

    select
        events.occurred_date,
        'shares a request or an event id with a changed day' as rebuild_reason,
        3 as reason_rank

    from events

    where events.request_id in (select changed_day_events.request_id from changed_day_events)

    union all

    select
        events.occurred_date,
        'shares a request or an event id with a changed day' as rebuild_reason,
        3 as reason_rank

    from events

    where events.event_id in (select changed_day_events.event_id from changed_day_events)

),

first_rebuild_reasons as (

    select
        occurred_date,
        {{ first_by('rebuild_reason', 'reason_rank') }} as rebuild_reason

    from (
        select * from changed_days
        union all
        select * from neighbour_days
    ) as rebuild_reasons

    group by 1

),

event_log_days as (

    select
        days_compared.occurred_date,
        days_compared.source_event_count,
        days_compared.source_fingerprint,
        days_compared.processed_fingerprint,
        first_rebuild_reasons.rebuild_reason,
        first_rebuild_reasons.rebuild_reason is not null as is_rebuilt,
        received_through.received_through_at

    from days_compared
    cross join received_through
    left join first_rebuild_reasons
        on days_compared.occurred_date = first_rebuild_reasons.occurred_date

)

select * from event_log_days
